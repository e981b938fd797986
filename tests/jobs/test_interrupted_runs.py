"""kill -9 during a run, then a restart: the run is marked interrupted at once, retried at once, and free to trigger.

The job's lock is held for 600 s by the killed process; nothing here waits for it to lapse. The test's clock
starts at the real time and never moves, so every recovery below comes from seeing that the holder is gone.
"""

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from shelfkeeper.automation.run_context import JobResult
from shelfkeeper.db.tables import Task
from shelfkeeper.jobs.registry import JobSpec
from shelfkeeper.jobs.runner import JobRunner, job_lock
from shelfkeeper.jobs.scheduler import SchedulerService
from tests.jobs.clock import FakeClock

WORKER = Path(__file__).with_name("hanging_job_worker.py")
ROOT = Path(__file__).resolve().parents[2]


async def quick(run):
    result = JobResult()
    result.add("done", 1)
    return result


def tasks(sessions):
    with sessions() as session:
        return list(session.scalars(select(Task).order_by(Task.id)))


@pytest.fixture
def killed_run(engine, tmp_path):
    """The Task id of a run whose process was killed with SIGKILL while the job ran."""
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), url, str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        line = worker.stdout.readline()  # blocks until the job runs (or the worker dies: an empty line)
        assert line.startswith("RUNNING "), line
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
    return int(line.split()[1])


def make_runner(context):
    clock = FakeClock(datetime.now(UTC))
    return JobRunner(context, {"demo": JobSpec("demo", "quick", quick, lock_seconds=600)}, clock=clock), clock


def test_the_new_leader_marks_it_interrupted_and_retries_it_at_once(context, sessions, killed_run):
    runner, _clock = make_runner(context)
    assert runner.leases.current(job_lock("demo")) is not None  # the dead process's lock is still "live"
    scheduler = SchedulerService(runner, lease_seconds=30)

    async def start_up():
        await scheduler.tick()  # takes the scheduler lease, then recovers and dispatches
        await runner.wait_idle()
        await scheduler.stop()

    asyncio.run(start_up())
    interrupted, retry = tasks(sessions)
    assert interrupted.id == killed_run
    assert interrupted.status == "interrupted" and "stopped before it finished" in interrupted.error
    assert interrupted.finished_at is not None
    assert retry.trigger == "retry" and retry.attempt == 2 and retry.status == "success"
    assert retry.counts == {"done": 1}
    assert retry.started_at - interrupted.finished_at <= timedelta(seconds=30)


def test_a_manual_trigger_is_accepted_at_once(context, sessions, killed_run):
    runner, _clock = make_runner(context)

    async def trigger():
        task_id = await runner.trigger("demo")
        await runner.wait_idle()
        return task_id

    task_id = asyncio.run(trigger())
    rows = {row.id: row for row in tasks(sessions)}
    assert rows[killed_run].status == "interrupted"
    assert rows[task_id].status == "success" and rows[task_id].trigger == "manual"
