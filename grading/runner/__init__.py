"""The trusted grading runner: precheck -> probes -> sandbox -> judges -> report.

``run(slug, source)`` validates the source, builds every probe on the trusted side from a
fresh random generator, sends *one* job to the sandbox, and judges each check as soon as its
results are back (on the trusted side, after the data arrived: expected values never exist
before the sandbox has answered). ``on_check`` is called per finished check so the web page
can show results one by one.

Nothing here imports Django; settings come from environment variables (see ``pool``).
"""

from __future__ import annotations

import logging
import secrets
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grading.challenges.base import (
    ChallengeSpec,
    Check,
    CheckOutcome,
    Probe,
    ProbeError,
    ProbeResult,
)
from grading.runner.limits import Limits
from grading.runner.pool import (
    SandboxPool,
    SandboxUnavailable,
    ZygoteFailure,
    get_pool,
    isolation_layers,
    shutdown,
)

# The submodule (grading.runner.precheck) is imported by name; binding its function here
# would shadow the module attribute.
from grading.runner.precheck import precheck as _precheck
from grading.runner.report import CheckReport, GradeReport
from grading.sandbox import wire

__all__ = [
    "CheckReport",
    "GradeReport",
    "Limits",
    "SandboxPool",
    "SandboxUnavailable",
    "run",
    "isolation_layers",
    "shutdown",
    "get_pool",
]

log = logging.getLogger("grading.runner")

GRADER_ERROR = (
    "grader error: the grader itself failed on this check (not your code). "
    "Please try again later; the staff have been notified."
)
_MAX_TEXT = 8000


def _text(value: Any, limit: int = _MAX_TEXT) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        return float(value)
    return default


@dataclass
class _CheckRun:
    check: Check
    probes: list[Probe] = field(default_factory=list)
    first: int = 0  # index of its first probe in the job
    results: dict[int, ProbeResult] = field(default_factory=dict)
    report: CheckReport | None = None

    def probe_range(self) -> range:
        return range(self.first, self.first + len(self.probes))


