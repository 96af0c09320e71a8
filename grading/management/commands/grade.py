"""``python manage.py grade SLUG FILE [--json]``: grade a file with the real runner, now.

The same runner and sandbox as the workers, synchronously, with no database writes. Prints
each check as it finishes (or, with ``--json``, the Exercism results.json). Exit status:
0 when every check passes, 1 otherwise (fail or error), 2 for bad usage (unknown challenge,
unreadable file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grading import runner
from grading.challenges import get_spec, gradable_slugs
from grading.runner import CheckReport

MARKS = {"pass": "✓", "fail": "✗", "error": "!"}


class Command(BaseCommand):
    help = "Grade a Python file against a challenge's checks, as the grading worker would."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="challenge slug, e.g. multi-head-attention")
        parser.add_argument("file", help="the Python module to grade ('-' reads stdin)")
        parser.add_argument(
            "--json", action="store_true", help="print the Exercism results.json (version 3)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["slug"]
        spec = get_spec(slug)
        if spec is None:
            known = ", ".join(gradable_slugs()) or "none yet"
            raise CommandError(
                f"No gradable challenge “{slug}”. Gradable challenges: {known}.", returncode=2
            )
        source = self._read(options["file"])
        as_json: bool = options["json"]
        if not as_json:
            self.stdout.write(
                f"Grading {options['file']} against {slug} ({len(spec.checks)} checks)…"
            )
        try:
            report = runner.run(slug, source, on_check=None if as_json else self._print_check)
        finally:
            runner.shutdown()  # the sandbox process must not outlive the command
        if as_json:
            self.stdout.write(json.dumps(report.to_exercism(), indent=2, ensure_ascii=False))
        else:
            self._print_summary(report)
        if not report.passed:
            sys.exit(1)

    def _read(self, name: str) -> bytes:
        if name == "-":
            return sys.stdin.buffer.read()
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"No such file: {name}", returncode=2)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror}", returncode=2) from exc

    def _print_check(self, check: CheckReport) -> None:
        style = {"pass": self.style.SUCCESS, "fail": self.style.ERROR}.get(
            check.status, self.style.WARNING
        )
        line = f"  {MARKS[check.status]} {check.name}  ({check.elapsed_s * 1000:.0f} ms)"
        self.stdout.write(style(line))
        if check.status != "pass":
            for text in check.message.splitlines():
                self.stdout.write(f"      {text}")
            teaching = []
            if check.video:
                teaching.append(f"video https://www.youtube.com/watch?v={check.video}")
            if check.card is not None:
                teaching.append(f"flashcard #{check.card}")
            if teaching:
                self.stdout.write(f"      learn it: {', '.join(teaching)}")

    def _print_summary(self, report: runner.GradeReport) -> None:
        if report.stdout:
            self.stdout.write("\nYour code printed:")
            for text in report.stdout.splitlines():
                self.stdout.write(f"  | {text}")
        self.stdout.write("")
        verdict = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}[report.status]
        style = {"pass": self.style.SUCCESS, "fail": self.style.ERROR}.get(
            report.status, self.style.WARNING
        )
        self.stdout.write(style(f"{verdict}: ") + report.message)
        self.stdout.write(f"({report.elapsed_s:.2f} s)")
