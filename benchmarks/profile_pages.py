"""Where one request's time goes on the benchmarked pages (bin/loadbench --profile).

In-process, through Django's test client (no gunicorn, no network), against the database
bin/loadbench seeded. For each page: milliseconds per request split into SQL, template
rendering (and the SQL that lazy querysets run while the template renders) and the rest
of the view; the query count; the slowest statements; then cProfile's top functions.

    python -m benchmarks.profile_pages --cohort PK --learner NAME --instructor NAME
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Timings:
    sql_s: float = 0.0
    sql_in_template_s: float = 0.0
    template_s: float = 0.0
    queries: int = 0
    in_template: bool = False
    statements: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


@contextmanager
def instrumented(timings: Timings) -> Iterator[None]:
    """Time every SQL statement and the top-level template render of each response."""
    from django.db import connection
    from django.template.backends.django import Template

    def execute(run: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return run(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            timings.sql_s += elapsed
            timings.queries += 1
            if timings.in_template:
                timings.sql_in_template_s += elapsed
            timings.statements[_shape(sql)].append(elapsed)

    original = Template.render

    def render(self: Template, context: Any = None, request: Any = None) -> Any:
        if timings.in_template:  # a nested render is already being timed
            return original(self, context, request)
        timings.in_template = True
        started = time.perf_counter()
        try:
            return original(self, context, request)
        finally:
            timings.template_s += time.perf_counter() - started
            timings.in_template = False

    Template.render = render  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(execute):
            yield
    finally:
        Template.render = original  # type: ignore[method-assign]


def _shape(sql: str) -> str:
    """A statement with its literals folded, so repeats of one query group together."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    sql = re.sub(r"\(\s*\?(?:\s*,\s*\?)+\s*\)", "(?...)", sql)
    return re.sub(r"\s+", " ", sql)


def profile_page(client: Any, path: str, *, n: int, top: int) -> str:
    from django.db import connection

    out = io.StringIO()
    response = client.get(path)  # warm: URL resolver, template loaders, connection
    if response.status_code != 200:
        return f"{path}: HTTP {response.status_code}, skipped\n"
    size_kib = len(response.content) / 1024

    walls = []
    timings = Timings()
    with instrumented(timings):
        for _ in range(n):
            started = time.perf_counter()
            client.get(path)
            walls.append(time.perf_counter() - started)
    total = sum(walls)
    sql_outside = timings.sql_s - timings.sql_in_template_s
    per = 1000 / n
    print(
        f"== {path}  ({size_kib:.1f} KiB, {connection.vendor})\n"
        f"  median {statistics.median(walls) * 1000:.1f} ms/request over {n}; per request: "
        f"{timings.queries / n:.1f} queries, SQL {timings.sql_s * per:.1f} ms "
        f"(of which {timings.sql_in_template_s * per:.1f} ms inside the template), "
        f"template {(timings.template_s - timings.sql_in_template_s) * per:.1f} ms "
        f"without its SQL, view and middleware "
        f"{(total - timings.template_s - sql_outside) * per:.1f} ms",
        file=out,
    )
    slowest = sorted(timings.statements.items(), key=lambda item: -sum(item[1]))[:5]
    for shape, times in slowest:
        print(
            f"  SQL {sum(times) * per:6.2f} ms/request  x{len(times) / n:<4.1f} {shape[:150]}",
            file=out,
        )

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime")
    print(f"  -- cProfile, {n} requests, top {top} by own time", file=out)
    stats.print_stats(top)
    stats.sort_stats("cumulative")
    print(f"  -- top {top} of the project's own functions by cumulative time", file=out)
    stats.print_stats(rf"^{re.escape(str(ROOT))}/(?!\.venv)", top)
    return out.getvalue()


def main(*, cohort_pk: int, learner: str, instructor: str, n: int = 20, top: int = 15) -> None:
    from django.test import Client

    from accounts.models import User

    pages = [
        (learner, "/progress/dashboard/"),
        (learner, "/flashcards/review/"),
        (instructor, f"/cohorts/{cohort_pk}/overview/"),
    ]
    for username, path in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        print(profile_page(client, path, n=n, top=top), flush=True)


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cohort", type=int, required=True)
    parser.add_argument("--learner", required=True)
    parser.add_argument("--instructor", required=True)
    parser.add_argument("-n", type=int, default=20, help="requests per page")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    import django

    django.setup()
    main(
        cohort_pk=args.cohort,
        learner=args.learner,
        instructor=args.instructor,
        n=args.n,
        top=args.top,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accelerator.settings")
    cli()
