"""gunicorn under the load benchmark: start and stop it, and count the CPU it and the
database's backends spend (figures that hold however busy the shared cores are)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.client import get

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


@dataclass(frozen=True)
class Config:
    """One way of running gunicorn: its worker arguments and DB_CONN_MAX_AGE."""

    name: str
    args: tuple[str, ...]
    conn_max_age: int
    why: str


# --- gunicorn ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    port: int
    pid: int


@contextmanager
def gunicorn(config: Config, *, log: Path) -> Iterator[Server]:
    port = free_port()
    argv = [
        str(GUNICORN),
        "accelerator.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--preload",
        *config.args,
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    env = {**os.environ, "DB_CONN_MAX_AGE": str(config.conn_max_age)}
    log.parent.mkdir(parents=True, exist_ok=True)
    # gunicorn's error log and Django's console logging (tracebacks) both go to stderr.
    with log.open("w") as sink:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{tail(log)}")
            try:
                status, _headers, body = get(port, "/healthz")
                if status == 200:
                    break
                raise RuntimeError(f"/healthz answered {status}: {body[:300]}")
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{tail(log)}") from None
                time.sleep(0.3)
        yield Server(port=port, pid=process.pid)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # graceful: the arbiter stops its workers
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text().splitlines()[-lines:])
    except OSError:
        return ""


# --- CPU accounting: figures that do not depend on what else the 2 cores are doing ------


def cpu_seconds(server: Server, database: str) -> tuple[dict[int, float], dict[int, float]]:
    """CPU seconds so far of gunicorn's processes and of the database's backends, by pid."""
    try:
        arbiter = psutil.Process(server.pid)
        app = [arbiter, *arbiter.children(recursive=True)]
    except psutil.NoSuchProcess:
        app = []
    marker = f" {database} "  # backends are titled "postgres: 15/main: USER DB HOST STATE"
    db = [
        process
        for process in psutil.process_iter(["cmdline"])
        if marker in " ".join(process.info["cmdline"] or []) + " "
    ]
    return _times(app), _times(db)


def _times(processes: list[psutil.Process]) -> dict[int, float]:
    times = {}
    for process in processes:
        try:
            cpu = process.cpu_times()
        except psutil.Error:
            continue
        times[process.pid] = cpu.user + cpu.system
    return times


def wait_idle(server: Server, database: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = sum(cpu_seconds(server, database)[0].values())
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = sum(cpu_seconds(server, database)[0].values())
        if now - last < 0.01:  # under 4 % of one core: nothing left in flight
            return
        last = now


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    # Processes that exited in between (DB_CONN_MAX_AGE=0 backends) are not counted.
    return sum(max(t - before.get(pid, 0.0), 0.0) for pid, t in after.items())
