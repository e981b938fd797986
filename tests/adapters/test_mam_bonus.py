"""MAM's bonus store through the adapter, against the fake MAM served for real: wedges spent and bought, upload
credit, MAM's known refusals, the cookie, one purchase at a time with the pause between them, never retried."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from shelfkeeper.adapters.mam import BONUS_PATH, MamClient, build
from shelfkeeper.domain.releases.tracker import BonusAnswer
from shelfkeeper.errors import ServiceAuthFailed, ServiceError
from shelfkeeper.testing.clock import FakeTime
from shelfkeeper.testing.fakes.mam import FakeMam
from shelfkeeper.testing.fakes.mam_bonus import ALREADY_PERSONAL, FREELEECH_PICK, NO_WEDGES, NOT_ENOUGH_POINTS, VIP
from shelfkeeper.testing.server import LiveServer, serve

T = TypeVar("T")
COOKIE = "mam-bonus-session-0123456789abcdef"
GIB = 1024**3
WALL = 1_790_000_000.25  # the wall clock the cache-busting stamps are read from


@pytest.fixture
def fake() -> FakeMam:
    fake = FakeMam(COOKIE, rotate_every=None)
    fake.user.seedbonus, fake.user.wedges = 60_000, 1
    fake.add_torrent("Plain Book", id=501)
    fake.add_torrent("VIP Book", id=502, vip=True)
    fake.add_torrent("Personal Book", id=503, personal_freeleech=True)
    fake.add_torrent("Freeleech Pick", id=504, free=True)
    return fake


@pytest.fixture
def server(fake: FakeMam) -> Iterator[LiveServer]:
    with serve(fake.app) as live:
        yield live


def shop(url: str, action: Callable[[MamClient], Awaitable[T]], *, time: FakeTime | None = None, **options: Any) -> T:
    time = time or FakeTime()

    async def go() -> T:
        client = build(url, options.pop("cookie", COOKIE), rng=random.Random(1), sleep=time.sleep, clock=time.clock,
                       wall_clock=lambda: WALL, min_interval=0, **options)  # fmt: skip
        try:
            return await action(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def bonus_requests(fake: FakeMam) -> list[tuple[str, dict[str, str]]]:
    return [(path, dict(query)) for _, path, query in fake.requests if path.startswith(BONUS_PATH)]


def test_a_wedge_makes_a_torrent_personal_freeleech(fake: FakeMam, server: LiveServer) -> None:
    answer = shop(server.url, lambda c: c.apply_wedge(501))
    assert answer.success and answer.error is None
    assert fake.torrents[501].personal_freeleech and fake.user.wedges == 0
    ((path, query),) = bonus_requests(fake)
    # Prowlarr's and MLM's form: the timestamp in the path and the query, plus the cache-busting "_" in ms
    assert path == f"{BONUS_PATH}/1790000000"
    assert query == {"spendtype": "personalFL", "torrentid": "501", "timestamp": "1790000000", "_": "1790000000250"}
    assert fake.cookies_seen[-1] == COOKIE


@pytest.mark.parametrize(
    ("torrent_id", "wedges", "error"),
    [
        (502, 1, VIP),
        (503, 1, ALREADY_PERSONAL),
        (504, 1, FREELEECH_PICK),
        (501, 0, NO_WEDGES),
    ],
)
def test_each_known_wedge_refusal_is_an_answer_with_mam_words(fake, server, torrent_id, wedges, error) -> None:
    fake.user.wedges = wedges
    answer = shop(server.url, lambda c: c.apply_wedge(torrent_id))
    assert answer == BonusAnswer(False, error, {})
    assert fake.user.wedges == wedges  # nothing was spent


def test_a_wedge_bought_with_points(fake: FakeMam, server: LiveServer) -> None:
    answer = shop(server.url, lambda c: c.buy_wedge_with_points())
    assert answer.success and answer.data["seedbonus"] == 10_000 and answer.data["wedges"] == 2
    assert (fake.user.seedbonus, fake.user.wedges) == (10_000, 2)
    ((path, query),) = bonus_requests(fake)
    assert path == f"{BONUS_PATH}/" and query == {"spendtype": "wedges", "source": "points", "_": "1790000000250"}
    refused = shop(server.url, lambda c: c.buy_wedge_with_points())  # 10 000 points do not buy another
    assert refused == BonusAnswer(False, NOT_ENOUGH_POINTS, {})
    assert (fake.user.seedbonus, fake.user.wedges) == (10_000, 2)


def test_upload_credit_bought_with_points(fake: FakeMam, server: LiveServer) -> None:
    uploaded = fake.user.uploaded_bytes
    answer = shop(server.url, lambda c: c.buy_upload(2.5))
    assert answer.success and answer.data == {"type": "upload", "amount": 2.5, "seedbonus": 58_750}
    assert fake.user.uploaded_bytes == uploaded + int(2.5 * GIB) and fake.user.seedbonus == 58_750
    assert bonus_requests(fake)[0][1]["amount"] == "2.5"
    assert shop(server.url, lambda c: c.buy_upload(100)).success  # 50 000 of the 58 750 points
    assert shop(server.url, lambda c: c.buy_upload(100)) == BonusAnswer(False, NOT_ENOUGH_POINTS)  # 8 750 left
    assert fake.user.seedbonus == 8_750


def test_a_switched_on_refusal_is_shown_as_mam_said_it(fake: FakeMam, server: LiveServer) -> None:
    fake.bonus.configure(refuse_with="Bonus store closed for maintenance", refuse_times=1)
    assert shop(server.url, lambda c: c.buy_upload(1)) == BonusAnswer(False, "Bonus store closed for maintenance")
    assert shop(server.url, lambda c: c.buy_upload(1)).success  # the fault hit one purchase only


def test_the_bonus_store_needs_the_cookie(fake: FakeMam, server: LiveServer) -> None:
    with pytest.raises(ServiceAuthFailed):
        shop(server.url, lambda c: c.buy_wedge_with_points(), cookie="mam-someone-elses-cookie")
    assert (fake.user.seedbonus, fake.user.wedges) == (60_000, 1)


def test_a_purchase_is_never_retried(fake: FakeMam, server: LiveServer) -> None:
    fake.faults.set("server_error", times=1)
    with pytest.raises(ServiceError):
        shop(server.url, lambda c: c.buy_wedge_with_points())
    assert fake.faults.requests_seen == 1  # the adapter retries reads, not purchases


def test_purchases_go_one_at_a_time_with_the_pause_between_them(fake: FakeMam, server: LiveServer) -> None:
    fake.user.seedbonus = 99_999
    fake.response_delay = 0.05
    time = FakeTime()

    async def three(client: MamClient) -> list[BonusAnswer]:
        return list(await asyncio.gather(client.buy_upload(1), client.buy_upload(1), client.buy_wedge_with_points()))

    answers = shop(server.url, three, time=time, purchase_pause=2.0)
    assert [a.success for a in answers] == [True, True, True]
    assert fake.max_in_flight == 1
    assert time.sleeps == [2.0, 2.0]  # the first purchase goes at once; each next one waits the pause


def test_the_pause_counts_from_the_last_purchase(fake: FakeMam, server: LiveServer) -> None:
    time = FakeTime()

    async def apart(client: MamClient) -> None:
        await client.buy_upload(1)
        time.now += 1.5  # other work took 1.5 s
        await client.buy_upload(1)
        time.now += 5  # a long while later: no wait at all
        await client.buy_upload(1)

    shop(server.url, apart, time=time, purchase_pause=2.0)
    assert time.sleeps == [pytest.approx(0.5)]
