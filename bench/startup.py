"""Benchmark: start-up to the first ``200`` from ``/health``, beside a bare FastAPI app served the same way.

Each round restarts ``shelfkeeper serve`` (migrations checked, API key ensured, scheduler started: what a user
runs) on a data directory migrated once beforehand, and a bare FastAPI app with a single ``/health`` route
under the same uvicorn, alternately; the clock runs from the process spawn to the first ``200`` from ``/health``.

Shelfkeeper's modules are compiled to bytecode first, as an installed package's are (pip compiles them) and as
the floor's libraries in site-packages are: with ``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__``, every
start would compile its whole source again, which no installation does.
"""

from __future__ import annotations

import compileall
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.asgi import load, median, percentile

BARE_APP = """
import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""
GOAL_SECONDS = 0.8


@dataclass(frozen=True)
class StartupResult:
    rounds: int
    median_s: float
    p99_s: float
    floor_median_s: float
    floor_p99_s: float
    load_before: str
    load_after: str

    @property
    def ratio(self) -> float:
        return self.median_s / self.floor_median_s


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _time_to_health(command: list[str], port: int, env: dict[str, str], timeout: float = 60.0) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not _healthy(port):
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode} before answering /health")
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{command} did not answer /health within {timeout} s")
            time.sleep(0.005)
        return time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(rounds: int = 7) -> StartupResult:
    source = str(Path(__file__).resolve().parents[1] / "src")
    compileall.compile_dir(source, quiet=1)
    base_env = {**os.environ, "PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", "")}
    app_samples: list[float] = []
    floor_samples: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        env = {**base_env, "DATA_DIR": directory, "API_KEY": "bench-key", "LOG_LEVEL": "WARNING"}
        subprocess.run([sys.executable, "-m", "shelfkeeper", "db", "upgrade"], env=env, check=True, capture_output=True)
        load_before = load()
        for round_number in range(rounds):
            port = _free_port()
            app = ([sys.executable, "-m", "shelfkeeper", "serve", "--port", str(port)], port, env)
            bare_port = _free_port()
            bare = ([sys.executable, "-c", BARE_APP.replace("{port}", str(bare_port))], bare_port, base_env)
            first, second = (app, bare) if round_number % 2 == 0 else (bare, app)
            for command, listen, environment in (first, second):
                elapsed = _time_to_health(command, listen, environment)
                (app_samples if command is app[0] else floor_samples).append(elapsed)
    return StartupResult(
        rounds,
        median(app_samples),
        percentile(app_samples, 0.99),
        median(floor_samples),
        percentile(floor_samples, 0.99),
        load_before,
        load(),
    )


def markdown(result: StartupResult) -> str:
    met = "yes" if result.median_s < GOAL_SECONDS else "**no**"
    return "\n".join(
        [
            f"## Start-up to `/health` (goal: under {GOAL_SECONDS:g} s)",
            "",
            "bench/startup.py: `shelfkeeper serve` restarted on a migrated data directory against a bare FastAPI "
            f"app with one route under the same uvicorn, {result.rounds} interleaved rounds, from spawning the "
            f"process to the first 200. Load average (1/5/15 min) {result.load_before} before, "
            f"{result.load_after} after.",
            "",
            "| start-up | median s | p99 s | floor (bare FastAPI) median s | floor p99 s | ratio | goal met |",
            "|---|---:|---:|---:|---:|---:|---|",
            f"| `shelfkeeper serve` to `/health` | {result.median_s:.2f} | {result.p99_s:.2f} | "
            f"{result.floor_median_s:.2f} | {result.floor_p99_s:.2f} | {result.ratio:.1f}× | {met} |",
            "",
        ]
    )


if __name__ == "__main__":  # python -m bench.startup
    sys.stdout.write(markdown(run()))
