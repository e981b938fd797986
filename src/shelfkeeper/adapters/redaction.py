"""Secret redaction for URLs, headers, free text and log records (API keys, tokens, cookies, passwords)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

REDACTED = "[REDACTED]"

# Secrets shorter than this are not replaced literally: replacing "ab" everywhere would shred every log line,
# and the name-based rules below still catch such a value wherever it appears as apikey=... or in a header.
MIN_LITERAL_SECRET_LENGTH = 4

# A parameter, JSON field or form field is secret when its name is one of these, optionally with a prefix
# such as "x_", "client_" or "google_" ("client_secret", "x-api-key", "refresh_token").
_SECRET_NAME_CORE = (
    r"api[_-]?key|apikey|key|token|access[_-]?token|refresh[_-]?token|api[_-]?token|password|passwd|pass|passkey"
    r"|secret|auth|authkey|authorization|sid|session|mam_id|cookie"
)
_SECRET_NAME = re.compile(rf"^(?:[\w.-]*[_-])?(?:{_SECRET_NAME_CORE})$", re.IGNORECASE)
_SECRET_NAME_IN_TEXT = rf"(?:[\w.-]*[_-])?(?:{_SECRET_NAME_CORE})"
# In JSON a bare "key" is usually an identifier (Open Library's "key": "/works/OL1W"), not a credential.
_SECRET_NAME_IN_JSON = rf'(?!key")(?:[\w.-]*[_-])?(?:{_SECRET_NAME_CORE})'
# Path segments that announce a key in the next segment (/apikey/<value>); "auth" or "session" are left out
# because they name ordinary endpoints (/api/v2/auth/login).
_SECRET_PATH_SEGMENT_NAMES = r"api[_-]?key|apikey|key|passkey|token|access[_-]?token|mam_id"
_SECRET_PATH_SEGMENT = re.compile(rf"^(?:{_SECRET_PATH_SEGMENT_NAMES})$", re.IGNORECASE)

# Headers whose whole value is a credential (the auth scheme word is kept: "Bearer [REDACTED]").
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "x-auth-token", "x-mam-id"})
_COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})
_COOKIE_ATTRIBUTES = frozenset({"path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority"})

_COOKIE_PAIR = re.compile(r"(?<![\w-])([\w.!#$%&'*+^`|~-]+)=([^;,\s]*)")
_AUTH_SCHEME = re.compile(r"^\s*(bearer|basic|digest|token|apikey)\s+", re.IGNORECASE)

# Patterns for free text (exception messages, response bodies, formatted log lines).
_TEXT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Authorization: Bearer abc" / "Cookie: mam_id=..." header lines, up to the end of the line.
    (
        re.compile(
            r"\b(authorization|proxy-authorization|x-api-key|x-auth-token|cookie|set-cookie)(\s*[:=]\s*)[^\r\n]+", re.I
        ),
        rf"\1\2{REDACTED}",
    ),
    # A bare "Bearer abc" or "Basic abc" token anywhere.
    (re.compile(r"\b(bearer|basic)\s+(?!\[REDACTED\])[A-Za-z0-9._~+/=-]{4,}", re.IGNORECASE), rf"\1 {REDACTED}"),
    # JSON fields: "apikey": "abc".
    (re.compile(rf'("{_SECRET_NAME_IN_JSON}"\s*:\s*")[^"]*(")', re.IGNORECASE), rf"\1{REDACTED}\2"),
    # Query and form pairs: apikey=abc&... (also inside URLs embedded in text).
    (
        re.compile(rf"(?<![\w.-])({_SECRET_NAME_IN_TEXT})=(?!\[REDACTED\])[^&\s;,\"'<>#]+", re.IGNORECASE),
        rf"\1={REDACTED}",
    ),
    # Passwords in URLs: scheme://user:password@host.
    (re.compile(r"(://[^/\s:@]+:)(?!\[REDACTED\])[^@\s/]+@"), rf"\1{REDACTED}@"),
    # Keys carried as path segments: /apikey/abc/ or /passkey/abc.
    (
        re.compile(rf"(/(?:{_SECRET_PATH_SEGMENT_NAMES})/)(?!\[REDACTED\])[^/?#\s\"'<>]+", re.IGNORECASE),
        rf"\1{REDACTED}",
    ),
)

_registry_lock = threading.Lock()
_registered: set[str] = set()


def is_secret_name(name: str) -> bool:
    """Whether a query parameter, form field, JSON key or cookie name carries a credential."""
    return bool(_SECRET_NAME.match(name.strip()))


def register_secret(value: str) -> None:
    """Remember a secret for every ``SecretFilter`` built on ``registered_secrets`` (process-wide)."""
    if value:
        with _registry_lock:
            _registered.add(value)


def registered_secrets() -> frozenset[str]:
    """Every secret registered so far: the default provider for ``SecretFilter``."""
    with _registry_lock:
        return frozenset(_registered)


def _named_values(fields: object) -> Iterable[tuple[str, object]]:
    if isinstance(fields, Mapping):
        return [(str(name), value) for name, value in fields.items()]
    if isinstance(fields, list | tuple):
        return [(str(pair[0]), pair[1]) for pair in fields if isinstance(pair, tuple | list) and len(pair) == 2]
    return []


def credentials_in(
    *, headers: Mapping[str, str] | None = None, cookies: Mapping[str, str] | None = None, fields: Iterable[object] = ()
) -> list[str]:
    """The credential values carried by a request: cookie values, auth headers, secret-named params or fields.

    ``fields`` are query parameters, form data or a JSON object (mappings or lists of pairs); the values of
    entries named like apikey/token/password are returned so they are redacted even where no name shows them.
    """
    found = [value for value in (cookies or {}).values() if value]
    for name, value in (headers or {}).items():
        if name.lower() in _CREDENTIAL_HEADERS or is_secret_name(name):
            found.append(value)
            scheme = _AUTH_SCHEME.match(value)
            if scheme:
                found.append(value[scheme.end() :])  # the token after "Bearer "
    for group in fields:
        for field_name, field_value in _named_values(group):
            if is_secret_name(field_name) and isinstance(field_value, str) and field_value:
                found.append(field_value)
    return found


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """Replace the literal secret values (also their URL-encoded forms) in ``text``."""
    variants: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_LITERAL_SECRET_LENGTH:
            variants.update({secret, quote(secret, safe=""), quote_plus(secret)})
    # Longest first, so a secret that contains another one is replaced whole.
    for variant in sorted(variants, key=len, reverse=True):
        if variant in text:
            text = text.replace(variant, REDACTED)
    return text


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Redact literal secrets and anything that looks like a credential (apikey=..., Bearer ..., cookies)."""
    text = redact_secrets(text, secrets)
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def _redact_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, sep, _value = pair.partition("=")
        pairs.append(f"{name}={REDACTED}" if sep and is_secret_name(unquote_plus(name)) else pair)
    return "&".join(pairs)


