"""Secret redaction: URLs, headers, free text, mappings and the logging filter."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest

from shelfkeeper.adapters.redaction import (
    REDACTED,
    SecretFilter,
    credentials_in,
    is_secret_name,
    redact_headers,
    redact_mapping,
    redact_text,
    redact_url,
    register_secret,
    registered_secrets,
)

R = REDACTED


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("apikey", True),
        ("apiKey", True),
        ("api_key", True),
        ("API-KEY", True),
        ("key", True),
        ("token", True),
        ("access_token", True),
        ("refresh_token", True),
        ("password", True),
        ("passkey", True),
        ("mam_id", True),
        ("sid", True),
        ("SID", True),
        ("auth", True),
        ("client_secret", True),
        ("x-api-key", True),
        ("google_books_api_key", True),
        ("QB_PASSWORD", True),
        ("q", False),
        ("query", False),
        ("title", False),
        ("monkey", False),
        ("keyword", False),
        ("author", False),
        ("tokens_used", False),
        ("sidebar", False),
        ("bypass", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/api?apikey=abc123&t=search", f"http://h/api?apikey={R}&t=search"),
        ("http://h/1/api?t=search&apikey=abc123", f"http://h/1/api?t=search&apikey={R}"),
        ("https://g/books/v1/volumes?q=dune&key=AIzaXYZ", f"https://g/books/v1/volumes?q=dune&key={R}"),
        ("http://h/x?ApiKey=abc&Token=t1&access_token=t2", f"http://h/x?ApiKey={R}&Token={R}&access_token={R}"),
        (
            "http://h/x?password=p&passkey=k&mam_id=m&sid=s&auth=a",
            f"http://h/x?password={R}&passkey={R}&mam_id={R}&sid={R}&auth={R}",
        ),
        ("http://h/x?q=dune&author=herbert", "http://h/x?q=dune&author=herbert"),
        ("http://h/x?keyword=dune", "http://h/x?keyword=dune"),
        ("http://user:hunter22@h/x", f"http://user:{R}@h/x"),
        ("http://token123@h/x", f"http://{R}@h/x"),
        ("http://h/api/apikey/abc123/feed", f"http://h/api/apikey/{R}/feed"),
        ("http://h/rss/passkey/abc123", f"http://h/rss/passkey/{R}"),
        ("http://h/api/v2/auth/login", "http://h/api/v2/auth/login"),
        ("http://h/x?apikey=", f"http://h/x?apikey={R}"),
        ("http://h/x?flag&apikey=abc", f"http://h/x?flag&apikey={R}"),
        ("http://h/x?api%5Fkey=abc", f"http://h/x?api%5Fkey={R}"),
    ],
)
def test_redact_url_by_name(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_removes_literal_secrets_in_the_path() -> None:
    url = "http://h/tor/download.php/DL-SECRET-77?x=1"
    assert redact_url(url, ["DL-SECRET-77"]) == f"http://h/tor/download.php/{R}?x=1"


def test_redact_url_removes_url_encoded_secrets() -> None:
    secret = "abc/def+ghi="
    assert secret not in redact_url("http://h/x?data=abc%2Fdef%2Bghi%3D", [secret])
    assert "abc%2Fdef%2Bghi%3D" not in redact_url("http://h/x?data=abc%2Fdef%2Bghi%3D", [secret])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET http://h/api?apikey=abc123&t=x failed", f"GET http://h/api?apikey={R}&t=x failed"),
        ("Authorization: Bearer eyJhbGciOi.x.y", f"Authorization: {R}"),
        ("sent with bearer eyJhbGciOi.x.y today", f"sent with bearer {R} today"),
        ("header Basic dXNlcjpwYXNz", f"header Basic {R}"),
        ("Cookie: mam_id=abc; uid=5", f"Cookie: {R}"),
        ("Set-Cookie: SID=abc; path=/", f"Set-Cookie: {R}"),
        ('{"apiKey": "abc123", "title": "Dune"}', f'{{"apiKey": "{R}", "title": "Dune"}}'),
        ('{"password":"p4ss"}', f'{{"password":"{R}"}}'),
        ('{"key": "/works/OL1W"}', '{"key": "/works/OL1W"}'),
        ("username=admin&password=adminadmin", f"username=admin&password={R}"),
        ("postgresql://shelf:s3cret@db:5432/shelf", f"postgresql://shelf:{R}@db:5432/shelf"),
        ("see /api/apikey/abc123/feed", f"see /api/apikey/{R}/feed"),
        ("nothing secret about monkey=5 or the keyword=dune", "nothing secret about monkey=5 or the keyword=dune"),
        ("Dune by Frank Herbert", "Dune by Frank Herbert"),
    ],
)
def test_redact_text_by_pattern(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("value SECRET-1 here", ["SECRET-1"], f"value {R} here"),
        ("SECRET-1 and SECRET-1", ["SECRET-1"], f"{R} and {R}"),
        ("long LONG-SECRET-1 short", ["LONG-SECRET-1", "LONG"], f"long {R} short"),
        ("tiny ab stays", ["ab"], "tiny ab stays"),
        ("empty secrets", ["", "   "], "empty secrets"),
        ("quoted a%2Fb%3Dc", ["a/b=c"], f"quoted {R}"),
    ],
)
def test_redact_text_literal_secrets(text: str, secrets: list[str], expected: str) -> None:
    assert redact_text(text, secrets) == expected


def test_redact_text_is_idempotent() -> None:
    once = redact_text("Authorization: Bearer abc apikey=xyz", ["xyz"])
    assert redact_text(once, ["xyz"]) == once


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "Bearer abc.def"}, {"Authorization": f"Bearer {R}"}),
        ({"authorization": "raw-api-key-123"}, {"authorization": R}),
        ({"X-Api-Key": "abc"}, {"X-Api-Key": R}),
        ({"Cookie": "mam_id=abc; uid=12"}, {"Cookie": f"mam_id={R}; uid={R}"}),
        (
            {"Set-Cookie": "SID=abc; HttpOnly; path=/; SameSite=Strict"},
            {"Set-Cookie": f"SID={R}; HttpOnly; path=/; SameSite=Strict"},
        ),
        (
            {"Set-Cookie": "mam_id=abc; expires=Wed, 21 Oct 2026 07:28:00 GMT; path=/"},
            {"Set-Cookie": f"mam_id={R}; expires=Wed, 21 Oct 2026 07:28:00 GMT; path=/"},
        ),
        (
            {"Accept": "application/json", "User-Agent": "shelfkeeper"},
            {"Accept": "application/json", "User-Agent": "shelfkeeper"},
        ),
        ({"X-Token": "abc"}, {"X-Token": R}),
    ],
)
def test_redact_headers(headers: dict[str, str], expected: dict[str, str]) -> None:
    assert redact_headers(headers) == expected


def test_redact_headers_keeps_each_set_cookie_apart() -> None:
    headers = httpx.Headers([("set-cookie", "a=1; Path=/"), ("set-cookie", "mam_id=SECRETV; Path=/")])
    assert redact_headers(headers) == {"set-cookie": f"a={R}; Path=/, mam_id={R}; Path=/"}


def test_redact_headers_removes_literal_secrets_from_other_headers() -> None:
    assert redact_headers({"Referer": "http://h/dl/SEKRIT-42"}, ["SEKRIT-42"]) == {"Referer": f"http://h/dl/{R}"}


def test_credentials_in_finds_every_carrier() -> None:
    found = credentials_in(
        headers={"Authorization": "Bearer TOK-1", "X-Api-Key": "KEY-2", "Accept": "json"},
        cookies={"mam_id": "COOKIE-3"},
        fields=[{"apikey": "KEY-4", "q": "dune"}, [("password", "PW-5"), ("username", "admin")], "raw body", None],
    )
    assert sorted(found) == sorted(["COOKIE-3", "Bearer TOK-1", "TOK-1", "KEY-2", "KEY-4", "PW-5"])


def test_redact_mapping_for_the_configuration_endpoint() -> None:
    settings = {
        "ABS_URL": "http://abs:13378",
        "ABS_TOKEN": "tok",
        "PROWLARR_API_KEY": "k",
        "GOOGLE_BOOKS_API_KEY": "",
        "DATABASE_URL": "postgresql://shelf:s3cret@db/shelf",
        "MAM_ID": "m",
        "QB": {"username": "admin", "password": "adminadmin"},
        "QB_PORT": 8080,
    }
    assert redact_mapping(settings) == {
        "ABS_URL": "http://abs:13378",
        "ABS_TOKEN": R,
        "PROWLARR_API_KEY": R,
        "GOOGLE_BOOKS_API_KEY": "",  # unset stays visibly unset
        "DATABASE_URL": f"postgresql://shelf:{R}@db/shelf",
        "MAM_ID": R,
        "QB": {"username": "admin", "password": R},
        "QB_PORT": 8080,
    }


FilteredLogger = tuple[logging.Logger, io.StringIO]


@pytest.fixture
def filtered_logger() -> Iterator[FilteredLogger]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(SecretFilter(lambda: ["FILTER-SECRET-1"]))
    log = logging.getLogger("shelfkeeper.tests.redaction")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log, stream
    log.removeHandler(handler)


def test_secret_filter_redacts_messages_args_and_tracebacks(
    filtered_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = filtered_logger
    log.info("calling %s with %s", "http://h/api?apikey=abc123", {"Authorization": "Bearer zzz-top"})
    log.warning("the value FILTER-SECRET-1 leaked into a message")
    try:
        raise RuntimeError("failed for http://h/x?token=tok-999 and FILTER-SECRET-1")
    except RuntimeError:
        log.exception("it broke")
    output = stream.getvalue()
    for secret in ("abc123", "zzz-top", "FILTER-SECRET-1", "tok-999"):
        assert secret not in output
    assert output.count(REDACTED) >= 5
    assert "Traceback" in output and "RuntimeError" in output


def test_secret_filter_survives_bad_format_arguments(filtered_logger: FilteredLogger) -> None:
    log, stream = filtered_logger
    log.info("two placeholders %s %s but one arg FILTER-SECRET-1", "x")
    assert "FILTER-SECRET-1" not in stream.getvalue()


def test_registered_secrets_feed_the_default_filter() -> None:
    register_secret("REGISTERED-SECRET-77")
    register_secret("")
    assert "REGISTERED-SECRET-77" in registered_secrets()
    assert "" not in registered_secrets()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "leak %s", ("REGISTERED-SECRET-77",), None)
    assert SecretFilter().filter(record) is True
    assert record.getMessage() == f"leak {R}"


def test_library_loggers_are_guarded_once_the_http_layer_is_imported() -> None:
    import shelfkeeper.adapters.http  # noqa: F401 - importing installs the guard

    for name in ("httpx", "httpcore"):
        guards = [f for f in logging.getLogger(name).filters if isinstance(f, SecretFilter)]
        assert len(guards) == 1
