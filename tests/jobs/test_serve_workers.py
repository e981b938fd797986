"""`shelfkeeper serve --workers 4` on PostgreSQL: one scheduler runner, and a triggered job runs once."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import func, select

from shelfkeeper.db.tables import Task
from shelfkeeper.jobs.leases import SCHEDULER_LEASE, LeaseManager
from shelfkeeper.testing.server import free_port

KEY = "serve-workers-test-key"


def wait_until(check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def test_four_workers_one_runner_and_one_run_per_trigger(engine, sessions, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("several server processes sharing one database: the PostgreSQL deployment")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "API_KEY": KEY,
        "DATA_DIR": str(tmp_path),
        "RUNNER_LEASE_SECONDS": "5",
        "LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "shelfkeeper", "serve", "--workers", "4", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"X-Api-Key": KEY}
    try:
        assert wait_until(lambda: httpx.get(f"{base}/health").status_code == 200, 180), "server did not start"
        leases = LeaseManager(sessions)
        assert wait_until(lambda: leases.current(SCHEDULER_LEASE) is not None, 90)
        leaders = {
            httpx.get(f"{base}/api/scheduler/status", headers=headers).json()["data"]["leader"] for _ in range(20)
        }
        assert len(leaders) == 1  # every worker names the same single runner

        answer = httpx.post(f"{base}/api/scheduler/trigger/cleanup_old_tasks", headers=headers)
        assert answer.status_code == 202
        task_id = answer.json()["data"]["task_id"]
        assert wait_until(
            lambda: (
                httpx.get(f"{base}/api/scheduler/history/{task_id}", headers=headers).json()["data"]["status"]
                == "success"
            ),
            90,
        )
        time.sleep(1.0)  # room for a duplicate run to appear, if one were going to
        with sessions() as session:
            runs = session.scalar(select(func.count(Task.id)).where(Task.name == "cleanup_old_tasks"))
        assert runs == 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