def _redact_path(path: str) -> str:
    segments = path.split("/")
    for index in range(1, len(segments)):
        if _SECRET_PATH_SEGMENT.match(segments[index - 1]) and segments[index]:
            segments[index] = REDACTED
    return "/".join(segments)


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    """A URL fit for a log: password in the user part, secret query parameters and /apikey/<value> removed."""
    text = redact_secrets(str(url), secrets)
    try:
        parts = urlsplit(text)
    except ValueError:
        return redact_text(text)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, has_password, _password = userinfo.partition(":")
        netloc = f"{user}:{REDACTED}@{host}" if has_password else f"{REDACTED}@{host}"
    return urlunsplit((parts.scheme, netloc, _redact_path(parts.path), _redact_query(parts.query), parts.fragment))


def _redact_cookie_value(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0) if name.lower() in _COOKIE_ATTRIBUTES else f"{name}={REDACTED}"

    return _COOKIE_PAIR.sub(replace, value)


def _redact_header_value(name: str, value: str, secrets: Iterable[str]) -> str:
    lowered = name.lower()
    if lowered in _COOKIE_HEADERS:
        return _redact_cookie_value(value)
    if lowered in _CREDENTIAL_HEADERS or is_secret_name(lowered):
        scheme = _AUTH_SCHEME.match(value)
        return f"{scheme.group(1)} {REDACTED}" if scheme else REDACTED
    return redact_text(value, secrets)


def redact_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], secrets: Iterable[str] = ()
) -> dict[str, str]:
    """Headers fit for a log: credential headers masked (auth scheme kept), cookie names kept, values masked."""
    secrets = tuple(secrets)
    items: Iterable[tuple[str, str]]
    multi_items = getattr(headers, "multi_items", None)
    if callable(multi_items):
        items = multi_items()  # httpx.Headers: keep each Set-Cookie apart instead of comma-joined
    elif isinstance(headers, Mapping):
        items = headers.items()
    else:
        items = headers
    redacted: dict[str, str] = {}
    for name, value in items:
        clean = _redact_header_value(name, value, secrets)
        redacted[name] = f"{redacted[name]}, {clean}" if name in redacted else clean
    return redacted


class SecretFilter(logging.Filter):
    """A logging filter that redacts every record's message and traceback; install it on handlers."""

    def __init__(self, secrets_provider: Callable[[], Iterable[str]] = registered_secrets, name: str = "") -> None:
        super().__init__(name)
        self._secrets_provider = secrets_provider

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = tuple(self._secrets_provider())
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact_text(message, secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, secrets)
        return True


def redact_mapping(values: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    """A shallow copy of a settings- or JSON-like mapping with secret-named entries masked (nested too)."""
    secrets = tuple(secrets)
    result: dict[str, Any] = {}
    for key, value in values.items():
        if is_secret_name(str(key)) and value not in (None, ""):
            result[key] = REDACTED
        elif isinstance(value, Mapping):
            result[key] = redact_mapping(value, secrets)
        elif isinstance(value, str):
            result[key] = redact_text(redact_url(value, secrets) if "://" in value else value, secrets)
        else:
            result[key] = value
    return result


# A logger's filters see only the records it creates, not its children's: httpcore.http11 logs raw
# "Set-Cookie: mam_id=..." headers at DEBUG that a filter on "httpcore" alone lets through to any bare handler.
LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "urllib3.connectionpool",  # under qbittorrent-api
)
# Their DEBUG/INFO lines repeat what shelfkeeper.http logs already (redacted, with the service's name).
QUIET_LIBRARY_LOGGERS = ("httpx", "httpcore", "urllib3")


def guard_library_loggers() -> None:
    """Put a SecretFilter on each library logger, and quiet their chatter to WARNING unless a level was set."""
    for name in LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        if not any(isinstance(existing, SecretFilter) for existing in library_logger.filters):
            library_logger.addFilter(SecretFilter(registered_secrets))
    for name in QUIET_LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        if library_logger.level == logging.NOTSET:
            library_logger.setLevel(logging.WARNING)
