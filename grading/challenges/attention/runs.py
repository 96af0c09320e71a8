"""Forward probes of the attention classes and reading their results (``Run``); comparing an
output with the reference and naming the mistake when it differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from grading.challenges.attention.arch import (
    _LAYOUT_HINT,
    ARCHS,
    ATOL,
    RTOL,
    Arch,
    Params,
    Setup,
)
from grading.challenges.base import CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import (
    compare_arrays,
    compare_shape,
    failed,
    first_match,
    first_nonfinite,
    fmt_index,
    fmt_shape,
    learner_param_listing,
    load_error_outcome,
    passed,
    probe_failure,
)

# --- Probes and reading their results ----------------------------------------------------------


def _forward_probe(
    arch: Arch,
    s: Setup,
    xs: Sequence[np.ndarray],
    *,
    params: Params | None,
    seed: int | None = None,
    train: bool = False,
    forward_seed: int | None = None,
    return_params: bool = False,
) -> Probe:
    args: dict[str, Any] = {
        "cls": arch.cls,
        "args": arch.ctor_args(s),
        "calls": [[x] for x in xs],
        "train": train,
    }
    if params is not None:
        args["tensors"] = params
    if seed is not None:
        args["seed"] = seed
    if forward_seed is not None:
        args["forward_seed"] = forward_seed
    if return_params:
        args["return_params"] = True
    return Probe("module_forward", args)


@dataclass(frozen=True)
class Run:
    """One forward probe's inputs and the learner's outputs, validated."""

    arch: Arch
    setup: Setup
    xs: list[np.ndarray]
    outputs: list[Any]
    value: dict[str, Any]
    params: Params | None

    @property
    def what(self) -> str:
        return f"{self.arch.signature(self.setup)} on x of shape {fmt_shape(self.xs[0].shape)}"


def _run(probe: Probe, result: ProbeResult, *, hint: str = "") -> Run | CheckOutcome:
    """Validate one ``module_forward`` result; an outcome when it cannot be judged."""
    arch = ARCHS[probe.args["cls"]]
    setup = arch.setup_from(probe.args["args"])
    xs = [c[0] for c in probe.args.get("calls", [])]
    shape = fmt_shape(xs[0].shape) if xs else "()"
    what = f"{arch.signature(setup)} on x of shape {shape}"
    failure = probe_failure(result, what=what, hint=hint)
    if failure is not None:
        return failure
    value = result.value
    if not isinstance(value, dict) or not isinstance(value.get("outputs"), list):
        return CheckOutcome("error", f"{what}: the sandbox returned no outputs.")
    if "load_error" in value:
        out = load_error_outcome(
            value["load_error"], what=arch.signature(setup), hint=_LAYOUT_HINT[arch.kind]
        )
        return replace(out, output=learner_param_listing(value.get("param_shapes")))
    if len(value["outputs"]) != len(xs):
        return CheckOutcome("error", f"{what}: expected {len(xs)} outputs from the sandbox.")
    return Run(arch, setup, xs, value["outputs"], value, probe.args.get("tensors"))


def _expected(run: Run, i: int = 0, **opts: Any) -> np.ndarray:
    assert run.params is not None
    return run.arch.reference(run.xs[i], run.params, run.setup, **opts)


def _usable_outputs(run: Run, *, context: str = "") -> CheckOutcome | None:
    """Every output has the expected shape and is finite (NaN rows get a masking hint)."""
    expected_shape = run.arch.out_shape(run.setup, run.xs[0].shape)
    for out in run.outputs:
        issue = compare_shape(expected_shape, out)
        if issue is not None:
            return failed(f"{run.what}{context}: {issue.message}", issue.output)
        bad = first_nonfinite(out)
        if bad is not None:
            hint = (
                (
                    " A row where every score is masked gives NaN: the mask must leave the "
                    "diagonal visible (torch.triu(..., diagonal=1))."
                )
                if run.arch.causal
                else ""
            )
            return failed(
                f"{run.what}{context}: your output is {out[bad]} at position "
                f"{fmt_index(bad)}.{hint}"
            )
    return None


def _compare_to_reference(run: Run, i: int = 0, *, context: str = "") -> CheckOutcome | None:
    """Compare output ``i`` with the reference; on a mismatch try to name the mistake."""
    expected = _expected(run, i)
    outcome = compare_arrays(expected, run.outputs[i], atol=ATOL, rtol=RTOL, dtype="float32")
    if outcome is None:
        return None
    got = run.outputs[i]
    named = first_match(
        got,
        (
            (msg, lambda opts=opts: _expected(run, i, **opts))
            for msg, opts in run.arch.mistakes(run.setup)
        ),
        atol=ATOL,
        rtol=RTOL,
    )
    lead = f"{run.what}{context}: "
    if named is not None:
        return failed(lead + named, outcome.output)
    return failed(lead + outcome.message, outcome.output)


def _judge_each(
    hint: str,
    per_run: Callable[[Run], CheckOutcome | None],
    success: str,
) -> Callable[[Sequence[Probe], Sequence[ProbeResult]], CheckOutcome]:
    """A judge that validates every probe, applies ``per_run`` and stops at the first issue."""

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        for probe, result in zip(probes, results, strict=True):
            run = _run(probe, result, hint=hint)
            if isinstance(run, CheckOutcome):
                return run
            outcome = per_run(run)
            if outcome is not None:
                return outcome
        return passed(success)

    return judge
