"""``python manage.py bench_grading [--n 30] [--slug multi-head-attention]``

Measures submit → verdict through the real path and beside it a naive grader:

- **real path**: a gunicorn server and a Celery worker started here (subprocesses, on
  loopback), bench learners with API tokens; each passing solution is POSTed to
  ``/api/challenges/<slug>/submissions``, goes through Redis to the worker, whose warm
  sandbox grades it, and is polled at ``GET /api/submissions/<id>`` until final. First one
  at a time (latency), then all at once (throughput).
- **naive**: a fresh ``python -m pytest`` process per submission that imports torch and runs
  the same checks in-process (``grading.challenges.inprocess``), one test per check.

Needs the settings' database migrated and loaded (``migrate``, ``load_content``) and a Redis
broker (``CELERY_BROKER_URL=redis://…``) that no other worker consumes. Bench learners are
deleted afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from accounts.tokens import create_token
from curriculum.models import Challenge
from grading.challenges import get_spec

REPO = Path(settings.BASE_DIR)
SOLUTIONS = REPO / "tests" / "grading" / "solutions"
BIN = Path(sys.executable).parent
FINAL = ("pass", "fail", "error")

NAIVE_TEST = textwrap.dedent(
    '''
    """One submission graded the naive way: this fresh process imports torch and the
    challenge's checks, imports the learner's module in-process and runs each check."""
    import os
    from pathlib import Path

    import numpy as np
    import pytest
    import torch  # noqa: F401  (what every naive grader pays for first)

    from grading.challenges import get_spec
    from grading.challenges.inprocess import import_source, run_probe

    SPEC = get_spec(os.environ["BENCH_SLUG"])
    SOURCE = Path(os.environ["BENCH_SOURCE"]).read_text(encoding="utf-8")


    @pytest.fixture(scope="module")
    def module(tmp_path_factory):
        return import_source(SOURCE, tmp_path_factory.mktemp("submission"))


    @pytest.mark.parametrize("check", SPEC.checks, ids=[c.name for c in SPEC.checks])
    def test_check(module, check):
        probes = list(check.build(np.random.default_rng()))
        outcome = check.judge(probes, [run_probe(module, p) for p in probes])
        assert outcome.status == "pass", outcome.message
    '''
)


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # client: POST sent → final seen
    server: list[float] = field(default_factory=list)  # server: created_at → finished_at
    waiting: list[float] = field(default_factory=list)  # created_at → started_at (queue)
    failures: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def summary(self) -> dict[str, float]:
        values = sorted(self.latencies)
        if not values:
            return {}
        return {
            "n": len(values),
            "p50_s": percentile(values, 50),
            "p95_s": percentile(values, 95),
            "mean_s": statistics.fmean(values),
            "max_s": values[-1],
            "throughput_per_s": len(values) / self.wall_s if self.wall_s else 0.0,
            "server_p50_s": percentile(sorted(self.server), 50) if self.server else 0.0,
            "queue_wait_p50_s": percentile(sorted(self.waiting), 50) if self.waiting else 0.0,
        }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, round(pct / 100 * len(values) + 0.5 - 1e-9))
    return values[min(rank, len(values)) - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Api:
    """A keep-alive HTTP client for one bench learner (one per thread)."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return json.loads(payload)

    def grade(self, slug: str, source: str, poll_s: float) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        created = self.call("POST", f"/api/challenges/{slug}/submissions", {"source": source})
        path = f"/api/submissions/{created['id']}"
        while True:
            data = self.call("GET", path)
            if data["status"] in FINAL:
                return time.perf_counter() - started, data
            time.sleep(poll_s)

    def close(self) -> None:
        self.conn.close()