class _Run:
    """State of one grading run while the sandbox's frames stream in."""

    def __init__(
        self, spec: ChallengeSpec, limits: Limits, on_check: Callable[[CheckReport], None] | None
    ):
        self.spec = spec
        self.limits = limits
        self.on_check = on_check
        self.checks: list[_CheckRun] = []
        self.job_probes: list[dict[str, Any]] = []
        self.timeouts: list[float] = []
        self.bad_result: str | None = None
        self.owner: list[_CheckRun] = []  # job probe index -> its check
        self.imported: bool | None = None
        self.import_error: ProbeError | None = None
        self.missing: list[str] = []
        self.next_index = 0
        self.cpu_s = 0.0  # the run's CPU limit, for the message when it is exceeded

    # -- building (trusted side, before anything runs) --
    def build(self) -> None:
        rng = np.random.default_rng(secrets.randbits(64))
        cap = self.limits.probe_timeout_s
        for check in self.spec.checks:
            run = _CheckRun(check=check, first=len(self.job_probes))
            self.checks.append(run)
            try:
                probes = list(check.build(rng))
                if not all(isinstance(p, Probe) for p in probes):
                    raise TypeError("build() must return Probe objects")
            except Exception:
                log.exception("grader error: building probes of check %r", check.name)
                run.report = self._report(run, "error", GRADER_ERROR)
                continue
            run.probes = probes
            for probe in probes:
                timeout = float(probe.timeout_s)
                if cap is not None:
                    timeout = min(timeout, float(cap))
                self.job_probes.append(
                    {"op": probe.op, "args": dict(probe.args), "needs": list(check.needs)}
                )
                self.timeouts.append(timeout)
                self.owner.append(run)

    # -- reports --
    def _report(
        self, run: _CheckRun, status: str, message: str, output: str = "", elapsed_s: float = 0.0
    ) -> CheckReport:
        check = run.check
        return CheckReport(
            name=check.name,
            status=status,
            message=message,  # type: ignore[arg-type]
            output=output,
            test_code=check.description,
            elapsed_s=elapsed_s,
            video=check.video,
            card=check.card,
        )

    def _finish(self, run: _CheckRun, report: CheckReport) -> None:
        if run.report is not None:
            return
        run.report = report
        if self.on_check is not None:
            try:
                self.on_check(report)
            except Exception:  # the web's callback must not stop the grading
                log.exception("on_check callback failed for %r", report.name)

    def _judge(self, run: _CheckRun) -> None:
        results = [run.results[i] for i in run.probe_range()]
        started = time.monotonic()
        try:
            outcome = run.check.judge(run.probes, results)
            if not isinstance(outcome, CheckOutcome) or outcome.status not in (
                "pass",
                "fail",
                "error",
            ):
                raise TypeError(f"judge returned {outcome!r}")
            report = self._report(
                run,
                outcome.status,
                str(outcome.message),
                str(outcome.output or ""),
                sum(r.elapsed_s for r in results) + time.monotonic() - started,
            )
        except Exception:
            log.exception("grader error: judge of check %r raised", run.check.name)
            report = self._report(run, "error", GRADER_ERROR)
        self._finish(run, report)

    # -- frames from the sandbox --
    def on_frame(self, control: dict[str, Any], payload: bytes) -> None:
        """One result relayed by the zygote: its control part says what it is, the payload
        (written by the sandboxed child) is decoded and validated here."""
        kind = control.get("type")
        if self.bad_result is not None:
            return  # after a malformed result nothing more from this run is believed
        if kind not in ("import", "probe"):
            raise ZygoteFailure(f"unexpected message {kind!r} from the sandbox")
        try:
            frame = wire.decode(payload)
            if not isinstance(frame, dict):
                raise wire.WireError("result is not an object")
        except wire.WireError as exc:
            log.info("malformed result from the sandboxed code: %s", exc)
            self.bad_result = str(exc)
            return
        frame["elapsed_s"] = control.get("elapsed_s")  # measured by the zygote
        if kind == "import" and self.imported is None:
            self._on_import(frame)
        elif kind == "probe" and self.imported:
            frame["index"] = control.get("index")
            self._on_probe(frame)
        else:
            raise ZygoteFailure(f"unexpected {kind!r} message from the sandbox")

    def _on_import(self, frame: dict[str, Any]) -> None:
        if frame.get("ok") is not True:
            self.imported = False
            error = frame.get("error") if isinstance(frame.get("error"), dict) else {}
            self.import_error = ProbeError(
                type=_text(error.get("type"), 200) or "Error",
                message=_text(error.get("message")),
                traceback=_text(error.get("traceback")),
            )
            return
        self.imported = True
        contract = set(self.spec.names) | set(self.spec.optional_names)
        missing = frame.get("missing") if isinstance(frame.get("missing"), list) else []
        self.missing = [n for n in missing if isinstance(n, str) and n in contract]
        absent = set(self.missing)
        for run in self.checks:
            lacking = [n for n in run.check.needs if n in absent]
            if lacking and run.report is None:
                names = ", ".join(f"`{n}`" for n in lacking)
                self._finish(
                    run,
                    self._report(
                        run,
                        "error",
                        f"Your module does not define {names}, which this check "
                        "needs (check the spelling and that it is at module level).",
                    ),
                )
        for run in self.checks:
            if run.report is None and not run.probes:
                self._judge(run)

    def _on_probe(self, frame: dict[str, Any]) -> None:
        index = frame.get("index")
        if type(index) is not int or index != self.next_index or index >= len(self.owner):
            raise ZygoteFailure("probe results out of order")
        self.next_index += 1
        run = self.owner[index]
        error = frame.get("error") if isinstance(frame.get("error"), dict) else None
        ok = frame.get("ok") is True
        result = ProbeResult(
            ok=ok,
            value=frame.get("value") if ok else None,
            error=None
            if error is None
            else ProbeError(
                type=_text(error.get("type"), 200),
                message=_text(error.get("message")),
                traceback=_text(error.get("traceback")),
            ),
            elapsed_s=_num(frame.get("elapsed_s")),
        )
        run.results[index] = result
        if run.report is None and len(run.results) == len(run.probes):
            self._judge(run)

    # -- endings --
    def describe_end(self, end: dict[str, Any]) -> tuple[str, _CheckRun | None]:
        """(learner-facing sentence, the check that was running) for an abnormal end.

        Composed here from validated fields, not from the sandbox's own wording.
        """
        status = end.get("status")
        index = end.get("index")
        running = self.owner[index] if type(index) is int and 0 <= index < len(self.owner) else None
        where = ""
        if running is not None:
            k = index - running.first + 1
            where = f"probe {k} of check '{running.check.name}'"
        limit_s = _num(end.get("limit_s"))
        if status == "timeout":
            if end.get("which") == "run":
                text = f"the whole run exceeded {limit_s:.1f} s wall clock"
            elif end.get("phase") == "import":
                text = f"importing your module exceeded {limit_s:.1f} s wall clock"
            else:
                text = f"{where or 'a probe'} exceeded {limit_s:.1f} s wall clock"
        elif status == "memory":
            text = f"your code used more than {int(_num(end.get('limit_mb')))} MiB of memory"
        elif status == "threads":
            text = f"your code started more than {int(_num(end.get('limit')))} threads"
        elif status == "output":
            text = (
                f"your code printed more than {int(_num(end.get('limit_bytes'))) >> 10} "
                "KiB of output, so the run was stopped"
            )
        elif status == "crashed":
            sig = end.get("signal")
            names = {s.name for s in signal.Signals}
            code = end.get("exit_code")
            if sig == "SIGSEGV":
                text = "your code crashed (segmentation fault)"
            elif sig == "SIGXCPU" or (sig == "SIGKILL" and "CPU" in _text(end.get("message"))):
                text = f"your code used more than its {self.cpu_s:.0f} s of CPU time"
            elif sig == "SIGSYS":
                text = "your code made a forbidden system call and was stopped"
            elif isinstance(sig, str) and sig in names:
                text = f"your code was killed by {sig}"
            elif type(code) is int:
                text = f"your code ended the process (exit status {code})"
            else:
                text = "the sandboxed process stopped unexpectedly"
        elif status == "protocol":
            text = (
                "the grader received a malformed result (did your code write to the "
                "grader's result channel or close it?)"
            )
        else:
            text = "the sandbox stopped unexpectedly"
        if where and status in ("memory", "threads", "output", "crashed", "protocol"):
            text += f" (during {where})"
        return text, running

    def fail_pending(self, reason: str, running: _CheckRun | None) -> None:
        for run in self.checks:
            if run.report is not None:
                continue
            if run is running:
                message = reason[0].upper() + reason[1:] + "."
                if "wall clock" in reason:
                    message += " Look for an infinite loop or a very slow computation."
            else:
                message = f"not run: {reason}."
            self._finish(run, self._report(run, "error", message))


