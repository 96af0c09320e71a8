"""Load benchmark of the learner and instructor pages under gunicorn (run by bin/loadbench).

bin/loadbench prepares a fresh PostgreSQL database with production-like settings (DEBUG
off, whitenoise, a seeded cohort of 500 learners) and then runs this module, which:

1. picks the seeded cohort, its instructor and an evenly spread sample of its learners;
2. starts gunicorn on a free loopback port in each configuration asked for;
3. logs in over HTTP through the real login form (CSRF included) and checks that every
   page answers 200 to every session (not a redirect to the login page);
4. drives wrk (benchmarks/loadbench.lua) with 32 connections at /healthz, the learner
   dashboard, the review page and the cohort overview: a warm-up each, then ``--rounds``
   measured rounds that take the endpoints in turn;
5. prints a table (req/s, p50/p95/p99, non-200s, throughput relative to /healthz, the
   targets) and writes it as JSON.

The shared machine's speed drifts by up to 2x over a minute (other tenants' jobs), so
one run per endpoint, one after the other, compared pages with a /healthz measured at
another speed. Each round measures every endpoint back to back; a page's ratio is the
median over the rounds of its throughput over that round's /healthz, and its other
figures are medians over the rounds too.

Exit status: 1 when any response was not a 200 or a socket failed (the figures would
measure the wrong thing), 2 with --strict when a target is missed, 0 otherwise.

    python -m benchmarks.loadbench [--config gthread-2x8] [--compare] [--profile]

The learner pages and the overview come from the page cache (progress.freshness) once the
warm-up has filled it: what a reader of an unchanged page costs. ``--no-page-cache`` sets
PAGE_CACHE_SECONDS=0 for gunicorn, so every request computes its page as it does right
after the learner (or, for the overview, any learner of the cohort) wrote something.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dj_database_url

from benchmarks.client import Endpoint, PageError, check_pages, login
from benchmarks.server import Config, Server, cpu_seconds, gunicorn, spent, tail, wait_idle

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "benchmarks" / "loadbench.lua"
P95_TARGET_MS = 50.0
RATIO_TARGET = 0.5


CONFIGS = {
    config.name: config
    for config in (
        Config(
            "gthread-2x8",
            ("--worker-class", "gthread", "--workers", "2", "--threads", "8"),
            60,
            "one process per core, threads overlap the database round trips, keep-alive",
        ),
        Config(
            "gthread-4x4",
            ("--worker-class", "gthread", "--workers", "4", "--threads", "4"),
            60,
            "two processes per core, fewer threads each",
        ),
        Config(
            "sync-4",
            ("--worker-class", "sync", "--workers", "4"),
            60,
            "gunicorn's classic 2 x cores; no keep-alive, so wrk reconnects for every request",
        ),
        Config(
            "sync-5",
            ("--worker-class", "sync", "--workers", "5"),
            60,
            "gunicorn's documented 2 x cores + 1",
        ),
        Config(
            "gthread-2x8-noreuse",
            ("--worker-class", "gthread", "--workers", "2", "--threads", "8"),
            0,
            "as gthread-2x8 with DB_CONN_MAX_AGE=0: a new PostgreSQL connection per request",
        ),
    )
}
DEFAULT_CONFIG = "gthread-2x8"


@dataclass
class Result:
    name: str
    path: str
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    kib_per_request: float
    non200: int
    socket_errors: int
    first_bad: str
    app_cpu_ms: float  # gunicorn's processes, per request
    db_cpu_ms: float  # this database's PostgreSQL backends, per request
    ratio: float = 0.0
    p95_ok: bool = False
    ratio_ok: bool = False
    rounds: list[dict[str, float]] = field(default_factory=list)  # req/s, p95, ratio each


def combine(rounds: list[Result]) -> Result:
    """One endpoint's rounds as one result: medians of the rates and percentiles, the
    worst maximum, all requests and failures, CPU per request over all of them."""
    first = rounds[0]
    requests = sum(r.requests for r in rounds)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    def per_request(values: list[float]) -> float:
        return sum(v * r.requests for v, r in zip(values, rounds, strict=True)) / max(requests, 1)

    return Result(
        name=first.name,
        path=first.path,
        requests=requests,
        rps=median([r.rps for r in rounds]),
        p50_ms=median([r.p50_ms for r in rounds]),
        p95_ms=median([r.p95_ms for r in rounds]),
        p99_ms=median([r.p99_ms for r in rounds]),
        max_ms=max(r.max_ms for r in rounds),
        kib_per_request=per_request([r.kib_per_request for r in rounds]),
        non200=sum(r.non200 for r in rounds),
        socket_errors=sum(r.socket_errors for r in rounds),
        first_bad=next((r.first_bad for r in rounds if r.first_bad), ""),
        app_cpu_ms=per_request([r.app_cpu_ms for r in rounds]),
        db_cpu_ms=per_request([r.db_cpu_ms for r in rounds]),
        rounds=[{"rps": r.rps, "p95_ms": r.p95_ms} for r in rounds],
    )


@dataclass
class Run:
    config: str
    gunicorn_args: list[str]
    conn_max_age: int
    why: str
    results: list[Result] = field(default_factory=list)


# --- the cast: who logs in -----------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    cohort_pk: int
    instructor: tuple[str, str]  # username, password
    learners: list[tuple[str, str]]


def pick_cast(*, sample: int) -> Cast:
    """The newest seeded demo cohort, its instructor and `sample` of its learners, spread
    evenly over the roster (the seed gives learners different paces and diligence)."""
    import django

    django.setup()
    from django.db import connections

    from cohorts.management.commands.seed_demo import DEMO_PASSWORD
    from cohorts.management.commands.seed_demo_users import DEMO_USERS
    from cohorts.models import Cohort, MemberRole, Membership

    cohort = Cohort.objects.filter(name__startswith="Demo cohort (").order_by("-pk").first()
    if cohort is None:
        sys.exit("loadbench: no seeded cohort; run `manage.py seed_demo` first.")
    instructor = (
        Membership.objects.filter(cohort=cohort, role=MemberRole.INSTRUCTOR)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    passwords = {username: password for username, password, _role, _name in DEMO_USERS}
    if instructor is None or instructor.user.username not in passwords:
        sys.exit("loadbench: the seeded cohort's instructor is not a demo user.")
    usernames = list(
        Membership.objects.filter(cohort=cohort, role=MemberRole.LEARNER)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )
    step = max(len(usernames) / max(sample, 1), 1.0)
    chosen = [usernames[int(i * step)] for i in range(min(sample, len(usernames)))]
    connections.close_all()
    return Cast(
        cohort_pk=cohort.pk,
        instructor=(instructor.user.username, passwords[instructor.user.username]),
        learners=[(username, DEMO_PASSWORD) for username in chosen],
    )


# --- wrk -----------------------------------------------------------------------------------


def wrk(
    port: int,
    endpoint: Endpoint,
    *,
    connections: int,
    threads: int,
    seconds: float,
    think_ms: int = 0,
) -> dict[str, Any]:
    argv = [
        "wrk",
        "--connections",
        str(connections),
        "--threads",
        str(threads),
        "--duration",
        f"{max(int(round(seconds)), 1)}s",
        # A slow response must count in the percentiles, not vanish as a 2 s timeout.
        "--timeout",
        "30s",
        "--script",
        str(LUA),
        f"http://127.0.0.1:{port}{endpoint.path}",
        "--",
        *endpoint.cookies,
    ]
    env = {**os.environ, "LOADBENCH_THINK_MS": str(think_ms)}
    out = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    for line in out.stdout.splitlines():
        if line.startswith("LOADBENCH_JSON "):
            return dict(json.loads(line.removeprefix("LOADBENCH_JSON ")))
    raise RuntimeError(f"wrk printed no report (exit {out.returncode}):\n{out.stdout}{out.stderr}")


def measure(
    server: Server,
    endpoint: Endpoint,
    *,
    database: str,
    connections: int,
    threads: int,
    seconds: float,
    warmup: float,
    think_ms: int,
) -> Result:
    load = {"connections": connections, "threads": threads, "think_ms": think_ms}
    if warmup > 0:
        wrk(server.port, endpoint, seconds=warmup, **load)
    # The warm-up leaves up to `connections` requests queued in gunicorn: let them finish,
    # or the measured run starts behind them and is charged their CPU.
    wait_idle(server, database)
    app_before, db_before = cpu_seconds(server, database)
    raw = wrk(server.port, endpoint, seconds=seconds, **load)
    app_after, db_after = cpu_seconds(server, database)
    requests = int(raw["requests"])
    per_request = 1000 / max(requests, 1)
    return Result(
        name=endpoint.name,
        path=endpoint.path,
        requests=requests,
        rps=requests / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        kib_per_request=raw["bytes"] / max(requests, 1) / 1024,
        non200=int(raw["non200"]),
        socket_errors=int(raw["socket_errors"]),
        first_bad=str(raw["first_bad"]),
        app_cpu_ms=spent(app_before, app_after) * per_request,
        db_cpu_ms=spent(db_before, db_after) * per_request,
    )


def judge(rounds: list[list[Result]], *, think_ms: int) -> list[Result]:
    """Each endpoint's rounds combined, with its ratio to /healthz: the median over the
    rounds of its throughput over the same round's /healthz throughput."""
    bases = [next(r for r in measured if r.name == "healthz").rps for measured in rounds]
    results = []
    for per_round in zip(*rounds, strict=True):
        result = combine(list(per_round))
        ratios = [r.rps / base if base else 0.0 for r, base in zip(per_round, bases, strict=True)]
        for summary, ratio in zip(result.rounds, ratios, strict=True):
            summary["ratio"] = ratio
        result.ratio = statistics.median(ratios)
        result.p95_ok = result.p95_ms <= P95_TARGET_MS
        # With pauses the clients, not the server, set the throughput: no ratio to judge.
        result.ratio_ok = think_ms > 0 or result.ratio >= RATIO_TARGET
        results.append(result)
    return results


