"""A real Celery grading worker for the round-trip and browser tests (not a test module).

``grading_worker`` starts ``celery -A accelerator worker -Q grading-cpu,default --pool solo``
once per test session, pointed at the test database pytest-django created and at the
broker the tests use (settings.CELERY_BROKER_URL: run the grading tests with
``CELERY_BROKER_URL=redis://127.0.0.1:6379/<your db>``, a Redis database no other worker
consumes). It waits until the worker's sandbox is warm, so the tests measure grading, not
start-up. Test modules import the fixture; a session singleton makes them share one
worker, stopped before pytest-django tears the test database down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
# Printed by grading.tasks.warm_sandbox once the worker's sandbox answered its self-test.
WARM = "grading sandbox warm"
START_TIMEOUT_S = 120


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], log: Path):
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"the grading worker died:\n{self.output()[-4000:]}"


_worker: Worker | None = None
_users = 0


def _start(database: str) -> Worker:
    db = settings.DATABASES["default"]
    url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"
        if db["ENGINE"].endswith("postgresql")
        else f"sqlite:///{database}"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TEST_DATABASE_NAME": "",
        "PYTHONUNBUFFERED": "1",
    }
    log = Path(tempfile.mkstemp(prefix="grading-worker-", suffix=".log")[1])
    process = subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "accelerator",
            "worker",
            "-Q",
            "grading-cpu,default",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "-n",
            f"test-grading-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so stopping it reaches the sandbox processes too
    )
    worker = Worker(process, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while WARM not in worker.output():
        worker.assert_alive()
        if time.monotonic() > deadline:
            _stop(worker)
            pytest.fail(f"the grading worker did not warm up:\n{worker.output()[-4000:]}")
        time.sleep(0.1)
    return worker


def _stop(worker: Worker) -> None:
    if worker.process.poll() is None:
        os.killpg(worker.process.pid, signal.SIGTERM)
        try:
            worker.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait()
    worker.log.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def grading_worker(django_db_setup: None, django_db_blocker: object) -> Iterator[Worker]:
    global _worker, _users
    if _worker is None:
        _worker = _start(connection.settings_dict["NAME"])
    _users += 1
    yield _worker
    _users -= 1
    # Each importing module has its own session fixture; the last to finish stops it, before
    # django_db_setup's teardown (both depend on it) drops the test database.
    if _users == 0:
        _stop(_worker)
        _worker = None