def _stdout(end: dict[str, Any], raw: bytes) -> str:
    text = raw[: 1 << 20].decode("utf-8", "replace")
    if end.get("stdout_truncated") is True:
        total = int(_num(end.get("stdout_bytes")))
        text += (
            f"\n[output truncated: showing the first {len(text.encode()) >> 10} KiB of "
            f"{total} bytes]"
        )
    return text


def _summary(checks: Sequence[CheckReport], missing: Sequence[str]) -> str:
    passed = sum(c.status == "pass" for c in checks)
    text = (
        f"All {len(checks)} checks passed."
        if checks and passed == len(checks)
        else f"{passed} of {len(checks)} checks passed."
    )
    if missing:
        text += " Your module does not define: " + ", ".join(f"`{n}`" for n in missing) + "."
    return text


def run(
    slug: str,
    source: str | bytes,
    *,
    on_check: Callable[[CheckReport], None] | None = None,
    spec: ChallengeSpec | None = None,
    limits: Limits | None = None,
    pool: SandboxPool | None = None,
) -> GradeReport:
    """Grade ``source`` against challenge ``slug`` (or the given ``spec``).

    Never raises for anything the submission does; returns a GradeReport whose status is
    ``pass`` iff every check passed, ``error`` when the module could not be graded at all
    (precheck, import, sandbox unavailable), ``fail`` otherwise.
    """
    started = time.monotonic()
    limits = limits or Limits.from_env()

    def error(message: str, *, stdout: str = "", isolation: Sequence[str] = ()) -> GradeReport:
        return GradeReport(
            status="error",
            message=message,
            checks=(),
            stdout=stdout,
            isolation=tuple(isolation),
            elapsed_s=time.monotonic() - started,
        )

    if spec is None:
        from grading.challenges import get_spec

        spec = get_spec(slug)
        if spec is None:
            return error(f"Unknown challenge {slug!r}.")
    problem = _precheck(source, names=spec.names)
    if problem is not None:
        return error(problem)
    text = source if isinstance(source, str) else source.decode("utf-8")
    pool = pool or get_pool()

    state = _Run(spec, limits, on_check)
    state.build()
    numbers = limits.resolved(spec.wall_s)
    state.cpu_s = numbers["cpu_s"]
    control = {
        "type": "job",
        "wall_s": numbers["wall_s"],
        "import_s": numbers["import_s"],
        "timeouts": state.timeouts,
        "limits": {
            k: numbers[k]
            for k in (
                "cpu_s",
                "memory_mb",
                "threads",
                "nofile",
                "fsize_bytes",
                "output_keep",
                "output_kill",
                "max_result_bytes",
            )
        },
    }
    try:
        # The payload (source and probe inputs) is read by the sandboxed child itself; the
        # zygote only sees the control part.
        payload = wire.encode(
            {
                "source": text,
                "names": list(spec.names),
                "optional_names": list(spec.optional_names),
                "probes": state.job_probes,
            },
            max_bytes=512 << 20,
        )
        job = wire.envelope(control, payload)
    except wire.WireError:
        log.exception("grader error: probes of %s cannot be encoded", spec.slug)
        return error("grader error: the checks could not be prepared (not your code).")

    end: dict[str, Any] | None = None
    raw_stdout = b""
    failure: str | None = None
    try:
        end, raw_stdout = pool.run_job(
            job,
            state.on_frame,
            timeout_s=numbers["wall_s"] + limits.grace_s,
            max_total=limits.max_total_bytes,
            max_result=limits.max_result_bytes,
        )
    except SandboxUnavailable as exc:
        log.error("sandbox unavailable: %s", exc)
        return error(f"sandbox unavailable: {exc}", isolation=[f"sandbox unavailable: {exc}"])
    except ZygoteFailure as exc:
        log.warning("sandbox failure while grading %s: %s", spec.slug, exc)
        failure = str(exc)
    isolation = pool.isolation_layers()
    stdout = _stdout(end, raw_stdout) if end is not None else ""

    if end is not None and end.get("status") == "sandbox":
        pool.restart()
        return error(
            "sandbox unavailable: a required isolation layer could not be applied",
            stdout=stdout,
            isolation=isolation,
        )
    if state.imported is None:
        if state.bad_result is not None:
            message = (
                "Your module could not be graded: the grader received a malformed "
                "result (did your code write to the grader's result channel?)."
            )
        elif failure is not None:
            message = (
                f"The sandbox did not answer ({failure}); it has been restarted. "
                "Please submit again."
            )
        else:
            reason, _ = state.describe_end(end or {})
            message = f"Your module could not be imported: {reason}."
            if "wall clock" in reason:
                message += (
                    " Put long-running code (training loops, downloads, plots) under "
                    '`if __name__ == "__main__":`.'
                )
        return error(message, stdout=stdout, isolation=isolation)
    if state.imported is False:
        err = state.import_error
        assert err is not None
        detail = err.traceback or f"{err.type}: {err.message}"
        return error(
            "Your module raised an exception while being imported:\n" + detail,
            stdout=stdout,
            isolation=isolation,
        )

    if failure is not None:
        state.fail_pending(f"the sandbox did not answer ({failure})", None)
    elif state.bad_result is not None:
        state.fail_pending(
            "the grader received a malformed result (did your code write to "
            "the grader's result channel?)",
            None,
        )
    elif end is not None and any(r.report is None for r in state.checks):
        reason, running = state.describe_end(end)
        state.fail_pending(reason, running)
    reports = [r.report for r in state.checks if r.report is not None]
    status = GradeReport.overall_status(reports)
    return GradeReport(
        status=status,
        message=_summary(reports, state.missing),
        checks=reports,
        stdout=stdout,
        isolation=tuple(isolation),
        elapsed_s=time.monotonic() - started,
    )
