"""Grade a submission in *this* process -- for tests and development only.

UNSAFE FOR UNTRUSTED CODE: the learner's module is imported into the calling process with
full access to its memory, files, network and secrets, and nothing bounds its time or
memory. Real grading goes through ``grading.runner`` and the sandbox. This module exists so
the checks and reference implementations can be tested without the sandbox; it runs the
same ``OPS`` and the same ``Check.build``/``Check.judge`` as the real runner.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from types import ModuleType

import numpy as np

from grading.challenges.base import (
    ChallengeSpec,
    Check,
    CheckOutcome,
    Probe,
    ProbeError,
    ProbeResult,
)
from grading.sandbox.probes import OPS


def import_source(source: str, directory: Path) -> ModuleType:
    """Import ``source`` as a fresh module from a file in ``directory`` (not cached)."""
    name = f"submission_{uuid.uuid4().hex}"
    path = directory / "submission.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses & co. look their module up while importing
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def _learner_traceback(exc: BaseException, filename: str) -> str:
    """The traceback trimmed to frames in the learner's file (as the sandbox reports it)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    lines = traceback.format_list(frames) if frames else []
    return "".join(lines) + "".join(traceback.format_exception_only(type(exc), exc))


def run_probe(module: ModuleType, probe: Probe) -> ProbeResult:
    """Run one probe like the sandbox child would (exceptions become ``ProbeError``)."""
    start = time.perf_counter()
    try:
        value = OPS[probe.op](module, **probe.args)
    except Exception as exc:
        return ProbeResult(
            ok=False,
            error=ProbeError(
                type(exc).__name__,
                str(exc),
                _learner_traceback(exc, str(getattr(module, "__file__", ""))),
            ),
            elapsed_s=time.perf_counter() - start,
        )
    return ProbeResult(ok=True, value=value, elapsed_s=time.perf_counter() - start)


def grade_in_process(
    spec: ChallengeSpec,
    source: str,
    *,
    rng: np.random.Generator | None = None,
) -> list[tuple[Check, CheckOutcome]]:
    """Import ``source``, run every check's probes through ``OPS`` and judge them.

    UNSAFE: see the module docstring. A judge that raises is a grader bug and propagates.
    """
    rng = rng if rng is not None else np.random.default_rng()
    with tempfile.TemporaryDirectory(prefix="la-inprocess-") as tmp:
        try:
            module = import_source(source, Path(tmp))
        except Exception as exc:
            detail = _learner_traceback(exc, str(Path(tmp) / "submission.py"))
            outcome = CheckOutcome(
                "error", f"Your module failed to import: {type(exc).__name__}: {exc}", detail
            )
            return [(check, outcome) for check in spec.checks]
        report: list[tuple[Check, CheckOutcome]] = []
        for check in spec.checks:
            missing = [n for n in check.needs if not hasattr(module, n)]
            if missing:
                report.append(
                    (
                        check,
                        CheckOutcome("error", f"Your module does not define {', '.join(missing)}."),
                    )
                )
                continue
            probes = list(check.build(rng))
            results = [run_probe(module, p) for p in probes]
            report.append((check, check.judge(probes, results)))
        return report
