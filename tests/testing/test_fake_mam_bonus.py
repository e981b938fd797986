"""The fake MyAnonamouse's bonus store over HTTP: MAM's answers, the accounting, the cookie, switchable refusals."""

from __future__ import annotations

import httpx

from shelfkeeper.testing.fakes.mam import FORBIDDEN_BODY, create_fake
from shelfkeeper.testing.fakes.mam_bonus import NOT_ENOUGH_POINTS
from shelfkeeper.testing.server import serve

BONUS = "/json/bonusBuy.php"
COOKIES = {"mam_id": "bonus-cookie"}


def test_the_bonus_store_answers_as_mam_does_and_keeps_the_accounts() -> None:
    fake = create_fake({"mam_id": "bonus-cookie", "rotate_every": None, "user": {"seedbonus": 51_000, "wedges": 0}})
    fake.add_torrent("Wedge Me", id=900, size=2 * 1024**3)
    with serve(fake.app) as live:

        def buy(path: str, **params: str) -> httpx.Response:
            return httpx.get(f"{live.url}{path}", params={**params, "_": "1"}, cookies=COOKIES)

        assert buy(f"{BONUS}/123", spendtype="personalFL", torrentid="900").json() == {
            "success": False, "error": "You do not have any FL Wedges"}  # fmt: skip
        bought = buy(f"{BONUS}/", spendtype="wedges", source="points").json()
        applied = buy(f"{BONUS}/124", spendtype="personalFL", torrentid="900", timestamp="124").json()
        upload = buy(f"{BONUS}/", spendtype="upload", amount="1").json()
        unknown = buy(f"{BONUS}/", spendtype="VIP", duration="max").json()
        user = httpx.get(f"{live.url}/jsonLoad.php", cookies=COOKIES).json()
        signed_out = httpx.get(f"{live.url}{BONUS}/", params={"spendtype": "wedges", "source": "points"})
        # a refusal switched on through the seed endpoint, as `shelfkeeper fakes serve` users do
        httpx.post(f"{live.url}/__fake__/seed", json={"bonus": {"refuse_with": NOT_ENOUGH_POINTS, "refuse_times": 1}})
        forced = buy(f"{BONUS}/", spendtype="upload", amount="1").json()
        state = httpx.get(f"{live.url}/__fake__/state").json()
    assert bought == {"success": True, "type": "wedges", "wedges": 1, "seedbonus": 1_000}
    assert applied == {"success": True, "type": "personalFL", "wedges": 0} and fake.torrents[900].personal_freeleech
    assert upload == {"success": True, "type": "upload", "amount": 1.0, "seedbonus": 500}
    assert unknown == {"success": False, "error": "Invalid spendtype"}
    assert (user["seedbonus"], user["wedges"]) == (500, 0)
    assert signed_out.status_code == 403 and signed_out.content == FORBIDDEN_BODY
    assert forced == {"success": False, "error": NOT_ENOUGH_POINTS} and fake.bonus.refuse_with is None
    assert [p["spendtype"] for p in state["purchases"]] == [
        "personalFL",
        "wedges",
        "personalFL",
        "upload",
        "VIP",
        "upload",
    ]
