"""Scheduler endpoints: trigger, history, jobs, schedule changes, pause/resume, running, status, cleanup."""

import time

from shelfkeeper.jobs.leases import LeaseManager
from shelfkeeper.jobs.runner import job_lock


def wait_finished(client, task_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/api/scheduler/history/{task_id}").json()["data"]
        if task["status"] in ("success", "failed"):
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish")


def test_trigger_returns_a_task_that_finishes_with_counts(client):
    answer = client.post("/api/scheduler/trigger/cleanup_old_tasks")
    assert answer.status_code == 202
    task_id = answer.json()["data"]["task_id"]
    task = wait_finished(client, task_id)
    assert task["status"] == "success" and task["trigger"] == "manual"
    assert set(task["counts"]) == {"tasks_deleted", "corrections_deleted", "cache_entries_deleted"}
    assert task["duration_seconds"] is not None
    history = client.get("/api/scheduler/history", params={"name": "cleanup_old_tasks"}).json()["data"]
    assert history["total"] == 1 and history["items"][0]["id"] == task_id


def test_trigger_unknown_job_is_404(client):
    answer = client.post("/api/scheduler/trigger/nope")
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "JOB_NOT_FOUND"
    assert "cleanup_old_tasks" in answer.json()["error"]


def test_trigger_while_running_is_409(client, sessions):
    LeaseManager(sessions).acquire(job_lock("cleanup_old_tasks"), "another-process", 60, task_id=99)
    answer = client.post("/api/scheduler/trigger/cleanup_old_tasks")
    assert answer.status_code == 409
    assert answer.json()["error_code"] == "JOB_ALREADY_RUNNING"
    assert answer.json()["details"] == {"task_id": 99}
    job = client.get("/api/scheduler/jobs/cleanup_old_tasks").json()["data"]
    assert job["running"] is True and job["running_task_id"] == 99


def test_jobs_list_and_one_job(client):
    jobs = client.get("/api/scheduler/jobs").json()["data"]
    names = [j["name"] for j in jobs]
    assert "cleanup_old_tasks" in names
    job = client.get("/api/scheduler/jobs/cleanup_old_tasks").json()["data"]
    assert job["schedule"] == "0 1 * * *" and job["enabled"] is True and job["next_run_at"].endswith("01:00:00Z")
    assert client.get("/api/scheduler/jobs/nope").json()["error_code"] == "JOB_NOT_FOUND"


def test_change_schedule_pause_resume_and_reset(client):
    changed = client.put("/api/scheduler/jobs/cleanup_old_tasks", json={"schedule": "30 2 * * *"})
    assert changed.status_code == 200
    assert changed.json()["data"]["schedule"] == "30 2 * * *" and changed.json()["data"]["overridden"] is True
    assert changed.json()["data"]["next_run_at"].endswith("02:30:00Z")
    paused = client.post("/api/scheduler/jobs/cleanup_old_tasks/pause").json()["data"]
    assert paused["enabled"] is False and paused["next_run_at"] is None
    resumed = client.post("/api/scheduler/jobs/cleanup_old_tasks/resume").json()["data"]
    assert resumed["enabled"] is True and resumed["schedule"] == "30 2 * * *"
    reset = client.put("/api/scheduler/jobs/cleanup_old_tasks", json={"reset_schedule": True}).json()["data"]
    assert reset["schedule"] == "0 1 * * *" and reset["overridden"] is False


def test_bad_schedule_is_422_naming_it(client):
    answer = client.put("/api/scheduler/jobs/cleanup_old_tasks", json={"schedule": "61 * * * * *"})
    assert answer.status_code == 422
    assert answer.json()["error_code"] == "VALIDATION_ERROR"
    assert "schedule" in answer.json()["error"]
    unknown_field = client.put("/api/scheduler/jobs/cleanup_old_tasks", json={"cron": "0 1 * * *"})
    assert unknown_field.status_code == 422


def test_running_and_status(client):
    assert client.get("/api/scheduler/running").json()["data"] == []
    status = client.get("/api/scheduler/status").json()["data"]
    assert status["is_leader"] is False  # the test app does not run the scheduler
    assert status["jobs"] >= 1 and status["running_tasks"] == []


def test_system_cleanup_runs_now_and_reports(client):
    answer = client.post("/api/system/cleanup")
    assert answer.status_code == 200
    task = answer.json()["data"]
    assert task["name"] == "cleanup_old_tasks" and task["status"] == "success"
    assert task["counts"]["tasks_deleted"] == 0


def test_a_schedule_that_never_fires_is_422_with_the_reason(client):
    answer = client.put("/api/scheduler/jobs/cleanup_old_tasks", json={"schedule": "0 0 31 2 *"})
    assert answer.status_code == 422 and answer.json()["error_code"] == "VALIDATION_ERROR"
    assert "never fires" in answer.json()["error"]
    assert client.get("/api/scheduler/jobs/cleanup_old_tasks").json()["data"]["schedule"] == "0 1 * * *"
    leap_day = client.put("/api/scheduler/jobs/cleanup_old_tasks", json={"schedule": "0 0 29 2 *"})
    assert leap_day.status_code == 200 and "-02-29T00:00:00" in leap_day.json()["data"]["next_run_at"]


def test_a_schedule_change_answers_the_new_next_run_while_the_scheduler_holds_the_old_one(client):
    client.app.load_route_areas()  # the scheduler comes with them (no request has needed them yet)
    scheduler = client.app.state.context.job_scheduler()
    client.portal.call(scheduler.tick)  # leader: the job store holds each job's next run at 01:00
    try:
        before = client.get("/api/scheduler/jobs/cleanup_old_tasks").json()["data"]
        assert before["next_run_at"].endswith("01:00:00Z")
        changed = client.put("/api/scheduler/jobs/cleanup_old_tasks", json={"schedule": "45 3 * * *"})
        assert changed.json()["data"]["next_run_at"].endswith("03:45:00Z")
        client.portal.call(scheduler.tick)  # applied: the store now agrees
        assert client.get("/api/scheduler/jobs/cleanup_old_tasks").json()["data"]["next_run_at"].endswith("03:45:00Z")
    finally:
        client.portal.call(scheduler.stop)
