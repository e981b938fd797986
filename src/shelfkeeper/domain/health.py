"""Health problems, as Sonarr's System > Health shows them: what is wrong, how bad, and where the fix is explained."""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

TROUBLESHOOTING = "docs/troubleshooting.md"


class Level(enum.StrEnum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class HealthProblem:
    """One problem: ``code`` names the check, ``source`` what it is about (a service, a path, a job)."""

    code: str
    source: str
    level: Level
    message: str
    anchor: str  # the section of docs/troubleshooting.md that explains the fix

    @property
    def key(self) -> str:
        return f"{self.code}:{self.source}"

    @property
    def doc(self) -> str:
        return f"{TROUBLESHOOTING}#{self.anchor}"


@dataclass(frozen=True)
class HealthChange:
    found: list[HealthProblem]
    resolved: list[HealthProblem]


def changes(before: Sequence[HealthProblem], after: Sequence[HealthProblem]) -> HealthChange:
    """What a new check found that the last one did not, and what it no longer finds."""
    old = {problem.key: problem for problem in before}
    new = {problem.key: problem for problem in after}
    return HealthChange(
        found=[problem for key, problem in new.items() if key not in old],
        resolved=[problem for key, problem in old.items() if key not in new],
    )


class TokenKind(enum.StrEnum):
    API_KEY = "api_key"  # Audiobookshelf 2.26+ API key: does not expire unless its creator set an expiry
    ACCESS_TOKEN = "access_token"  # from /login: expires (an hour by default)
    LEGACY = "legacy"  # the old per-user token: never expires
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TokenFacts:
    kind: TokenKind
    expires_at: datetime | None


def token_facts(token: str) -> TokenFacts:
    """Read (never verify) an Audiobookshelf JWT's payload: which kind of token it is and when it expires."""
    parts = token.split(".")
    if len(parts) != 3:
        return TokenFacts(TokenKind.UNKNOWN, None)
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return TokenFacts(TokenKind.UNKNOWN, None)
    if not isinstance(claims, dict):
        return TokenFacts(TokenKind.UNKNOWN, None)
    expiry = claims.get("exp")
    expires_at = datetime.fromtimestamp(expiry, UTC) if isinstance(expiry, int | float) else None
    kind = {"api": TokenKind.API_KEY, "access": TokenKind.ACCESS_TOKEN}.get(str(claims.get("type")), TokenKind.LEGACY)
    return TokenFacts(kind, expires_at)
