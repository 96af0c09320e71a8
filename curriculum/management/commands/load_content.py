"""python manage.py load_content [--dir DIR] [--check [--json]]

Validates the curriculum content files and upserts them in one transaction (curriculum/
loading.py). ``--check`` validates and reports without writing: statistics per tier and
per concept, totals, every problem, and where the seed's summary tables disagree with its
listings. Exits non-zero when the content has errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from curriculum import content as content_files
from curriculum import stats
from curriculum.loading import load
from curriculum.specs import Content, Problem


class Command(BaseCommand):
    help = "Validate the curriculum content files and load them into the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir",
            type=Path,
            default=None,
            help="content directory (default: curriculum/content)",
        )
        parser.add_argument(
            "--check", action="store_true", help="validate and report; write nothing"
        )
        parser.add_argument(
            "--json", action="store_true", help="with --check: print the report as JSON"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["json"] and not options["check"]:
            raise CommandError("--json goes with --check")
        content = content_files.read(options["dir"])
        if options["check"]:
            self._check(content, as_json=options["json"])
        else:
            self._load(content, verbosity=options["verbosity"])

    def _check(self, content: Content, *, as_json: bool) -> None:
        statistics = stats.from_content(content)
        disagreements, summary_problems = stats.compare_with_seed(statistics, content.seed_summary)
        problems = content.problems + summary_problems
        errors = [p for p in problems if p.level == "error"]
        if as_json:
            report = {
                "ok": not errors,
                "content_dir": str(content.directory),
                **statistics.as_dict(),
                "problems": [p.as_dict() for p in problems],
                "errors": len(errors),
                "warnings": len(problems) - len(errors),
                "seed_disagreements": [d.as_dict() for d in disagreements],
            }
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self._write_report(content, statistics, problems, disagreements)
        if errors:
            raise CommandError(f"the content has {len(errors)} error(s)", returncode=1)

    def _write_report(
        self,
        content: Content,
        statistics: stats.Statistics,
        problems: list[Problem],
        disagreements: list[stats.Disagreement],
    ) -> None:
        errors = sum(1 for p in problems if p.level == "error")
        warnings = len(problems) - errors
        out = self.stdout
        out.write(f"Content in {content.directory}: {errors} error(s), {warnings} warning(s)")
        out.write("")
        row = "{:<14} {:>10} {:>7} {:>12} {:>6} {:>6}"
        out.write(row.format("Tier", "Challenges", "Videos", "Video time", "XP", "Cards"))
        for t in statistics.tiers:
            out.write(
                row.format(
                    t.title,
                    t.challenges,
                    t.videos,
                    stats.format_duration(t.video_seconds),
                    t.xp,
                    t.cards,
                )
            )
        total = statistics.totals
        out.write(
            row.format(
                "Total",
                total.challenges,
                total.videos,
                stats.format_duration(total.video_seconds),
                total.xp,
                total.cards,
            )
        )
        out.write("")
        out.write(
            "Cards per concept: " + ", ".join(f"{c.title} {c.cards}" for c in statistics.concepts)
        )
        out.write(f"Path: {total.path_days} study days over {total.path_weeks} weeks")
        if problems:
            out.write("")
            out.write("Problems:")
            for problem in problems:
                style = self.style.ERROR if problem.level == "error" else self.style.WARNING
                out.write(style(f"  {problem}"))
        if disagreements:
            out.write("")
            out.write(
                "Where the seed's summary tables disagree with its listings (the listings win):"
            )
            for d in disagreements:
                out.write(f"  {d.message}")

    def _load(self, content: Content, *, verbosity: int) -> None:
        if content.errors:
            for problem in content.errors:
                self.stderr.write(self.style.ERROR(str(problem)))
            raise CommandError(
                f"the content has {len(content.errors)} error(s); nothing was loaded", returncode=1
            )
        report = load(content=content)
        if verbosity >= 1:
            for change in report.changes:
                # Removals are always reported; other changes only when asked for.
                if verbosity >= 2 or change.action in ("deleted", "retired"):
                    self.stdout.write(f"  {change}")
            warnings = content.warnings
            if verbosity >= 2:
                for problem in warnings:
                    self.stdout.write(self.style.WARNING(f"  {problem}"))
            elif warnings:
                self.stdout.write(
                    f"  {len(warnings)} warning(s): run `load_content --check` to list them"
                )
            self.stdout.write(
                self.style.SUCCESS(f"Loaded content from {content.directory}: {report.summary()}")
            )
