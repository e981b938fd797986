"""Four processes on one PostgreSQL database: one runs the scheduler; killing it hands over the lease."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shelfkeeper.jobs.leases import SCHEDULER_LEASE, LeaseManager

WORKER = Path(__file__).with_name("scheduler_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def leader_pid(leases):
    lease = leases.current(SCHEDULER_LEASE)
    return int(lease.holder.split(":")[1]) if lease else None


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return None


def test_one_runner_and_takeover(engine, sessions, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("the multi-process runner test is a PostgreSQL test; SQLite's lease is the same code")
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    # Each worker's lines as they come: a worker prints LEADER after its tick that took the lease returns.
    printed: dict[int, list[str]] = {w.pid: [] for w in workers}
    readers = [
        threading.Thread(target=lambda w=w: printed[w.pid].extend(iter(w.stdout.readline, "")), daemon=True)
        for w in workers
    ]
    for reader in readers:
        reader.start()
    try:
        leases = LeaseManager(sessions)
        first = wait_for(lambda: leader_pid(leases), 90)  # four interpreters starting on a busy machine
        assert first in {w.pid for w in workers}
        time.sleep(1.5)  # several lease periods of renewals: the leader stays the same
        assert leader_pid(leases) == first
        killed = next(w for w in workers if w.pid == first)
        killed.send_signal(signal.SIGKILL)
        killed.wait(5)
        # Taken over once the 2 s lease lapses; the wait is generous so a busy machine does not fail it.
        second = wait_for(lambda: (pid := leader_pid(leases)) and pid != first and pid, 90)
        assert second in {w.pid for w in workers if w is not killed}
        assert wait_for(lambda: "LEADER\n" in printed[second], 60), "the successor says it leads"
        assert leader_pid(leases) == second  # and keeps the lease
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(5)
    for reader in readers:
        reader.join(timeout=10)
    errors = [w.stderr.read() for w in workers]
    assert not any("Traceback" in e for e in errors), errors
    leads = sum(lines.count("LEADER\n") for lines in printed.values())
    assert leads == 2  # the first leader, then exactly one successor
