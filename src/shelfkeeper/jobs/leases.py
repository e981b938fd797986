"""Named leases in the database: one holder at a time, taken over when the holder stops renewing.

The scheduler's single runner and the per-job "already running" lock are both leases. A lease row is
taken with one conditional UPDATE (free, expired, or already ours) or, the first time, an INSERT that the
primary key makes exclusive; both are atomic on SQLite and on PostgreSQL, across processes and hosts.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import Lease

SCHEDULER_LEASE = "__scheduler__"


def process_identity() -> str:
    """Who holds a lease: host, process id and a random tag (a restarted process is someone new)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_gone(holder: str, me: str) -> bool:
    """Whether the process named in a lease holder ("host:pid:tag[/run]") has surely stopped.

    Only a process on this host can be checked: its pid is no longer alive, or it is our own pid under
    another tag (a container restarted with the same pid). Anything else is left to lease expiry.
    """
    host, _, rest = holder.partition(":")
    pid_text, _, tag = rest.partition(":")
    my_host, _, my_rest = me.partition(":")
    if host != my_host or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return tag.split("/", 1)[0] != my_rest.partition(":")[2]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


def utc_now() -> datetime:
    return datetime.now(UTC)


class LeaseManager:
    """Acquire, renew and release leases; ``clock`` is injectable so tests control time."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utc_now) -> None:
        self.sessions = sessions
        self.clock = clock

    def acquire(self, name: str, holder: str, seconds: float, *, task_id: int | None = None) -> bool:
        """Take or renew ``name`` for ``seconds``; False when someone else holds it and it has not expired."""
        now = self.clock()
        expires = now + timedelta(seconds=seconds)
        with unit_of_work(self.sessions) as session:
            result = session.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.expires_at < now, Lease.holder == holder))
                .values(holder=holder, acquired_at=now, expires_at=expires, task_id=task_id)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                return True
        try:
            with unit_of_work(self.sessions) as session:
                session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=expires, task_id=task_id))
            return True
        except IntegrityError:
            return False

    def renew(self, name: str, holder: str, seconds: float) -> bool:
        """Extend a lease we hold; False when it was lost (expired and taken by another)."""
        now = self.clock()
        with unit_of_work(self.sessions) as session:
            result = session.execute(
                update(Lease)
                .where(Lease.name == name, Lease.holder == holder)
                .values(expires_at=now + timedelta(seconds=seconds))
                .execution_options(synchronize_session=False)
            )
            return getattr(result, "rowcount", 0) == 1

    def release(self, name: str, holder: str) -> None:
        with unit_of_work(self.sessions) as session:
            session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))

    def current(self, name: str) -> Lease | None:
        """The live lease on ``name`` (None when free or expired)."""
        with self.sessions() as session:
            lease = session.scalar(select(Lease).where(Lease.name == name))
            if lease is None or lease.expires_at < self.clock():
                return None
            session.expunge(lease)
            return lease

    def live(self, prefix: str = "") -> list[Lease]:
        """Every unexpired lease whose name starts with ``prefix``."""
        with self.sessions() as session:
            rows = session.scalars(
                select(Lease).where(Lease.name.startswith(prefix), Lease.expires_at >= self.clock())
            ).all()
            for row in rows:
                session.expunge(row)
            return list(rows)