# --- report --------------------------------------------------------------------------------


def table(run: Run, *, think_ms: int, page_cache: int) -> str:
    cores = os.cpu_count() or 1
    head = (
        f"{'endpoint':<10} {'path':<22} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'non-2xx':>7} {'ratio':>5}  {'p95≤50':<6} {'ratio≥0.5':<9} "
        f"{'KiB':>5} {'CPU ms app+db':>13} {'CPU-bound req/s':>15}  ratio by round"
    )
    lines = [
        f"== gunicorn {run.config} (DB_CONN_MAX_AGE={run.conn_max_age}): "
        + " ".join(run.gunicorn_args)
        + (f"; clients pause {think_ms} ms (±50%) between requests" if think_ms else "")
        + (f"; page cache {page_cache} s" if page_cache > 0 else "; page cache off"),
        head,
        "-" * len(head),
    ]
    for r in run.results:
        is_base = r.name == "healthz"
        cpu = r.app_cpu_ms + r.db_cpu_ms
        lines.append(
            f"{r.name:<10} {r.path:<22} {r.rps:>7.1f} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} "
            f"{r.p99_ms:>7.1f} {r.non200 + r.socket_errors:>7} {r.ratio:>5.2f}  "
            f"{'-' if is_base else _mark(r.p95_ok):<6} "
            f"{'-' if is_base or think_ms else _mark(r.ratio_ok):<9} "
            f"{r.kib_per_request:>5.1f} {f'{r.app_cpu_ms:.1f}+{r.db_cpu_ms:.1f}':>13} "
            f"{cores * 1000 / cpu if cpu else 0:>15.0f}  "
            + ("-" if is_base else " ".join(f"{x['ratio']:.2f}" for x in r.rounds))
        )
    lines.append(
        "CPU ms: CPU time per request of gunicorn's processes + this database's PostgreSQL "
        f"backends (wrk, Redis and other jobs left out); CPU-bound req/s: {cores} cores / that.\n"
        "Medians over the rounds; a page's ratio is the median of its per-round ratios to the "
        "same round's /healthz."
    )
    return "\n".join(lines)


