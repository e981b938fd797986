"""A process that starts the job "demo", prints its Task id and hangs in it (killed by test_interrupted_runs.py)."""

import asyncio
import sys
from pathlib import Path

from shelfkeeper.context import AppContext
from shelfkeeper.jobs.registry import JobSpec
from shelfkeeper.jobs.runner import JobRunner
from shelfkeeper.settings import Settings


async def hang(run):
    print(f"RUNNING {run.task_id}", flush=True)
    await asyncio.Event().wait()


async def main(url: str, data_dir: str) -> None:
    settings = Settings(database_url=url, data_dir=Path(data_dir), api_key="k", run_scheduler=False, _env_file=None)
    runner = JobRunner(AppContext.from_settings(settings), {"demo": JobSpec("demo", "hangs", hang, lock_seconds=600)})
    await runner.trigger("demo")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
