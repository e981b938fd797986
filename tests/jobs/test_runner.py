"""The job runner: one Task per run, no second run while one is going, retries with backoff, recovery."""

import asyncio

import pytest
from sqlalchemy import select

from shelfkeeper.automation.run_context import JobResult
from shelfkeeper.db.tables import Task
from shelfkeeper.errors import Conflict, NotFound
from shelfkeeper.jobs.leases import LeaseManager
from shelfkeeper.jobs.registry import JobSpec
from shelfkeeper.jobs.runner import JobRunner, job_lock
from tests.jobs.clock import FakeClock


def tasks(sessions):
    with sessions() as session:
        return list(session.scalars(select(Task).order_by(Task.id)))


class Recorder:
    def __init__(self, fail_times=0):
        self.calls = []
        self.fail_times = fail_times
        self.release = asyncio.Event()
        self.block = False

    async def __call__(self, run):
        self.calls.append((run.task_id, run.trigger, dict(run.parameters)))
        if self.block:
            await self.release.wait()
        if len(self.calls) <= self.fail_times:
            raise RuntimeError(f"boom {len(self.calls)}")
        result = JobResult()
        result.add("seen", 3)
        result.metrics["note"] = "ok"
        return result


def make_runner(context, job, clock):
    return JobRunner(context, {"demo": JobSpec("demo", "a test job", job)}, clock=clock)


def test_trigger_creates_exactly_one_task_with_counts(context, sessions):
    clock, job = FakeClock(), Recorder()
    runner = make_runner(context, job, clock)

    async def scenario():
        task_id = await runner.trigger("demo", parameters={"dry_run": True})
        await runner.wait_idle()
        return task_id

    task_id = asyncio.run(scenario())
    rows = tasks(sessions)
    assert [r.id for r in rows] == [task_id]
    assert rows[0].status == "success" and rows[0].trigger == "manual"
    assert rows[0].counts == {"seen": 3} and rows[0].metrics == {"note": "ok"}
    assert rows[0].parameters == {"dry_run": True}
    assert job.calls == [(task_id, "manual", {"dry_run": True})]
    assert LeaseManager(sessions, clock).current(job_lock("demo")) is None


def test_a_running_job_is_not_started_twice(context, sessions):
    clock, job = FakeClock(), Recorder()
    job.block = True
    runner = make_runner(context, job, clock)

    async def scenario():
        first = await runner.trigger("demo")
        await asyncio.sleep(0)
        with pytest.raises(Conflict) as caught:
            await runner.trigger("demo")
        job.release.set()
        await runner.wait_idle()
        return first, caught.value

    first, error = asyncio.run(scenario())
    assert error.code == "JOB_ALREADY_RUNNING"
    assert error.details == {"task_id": first}
    assert len(tasks(sessions)) == 1
    assert len(job.calls) == 1


def test_unknown_job_is_not_found(context):
    runner = make_runner(context, Recorder(), FakeClock())
    with pytest.raises(NotFound) as caught:
        asyncio.run(runner.trigger("nope"))
    assert caught.value.code == "JOB_NOT_FOUND"


def test_failure_is_recorded_and_retried_with_backoff(context, sessions):
    clock, job = FakeClock(), Recorder(fail_times=2)
    runner = make_runner(context, job, clock)
    base = context.settings.job_retry_base_minutes

    async def scenario():
        await runner.trigger("demo")
        await runner.wait_idle()
        assert await runner.dispatch_due_retries() == []  # not due yet
        clock.advance(minutes=base)
        second = await runner.dispatch_due_retries()
        await runner.wait_idle()
        clock.advance(minutes=2 * base - 1)
        assert await runner.dispatch_due_retries() == []
        clock.advance(minutes=1)
        third = await runner.dispatch_due_retries()
        await runner.wait_idle()
        return second, third

    second, third = asyncio.run(scenario())
    rows = tasks(sessions)
    assert [(r.status, r.trigger, r.attempt) for r in rows] == [
        ("failed", "manual", 1),
        ("failed", "retry", 2),
        ("success", "retry", 3),
    ]
    assert "RuntimeError: boom 1" in rows[0].error and "Traceback" in rows[0].traceback
    assert [r.id for r in rows[1:]] == second + third
    assert len(job.calls) == 3


def test_retries_stop_after_the_configured_attempts(context, sessions):
    clock, job = FakeClock(), Recorder(fail_times=100)
    runner = make_runner(context, job, clock)
    attempts = context.settings.job_retry_attempts

    async def scenario():
        await runner.trigger("demo")
        await runner.wait_idle()
        for _ in range(attempts + 2):
            clock.advance(days=1)
            await runner.dispatch_due_retries()
            await runner.wait_idle()

    asyncio.run(scenario())
    rows = tasks(sessions)
    assert len(rows) == attempts + 1
    assert all(r.status == "failed" for r in rows)


def test_a_run_whose_process_died_is_failed_and_retried(context, sessions, session):
    clock, job = FakeClock(), Recorder()
    runner = make_runner(context, job, clock)
    session.add(Task(name="demo", trigger="schedule", status="running", attempt=1, started_at=clock(), parameters={}))
    session.commit()
    assert runner.recover_interrupted() == 0  # still within its lock period: maybe just starting
    clock.advance(minutes=10)
    assert runner.recover_interrupted() == 1
    rows = tasks(sessions)
    assert rows[0].status == "interrupted" and "stopped before it finished" in rows[0].error
    assert rows[1].status == "pending" and rows[1].trigger == "retry" and rows[1].attempt == 2


@pytest.mark.parametrize(("done", "status"), [(0, "failed"), (2, "partial")])
def test_a_run_whose_services_failed_says_so_with_its_error(context, sessions, done, status):
    async def job(run):
        result = JobResult()
        result.add("searched", done)
        result.add("errors", 3)
        result.services_failed("3 requests failed: HTTP 500", done=done)
        return result

    runner = make_runner(context, job, FakeClock())

    async def scenario():
        await runner.trigger("demo")
        await runner.wait_idle()

    asyncio.run(scenario())
    rows = tasks(sessions)
    assert rows[0].status == status and rows[0].error == "3 requests failed: HTTP 500"
    assert rows[0].counts == {"searched": done, "errors": 3}
    retries = [row for row in rows if row.trigger == "retry"]
    assert len(retries) == (1 if status == "failed" else 0)  # a failed run is retried like one that raised


def test_a_failing_job_is_told_once_until_it_works_again(context, sessions):
    from shelfkeeper.db.tables import EventRow

    clock, job = FakeClock(), Recorder(fail_times=2)
    runner = make_runner(context, job, clock)

    async def scenario():
        for _ in range(3):  # fails, fails, works
            await runner.run_now("demo")
        job.fail_times = 10  # fails again
        await runner.run_now("demo")

    asyncio.run(scenario())
    with sessions() as session:
        told = list(session.scalars(select(EventRow).order_by(EventRow.id)))
    assert [event.type for event in told] == ["job_failed", "job_failed"]
    assert "demo ended failed: RuntimeError: boom 1" in told[0].message
    assert told[0].data["details"]["job"] == "demo" and told[0].data["details"]["status"] == "failed"
