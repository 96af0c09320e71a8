"""Grading results as plain dataclasses, and their Exercism test-runner JSON (version 3).

Exercism's layout (https://exercism.org/docs/building/tooling/test-runners/interface):
``{"version": 3, "status": "pass"|"fail"|"error", "message": ..., "tests": [{"name",
"status", "message", "output", "test_code", "task_id"}]}``. We add our own fields
(``elapsed_s``, ``video``, ``card`` per test; ``elapsed_s``, ``isolation``, ``stdout`` at
the top) which Exercism-style readers ignore.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "error"]

# Exercism: a test's "output" is capped at 500 characters, with a note when truncated.
EXERCISM_OUTPUT_LIMIT = 500


@dataclass(frozen=True)
class CheckReport:
    name: str
    status: Status
    message: str
    output: str = ""
    test_code: str = ""  # what the check verifies, in words (the Check's description)
    elapsed_s: float = 0.0
    video: str | None = None
    card: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "output": self.output,
            "test_code": self.test_code,
            "elapsed_s": round(self.elapsed_s, 4),
            "video": self.video,
            "card": self.card,
        }


@dataclass(frozen=True)
class GradeReport:
    status: Status
    message: str
    checks: Sequence[CheckReport] = field(default_factory=tuple)
    stdout: str = ""
    isolation: Sequence[str] = field(default_factory=tuple)
    elapsed_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @staticmethod
    def overall_status(checks: Sequence[CheckReport]) -> Status:
        """``pass`` iff every check passes (and there is at least one); else ``fail``.

        ``error`` is reserved for a module that could not be graded at all (precheck,
        import, sandbox), which callers construct directly.
        """
        if checks and all(c.status == "pass" for c in checks):
            return "pass"
        return "fail"

    def to_exercism(self) -> dict[str, Any]:
        tests = []
        for task_id, check in enumerate(self.checks, start=1):
            output = check.output
            if len(output) > EXERCISM_OUTPUT_LIMIT:
                output = output[:EXERCISM_OUTPUT_LIMIT] + "\n[output truncated]"
            tests.append(
                {
                    "name": check.name,
                    "status": check.status,
                    # Exercism: message only for failing/erroring tests, else null.
                    "message": check.message if check.status != "pass" else None,
                    "output": output or None,
                    "test_code": check.test_code,
                    "task_id": task_id,
                    "elapsed_s": round(check.elapsed_s, 4),
                    "video": check.video,
                    "card": check.card,
                }
            )
        return {
            "version": 3,
            "status": self.status,
            # Exercism: the top-level message is set only when status is "error".
            "message": self.message if self.status == "error" else None,
            "tests": tests,
            "elapsed_s": round(self.elapsed_s, 4),
            "isolation": list(self.isolation),
            "stdout": self.stdout,
            "summary": self.message,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "checks": [c.to_dict() for c in self.checks],
            "stdout": self.stdout,
            "isolation": list(self.isolation),
            "elapsed_s": round(self.elapsed_s, 4),
        }