def _mark(ok: bool) -> str:
    return "yes" if ok else "MISSED"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--config",
        action="append",
        choices=sorted(CONFIGS),
        help=f"gunicorn configuration (repeatable; default {DEFAULT_CONFIG})",
    )
    parser.add_argument("--compare", action="store_true", help="run every configuration")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--duration",
        type=float,
        help="seconds measured per endpoint and round (default 3; 10 with --think-ms)",
    )
    parser.add_argument(
        "--rounds", type=int, help="measured rounds (default 5; 1 with --think-ms, see above)"
    )
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up")
    parser.add_argument("--learners", type=int, default=32, help="learner sessions rotated")
    parser.add_argument(
        "--think-ms",
        type=int,
        default=0,
        help="mean pause per connection between requests, uniform over 0.5-1.5 times it so "
        "the connections do not move in step (0: back to back, saturating the server)",
    )
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="PAGE_CACHE_SECONDS=0: every page computed, as after a write (progress.freshness)",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "loadbench.json")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    parser.add_argument(
        "--profile", action="store_true", help="then profile one request per page in-process"
    )
    args = parser.parse_args(argv)
    # Back to back, the figure judged is the throughput ratio: short rounds, paired. With
    # pauses it is p95, which needs many requests in one window: one longer round.
    if args.rounds is None:
        args.rounds = 1 if args.think_ms else 5
    if args.duration is None:
        args.duration = 10.0 if args.think_ms else 3.0
    if shutil.which("wrk") is None:
        sys.exit("loadbench: wrk is not installed (bin/loadbench installs it).")

    if args.no_page_cache:
        os.environ["PAGE_CACHE_SECONDS"] = "0"  # gunicorn inherits the environment
    page_cache = int(os.environ.get("PAGE_CACHE_SECONDS", "60"))
    names = sorted(CONFIGS) if args.compare else (args.config or [DEFAULT_CONFIG])
    database = str(dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"])
    cast = pick_cast(sample=args.learners)
    log_dir = Path(os.environ.get("VAR_DIR", ROOT / "var")) / "logs"
    runs: list[Run] = []
    learner_cookies: tuple[str, ...] = ()
    instructor_cookie = ""
    for name in names:
        config = CONFIGS[name]
        run = Run(config.name, list(config.args), config.conn_max_age, config.why)
        with gunicorn(config, log=log_dir / f"gunicorn-{config.name}.log") as server:
            if not learner_cookies:
                # Sessions live in the database, so one login serves every configuration.
                with ThreadPoolExecutor(max_workers=4) as pool:
                    learner_cookies = tuple(
                        pool.map(lambda user: login(server.port, *user), cast.learners)
                    )
                instructor_cookie = login(server.port, *cast.instructor)
                print(
                    f"logged in {len(learner_cookies)} learners and {cast.instructor[0]} "
                    f"(cohort {cast.cohort_pk})",
                    flush=True,
                )
            endpoints = [
                Endpoint("healthz", "/healthz", learner_cookies),
                Endpoint("dashboard", "/progress/dashboard/", learner_cookies),
                Endpoint("review", "/flashcards/review/", learner_cookies),
                Endpoint("overview", f"/cohorts/{cast.cohort_pk}/overview/", (instructor_cookie,)),
            ]
            load = {
                "connections": args.connections,
                "threads": args.threads,
                "think_ms": args.think_ms,
            }
            try:
                check_pages(server.port, endpoints)
            except PageError as exc:
                log = log_dir / f"gunicorn-{config.name}.log"
                print(f"loadbench: {exc}\n--- {log}:\n{tail(log)}", file=sys.stderr)
                return 1
            rounds = [
                [
                    measure(
                        server,
                        endpoint,
                        database=database,
                        seconds=args.duration,
                        # Later rounds warm up briefly: the page cache's entries last 60 s.
                        warmup=args.warmup if number == 0 else min(args.warmup, 1.0),
                        **load,
                    )
                    for endpoint in endpoints
                ]
                for number in range(max(args.rounds, 1))
            ]
        run.results = judge(rounds, think_ms=args.think_ms)
        runs.append(run)
        print(table(run, think_ms=args.think_ms, page_cache=page_cache), flush=True)
        print(flush=True)

    bad = [r for run in runs for r in run.results if r.non200 or r.socket_errors]
    missed = [
        r
        for run in runs
        for r in run.results
        if r.name != "healthz" and not (r.p95_ok and r.ratio_ok)
    ]
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load": {
            "tool": "wrk",
            "connections": args.connections,
            "threads": args.threads,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "warmup_s": args.warmup,
            "think_ms": args.think_ms,
            "page_cache_seconds": page_cache,
            "learner_sessions": len(learner_cookies),
            "cohort_learners_seeded": os.environ.get("LOADBENCH_SEED_LEARNERS"),
        },
        "targets": {"p95_ms_max": P95_TARGET_MS, "ratio_to_healthz_min": RATIO_TARGET},
        "runs": [asdict(run) for run in runs],
        "all_200": not bad,
        "targets_met": not missed,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")

    if args.profile:
        from benchmarks import profile_pages

        profile_pages.main(
            cohort_pk=cast.cohort_pk,
            learner=cast.learners[0][0],
            instructor=cast.instructor[0],
        )

    if bad:
        for r in bad:
            print(
                f"FAILED: {r.path}: {r.non200} non-200 responses (first: {r.first_bad or '?'}), "
                f"{r.socket_errors} socket errors",
                file=sys.stderr,
            )
        return 1
    if missed:
        print(f"targets missed on: {', '.join(sorted({r.name for r in missed}))}")
        if args.strict:
            return 2
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accelerator.settings")
    sys.exit(main())
