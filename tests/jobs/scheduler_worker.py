"""A process that competes for the scheduler lease (run by test_single_runner.py): prints when it leads."""

import asyncio
import sys
from pathlib import Path

from shelfkeeper.context import AppContext
from shelfkeeper.jobs.registry import default_jobs
from shelfkeeper.jobs.runner import JobRunner
from shelfkeeper.jobs.scheduler import SchedulerService
from shelfkeeper.settings import Settings


async def main(url: str, data_dir: str) -> None:
    settings = Settings(database_url=url, data_dir=Path(data_dir), api_key="k", _env_file=None)
    service = SchedulerService(
        JobRunner(AppContext.from_settings(settings), default_jobs()), lease_seconds=2.0, poll_seconds=0.3
    )
    was_leader = False
    while True:
        await service.tick()
        if service.is_leader != was_leader:
            was_leader = service.is_leader
            print("LEADER" if was_leader else "FOLLOWER", flush=True)
        await asyncio.sleep(service.poll_seconds)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
