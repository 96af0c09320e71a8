"""The contract between a challenge's checks, the trusted runner and the sandbox.

A challenge is a list of checks. Each check builds *probes* on the trusted side
(plain data: JSON values with numpy arrays as leaves, randomised per run), the
sandbox executes them against the learner's module (``grading.sandbox.probes.OPS``)
and returns raw values, and the check's ``judge`` compares those values with the
project's reference implementations -- on the trusted side, after the sandbox
answered, so nothing inside the sandbox can see or forge an expected value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Status = Literal["pass", "fail", "error"]


@dataclass(frozen=True)
class Probe:
    """One call into the learner's module, executed by ``OPS[op](module, **args)``."""

    op: str
    args: dict[str, Any]
    # Per-probe wall-clock budget; the sandbox parent kills the child past it.
    timeout_s: float = 5.0


@dataclass(frozen=True)
class ProbeError:
    type: str  # exception class name, e.g. "RuntimeError"
    message: str
    traceback: str  # trimmed to frames in the learner's file


@dataclass(frozen=True)
class ProbeResult:
    """What came back for one probe. ``value`` holds JSON values and numpy arrays."""

    ok: bool
    value: Any = None
    error: ProbeError | None = None
    elapsed_s: float = 0.0
    timed_out: bool = False


@dataclass(frozen=True)
class CheckOutcome:
    status: Status
    message: str  # one or two sentences a learner can act on
    output: str = ""  # optional detail (expected vs got excerpts)


@dataclass(frozen=True)
class Check:
    name: str
    description: str  # shown as Exercism's ``test_code``: what is checked, in words
    build: Callable[[np.random.Generator], Sequence[Probe]]
    judge: Callable[[Sequence[Probe], Sequence[ProbeResult]], CheckOutcome]
    video: str | None = None  # YouTube id of the video that teaches it
    card: int | None = None  # flashcard number that teaches it
    # Names this check needs; when one is missing the check is an error without running.
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChallengeSpec:
    slug: str
    names: tuple[str, ...]  # every name the module must define (contract)
    checks: tuple[Check, ...]
    starter: str  # starter template source shown the first time
    wall_s: float = 20.0  # overall wall-clock budget for one grading run
    optional_names: tuple[str, ...] = field(default=())
