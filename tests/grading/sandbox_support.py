"""Shared helpers for the sandbox/runner tests: small test-only challenge specs (so these
tests do not depend on the real challenges), one shared warm sandbox pool, short limits.

Not a test module itself (no ``test_`` prefix). Nothing here needs Django or a database.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.runner import GradeReport, Limits
from grading.runner.pool import PoolSettings, SandboxPool

HERE = Path(__file__).resolve().parent
HOSTILE_DIR = HERE / "hostile"
REPO_ROOT = HERE.parent.parent

# Short limits keep the hostile suite fast on 2 cores.
FAST = Limits(
    wall_s=4.0,
    import_s=3.0,
    probe_timeout_s=2.0,
    cpu_s=3.0,
    memory_mb=512,
    max_result_bytes=8 << 20,
    grace_s=4.0,
)

HONEST_ADD = "def add(a, b):\n    return a + b\n"


def _describe(result: ProbeResult) -> str:
    if result.ok:
        return f"got {result.value!r}"[:2000]
    assert result.error is not None
    return f"raised {result.error.type}: {result.error.message}"[:2000]


def _add_build(rng: np.random.Generator) -> Sequence[Probe]:
    a = rng.standard_normal(5).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    return [Probe("call", {"name": "add", "args": [a, b]}, timeout_s=5.0)]


def _add_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    # Expected value computed here, on the trusted side, after the result arrived.
    (result,) = results
    if not result.ok:
        return CheckOutcome("fail", _describe(result), output=_describe(result))
    a, b = probes[0].args["args"]
    value = result.value
    if not (isinstance(value, np.ndarray) and value.dtype == np.float32 and value.shape == a.shape):
        # Judges echo what they got (as real ones do): one more channel a hostile
        # submission could try to exfiltrate through, and the tests check it too.
        return CheckOutcome(
            "fail", "expected a float32 array of shape (5,)", output=_describe(result)
        )
    if not np.allclose(value, a + b, atol=1e-6):
        return CheckOutcome("fail", "wrong sum", output=_describe(result))
    return CheckOutcome("pass", "adds arrays")


def _scalar_build(rng: np.random.Generator) -> Sequence[Probe]:
    x, y = (int(v) for v in rng.integers(-100, 100, size=2))
    return [Probe("call", {"name": "add", "args": [x, y]}, timeout_s=5.0)]


def _scalar_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    (result,) = results
    x, y = probes[0].args["args"]
    if result.ok and type(result.value) is int and result.value == x + y:
        return CheckOutcome("pass", "adds ints")
    return CheckOutcome("fail", f"expected {x + y}", output=_describe(result))


ADD_SPEC = ChallengeSpec(
    slug="test-add",
    names=("add",),
    checks=(
        Check(
            "adds arrays",
            "add(a, b) == a + b for float32 arrays",
            _add_build,
            _add_judge,
            video="dQw4w9WgXcQ",
            card=1,
            needs=("add",),
        ),
        Check(
            "adds ints", "add(x, y) == x + y for ints", _scalar_build, _scalar_judge, needs=("add",)
        ),
    ),
    starter="def add(a, b):\n    ...\n",
    wall_s=10.0,
)


def simple_spec(
    *checks: Check, names: tuple[str, ...] = ("add",), wall_s: float = 10.0
) -> ChallengeSpec:
    return ChallengeSpec(slug="test-spec", names=names, checks=checks, starter="", wall_s=wall_s)


def call_check(
    name: str,
    fn: str,
    args: list[Any],
    judge: Any,
    *,
    op: str = "call",
    timeout_s: float = 5.0,
    needs: tuple[str, ...] | None = None,
) -> Check:
    """A check with one probe calling ``fn(*args)`` and a custom judge(value) -> bool."""

    def build(rng: np.random.Generator) -> Sequence[Probe]:
        return [Probe(op, {"name": fn, "args": args}, timeout_s=timeout_s)]

    def judge_fn(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        (result,) = results
        if result.ok and judge(result.value):
            return CheckOutcome("pass", "ok")
        return CheckOutcome("fail", _describe(result), output=_describe(result))

    return Check(name, f"{fn}(...)", build, judge_fn, needs=(fn,) if needs is None else needs)


# --- one warm pool for the whole session --------------------------------------------------------

_pool: SandboxPool | None = None
_pool_lock = threading.Lock()


def shared_pool() -> SandboxPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = SandboxPool(PoolSettings.from_env())
            _pool.start()
            atexit.register(_pool.shutdown)
        return _pool


def report_json(report: GradeReport) -> str:
    return json.dumps(report.to_exercism()) + json.dumps(report.to_dict())


def sandbox_tree(pool: SandboxPool) -> list[int]:
    """Pids of the live processes under the pool's bwrap: bwrap's init, the zygote and the
    child it pre-forked for the next job; never a leftover from a finished job."""
    import psutil

    zygote = pool._zygote
    if zygote is None or zygote.proc is None:
        return []
    try:
        return [
            p.pid
            for p in psutil.Process(zygote.proc.pid).children(recursive=True)
            if p.status() != psutil.STATUS_ZOMBIE
        ]
    except psutil.NoSuchProcess:
        return []


def zygote_process(pool: SandboxPool) -> Any:
    """The zygote itself (the python process whose parent is bwrap's init)."""
    import psutil

    zygote = pool._zygote
    assert zygote is not None and zygote.proc is not None
    for proc in psutil.Process(zygote.proc.pid).children(recursive=True):
        if proc.parent() is not None and proc.parent().name() == "bwrap":
            if "zygote.py" in " ".join(proc.cmdline()):
                return proc
    raise AssertionError("no zygote process found")


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "no")