class Command(BaseCommand):
    help = "Benchmark submit → verdict through HTTP → Redis → a real worker, beside a naive grader."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--n", type=int, default=30, help="submissions per measurement")
        parser.add_argument("--slug", default="multi-head-attention")
        parser.add_argument("--solution", help="a passing solution (default: the test fixture)")
        parser.add_argument("--naive-n", type=int, help="naive runs (default: --n)")
        parser.add_argument("--poll-ms", type=int, default=10, help="client polling interval")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["slug"]
        n: int = options["n"]
        naive_n: int = options["naive_n"] if options["naive_n"] is not None else n
        source = self._preflight(slug, options.get("solution"), n)
        self.log = options["json"] is False
        poll_s = options["poll_ms"] / 1000

        # Unmeasured submissions first: they warm the worker's sandbox path and, with luck
        # on which process accepts them, every gunicorn worker (the first submit in a web
        # process imports the challenge registry, and with it torch).
        warmup = 2 * options["web_workers"] + 1
        tag = uuid.uuid4().hex[:8]
        learners = [
            User.objects.create_user(
                username=f"bench-{tag}-{i}", email=f"bench-{tag}-{i}@bench.invalid"
            )
            for i in range(warmup + 2 * n)
        ]
        tokens = [create_token(user=learner) or "" for learner in learners]
        try:
            with self._worker(), self._server(options["web_workers"]) as port:
                self._say(f"warming up with {warmup} submissions…")
                for token in tokens[:warmup]:
                    self._one(port, token, slug, source, poll_s)
                self._say(f"{n} submissions one at a time…")
                sequential = self._sequential(
                    port, tokens[warmup : warmup + n], slug, source, poll_s
                )
                self._say(f"{n} submissions at once…")
                burst = self._burst(port, tokens[warmup + n :], slug, source, poll_s)
            self._say(f"{naive_n} naive runs (fresh python + pytest each)…")
            naive = self._naive(slug, source, naive_n)
        finally:
            User.objects.filter(pk__in=[u.pk for u in learners]).delete()

        figures = {
            "slug": slug,
            "checks": len(get_spec(slug).checks),  # type: ignore[union-attr]
            "cpus": os.cpu_count(),
            "real_sequential": sequential.summary(),
            "real_burst": burst.summary(),
            "naive": naive.summary(),
            "failures": sequential.failures + burst.failures + naive.failures,
        }
        real_p50 = figures["real_sequential"].get("p50_s", 0.0)
        naive_p50 = figures["naive"].get("p50_s", 0.0)
        figures["ratio_p50"] = real_p50 / naive_p50 if naive_p50 else None
        figures["target_met"] = bool(
            real_p50
            and real_p50 <= 0.3
            and figures["ratio_p50"] is not None
            and figures["ratio_p50"] <= 0.1
            and not figures["failures"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
        else:
            self._table(figures, n)
        if figures["failures"]:
            raise CommandError(
                "some benchmark submissions did not pass: " + "; ".join(figures["failures"][:3])
            )

    # --- set-up -----------------------------------------------------------------------------

    def _preflight(self, slug: str, solution: str | None, n: int) -> str:
        if n < 1:
            raise CommandError("--n must be at least 1", returncode=2)
        if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
            raise CommandError(
                "The benchmark measures the real path through Redis: set "
                "CELERY_BROKER_URL=redis://127.0.0.1:6379/<db> (a database no other worker "
                "consumes).",
                returncode=2,
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                "The database is not migrated: run `manage.py migrate`.", returncode=2
            )
        if get_spec(slug) is None:
            raise CommandError(f"“{slug}” has no checks to benchmark.", returncode=2)
        if not Challenge.objects.filter(slug=slug).exists():
            raise CommandError(
                "The curriculum is not loaded: run `manage.py load_content`.", returncode=2
            )
        path = Path(solution) if solution else SOLUTIONS / slug / "book.py"
        if not path.is_file():
            raise CommandError(f"No passing solution at {path}: pass --solution.", returncode=2)
        return path.read_text(encoding="utf-8")

    def _say(self, text: str) -> None:
        if self.log:
            self.stderr.write(text)

    @contextmanager
    def _process(self, argv: list[str], ready: Any, what: str) -> Iterator[Path]:
        log = Path(tempfile.mkstemp(prefix=f"bench-{what}-", suffix=".log")[1])
        process = subprocess.Popen(
            argv,
            cwd=REPO,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not ready(log):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-3000:]
                    raise CommandError(f"the {what} did not start:\n{tail}")
                time.sleep(0.1)
            yield log
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.unlink(missing_ok=True)

    @contextmanager
    def _worker(self) -> Iterator[None]:
        self._say("starting a Celery worker and warming its sandbox…")
        argv = [
            str(BIN / "celery"),
            "-A",
            "accelerator",
            "worker",
            "-Q",
            "grading-cpu,grading-gpu",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "-n",
            f"bench-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]

        def warm(log: Path) -> bool:
            return "grading sandbox warm" in log.read_text(errors="replace")

        with self._process(argv, warm, "worker"):
            yield

    @contextmanager
    def _server(self, workers: int) -> Iterator[int]:
        port = free_port()
        self._say(f"starting gunicorn on 127.0.0.1:{port}…")
        argv = [
            str(BIN / "gunicorn"),
            "accelerator.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ]

        def up(log: Path) -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return True
            except OSError:
                return False

        with self._process(argv, up, "server"):
            yield port

    # --- measurements -----------------------------------------------------------------------

    def _one(
        self, port: int, token: str, slug: str, source: str, poll_s: float, run: Run | None = None
    ) -> None:
        api = Api(port, token)
        try:
            elapsed, data = api.grade(slug, source, poll_s)
        finally:
            api.close()
        if run is None:
            return
        run.latencies.append(elapsed)
        if data["status"] != "pass":
            run.failures.append(f"submission {data['id']}: {data['status']} {data['message']}")
        created = _parse(data["created_at"])
        if data["finished_at"]:
            run.server.append(_parse(data["finished_at"]) - created)
        if data["started_at"]:
            run.waiting.append(_parse(data["started_at"]) - created)

    def _sequential(
        self, port: int, tokens: list[str], slug: str, source: str, poll_s: float
    ) -> Run:
        run = Run()
        started = time.perf_counter()
        for token in tokens:
            self._one(port, token, slug, source, poll_s, run)
        run.wall_s = time.perf_counter() - started
        return run

    def _burst(self, port: int, tokens: list[str], slug: str, source: str, poll_s: float) -> Run:
        run = Run()
        lock = threading.Lock()

        def one(token: str) -> None:
            local = Run()
            try:
                self._one(port, token, slug, source, max(poll_s, 0.05), local)
            except Exception as exc:  # recorded, not raised: the other threads go on
                local.failures.append(repr(exc))
            with lock:
                run.latencies += local.latencies
                run.server += local.server
                run.failures += local.failures

        threads = [threading.Thread(target=one, args=(t,)) for t in tokens]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        run.wall_s = time.perf_counter() - started
        return run

    def _naive(self, slug: str, source: str, n: int) -> Run:
        run = Run()
        with tempfile.TemporaryDirectory(prefix="bench-naive-") as tmp:
            folder = Path(tmp)
            (folder / "test_submission.py").write_text(NAIVE_TEST)
            (folder / "solution.py").write_text(source)
            (folder / "pytest.ini").write_text("[pytest]\n")  # not the project's settings
            env = os.environ | {
                "PYTHONPATH": str(REPO),
                "BENCH_SLUG": slug,
                "BENCH_SOURCE": str(folder / "solution.py"),
            }
            argv = [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:django",
                str(folder / "test_submission.py"),
            ]
            started = time.perf_counter()
            for _ in range(n):
                began = time.perf_counter()
                done = subprocess.run(
                    argv, cwd=folder, env=env, capture_output=True, text=True, timeout=300
                )
                run.latencies.append(time.perf_counter() - began)
                if done.returncode != 0:
                    run.failures.append(
                        f"naive grader exit {done.returncode}: {done.stdout[-500:]}"
                    )
            run.wall_s = time.perf_counter() - started
        return run

    # --- report -----------------------------------------------------------------------------

    def _table(self, figures: dict[str, Any], n: int) -> None:
        rows = [
            ("real path, one at a time", figures["real_sequential"]),
            (f"real path, {n} at once", figures["real_burst"]),
            ("naive: python + pytest", figures["naive"]),
        ]
        self.stdout.write(
            f"\nsubmit → verdict: {figures['slug']} ({figures['checks']} checks), "
            f"{figures['cpus']} CPU cores\n"
        )
        self.stdout.write(
            f"{'':28} {'n':>4} {'p50':>8} {'p95':>8} {'mean':>8} {'max':>8} {'per s':>7}"
        )
        for label, s in rows:
            if not s:
                continue
            self.stdout.write(
                f"{label:28} {s['n']:>4} {s['p50_s']:>7.3f}s {s['p95_s']:>7.3f}s "
                f"{s['mean_s']:>7.3f}s {s['max_s']:>7.3f}s {s['throughput_per_s']:>7.2f}"
            )
        seq = figures["real_sequential"]
        self.stdout.write(
            f"\none at a time, server side: created → finished p50 {seq['server_p50_s']:.3f} s, "
            f"of which waiting in the queue p50 {seq['queue_wait_p50_s']:.3f} s"
        )
        ratio = figures["ratio_p50"]
        if ratio is not None:
            self.stdout.write(
                f"p50 real / naive: {ratio:.3f}×  (targets: p50 ≤ 0.3 s and ≤ 0.1× naive: "
                f"{'met' if figures['target_met'] else 'NOT met'})"
            )


def _parse(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()
