"""Daily request budgets and remembered integration state (MAM's rotated cookie) in the database."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shelfkeeper.db.session import unit_of_work
from shelfkeeper.db.tables import ServiceBudget, ServiceState
from shelfkeeper.errors import QuotaExhausted


class DatabaseBudgetStore:
    """A ``BudgetStore`` shared by every process: one row per service and UTC day, bumped atomically."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    async def consume(self, service: str, day: date, limit: int) -> int:
        return await asyncio.to_thread(self._consume, service, day.isoformat(), limit)

    async def remaining(self, service: str, day: date, limit: int) -> int:
        return await asyncio.to_thread(self._remaining, service, day.isoformat(), limit)

    def _consume(self, service: str, day: str, limit: int) -> int:
        for _ in range(3):  # later passes cover another process creating the day's row at the same moment
            with unit_of_work(self.sessions) as session:
                bumped = session.execute(
                    update(ServiceBudget)
                    .where(ServiceBudget.service == service, ServiceBudget.day == day, ServiceBudget.used < limit)
                    .values(used=ServiceBudget.used + 1)
                    .returning(ServiceBudget.used)
                ).scalar_one_or_none()
                if bumped is not None:
                    return limit - bumped
                used = session.scalar(
                    select(ServiceBudget.used).where(ServiceBudget.service == service, ServiceBudget.day == day)
                )
                if used is not None and used < limit:
                    continue  # the row was committed between the two statements (PostgreSQL): bump it now
                if used is not None:
                    raise QuotaExhausted(
                        service,
                        f"daily request budget of {limit} used up for {day} (UTC)",
                        details={"limit": limit, "day": day},
                    )
            try:
                with unit_of_work(self.sessions) as session:
                    session.add(ServiceBudget(service=service, day=day, used=1))
                return limit - 1
            except IntegrityError:
                continue
        raise QuotaExhausted(service, "daily request budget could not be reserved", details={"day": day})

    def _remaining(self, service: str, day: str, limit: int) -> int:
        with self.sessions() as session:
            used = session.scalar(
                select(ServiceBudget.used).where(ServiceBudget.service == service, ServiceBudget.day == day)
            )
        return max(0, limit - (used or 0))


class ServiceStateStore:
    """Small per-service memory (a rotated cookie, the last account stats), kept across restarts."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, service: str) -> dict[str, Any]:
        with self.sessions() as session:
            row = session.get(ServiceState, service)
            return dict(row.data) if row else {}

    def update(self, service: str, **values: Any) -> None:
        with unit_of_work(self.sessions) as session:
            row = session.get(ServiceState, service)
            if row is None:
                session.add(ServiceState(service=service, data=values))
            else:
                row.data = {**row.data, **values}

    async def aupdate(self, service: str, **values: Any) -> None:
        await asyncio.to_thread(lambda: self.update(service, **values))
