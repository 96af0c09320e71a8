"""Attention checks on the attention weights recovered from the output: rows are a softmax
(causal where needed) and the scores are divided by sqrt(d_k).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from grading.challenges.attention.arch import (
    W_TOL,
    Arch,
    Setup,
    _crafted,
    _head_qkv,
    _int,
    _recover_weights,
)
from grading.challenges.attention.runs import (
    Run,
    _forward_probe,
    _judge_each,
    _usable_outputs,
)
from grading.challenges.base import Check, CheckOutcome, Probe
from grading.challenges.checks import (
    compare_shape,
    failed,
)


def _crafted_setup(arch: Arch, rng: np.random.Generator, **fixed: Any) -> tuple[Setup, int]:
    """Sizes where weights can be recovered: num_tokens <= d_in and <= d_k; d_in != d_k."""
    n = fixed.pop("n", _int(rng, 3, 4))
    hd = _int(rng, n, n + 1)
    d_out = 2 * hd if arch.kind == "mha" else hd
    d_in = _int(rng, n, n + 2)
    if d_in == hd:
        d_in += 1
    s = Setup(
        d_in=d_in,
        d_out=d_out,
        num_heads=2 if arch.kind == "mha" else 1,
        context_length=n if arch.batched else 0,
        **fixed,
    )
    return s, n


def _crafted_probe(arch: Arch, rng: np.random.Generator) -> Probe:
    s, n = _crafted_setup(arch, rng)
    x, params = _crafted(arch, s, n, rng)
    return _forward_probe(arch, s, [x], params=params)


def _rows_problem(w: np.ndarray, causal: bool, head: str) -> str | None:
    """What is wrong with one matrix of attention weights (rows = queries), or None."""
    n = w.shape[0]
    if not np.isfinite(w).all():
        row = int(np.argwhere(~np.isfinite(w))[0][0])
        hint = (
            (
                " A fully masked row usually means the mask hides the diagonal too: use "
                "torch.triu(..., diagonal=1)."
            )
            if causal and row == 0
            else ""
        )
        return f"the attention weights{head} are not finite in row {row}.{hint}"
    if w.min() < -W_TOL:
        i, j = np.unravel_index(int(np.argmin(w)), w.shape)
        return (
            f"attention weight{head} [{i}, {j}] is negative ({w[i, j]:.3g}): attention "
            "weights come from a softmax, so they are >= 0."
        )
    if causal:
        upper = np.triu(np.abs(w), k=1)
        if upper.max() > W_TOL:
            i, j = np.unravel_index(int(np.argmax(upper)), w.shape)
            return (
                f"token {i} attends to the later token {j}{head} (weight {w[i, j]:.3g}): "
                "mask the scores above the diagonal with -inf before the softmax."
            )
    rows = w.sum(axis=1)
    if np.abs(rows - 1.0).max() > W_TOL:
        i = int(np.argmax(np.abs(rows - 1.0)))
        cols = w.sum(axis=0)
        if np.abs(cols - 1.0).max() <= W_TOL:
            return (
                f"the columns of the attention weights{head} sum to one, not the rows "
                f"(row {i} sums to {rows[i]:.3g}): the softmax runs over dim 0 / the "
                "queries; use dim=-1."
            )
        if causal and rows.max() < 1.0 + W_TOL and n > 1:
            return (
                f"row {i} of the attention weights{head} sums to {rows[i]:.3g}: the mask "
                "seems to be applied after the softmax -- fill the masked scores with "
                "-inf before it, so each row sums to one."
            )
        return (
            f"row {i} of the attention weights{head} sums to {rows[i]:.3g}, not 1: apply "
            "torch.softmax(scores / keys.shape[-1] ** 0.5, dim=-1)."
        )
    return None


def rows_check(archs: Sequence[Arch], name: str, *, video: str, card: int) -> Check:
    """Attention weights (recovered from the output) are a row softmax, causal if needed."""
    causal = archs[0].causal

    def build(rng: np.random.Generator) -> list[Probe]:
        return [_crafted_probe(arch, rng) for arch in archs]

    def per_run(run: Run) -> CheckOutcome | None:
        shape_issue = compare_shape(run.arch.out_shape(run.setup, run.xs[0].shape), run.outputs[0])
        if shape_issue is not None:
            return failed(f"{run.what}: {shape_issue.message}", shape_issue.output)
        assert run.params is not None
        for h, w in enumerate(
            _recover_weights(run.arch, run.setup, run.xs[0], run.params, run.outputs[0])
        ):
            head = f" of head {h}" if run.arch.kind == "mha" else ""
            problem = _rows_problem(w, run.arch.causal, head)
            if problem is not None:
                return failed(
                    f"{run.what}: judging from your output (= attention weights @ "
                    f"values), {problem}",
                    f"attention weights{head}:\n{w.round(3)}",
                )
        return None

    what = (
        "lower-triangular (no token attends to a later one), non-negative, and each row sums to one"
        if causal
        else "non-negative and each row sums to one"
    )
    return Check(
        name,
        f"The attention weights behind the output (recovered as output @ pinv(values)) are {what}.",
        build,
        _judge_each("", per_run, f"The attention weights are {what}."),
        video=video,
        card=card,
        needs=tuple(a.cls for a in archs),
    )


def _fit_scale(w: np.ndarray, scores: np.ndarray, causal: bool) -> tuple[float, float] | None:
    """Fit ``w = softmax(scores / c)``: returns (c, worst residual) or None if not fittable.

    Row-centred log-weights are linear in row-centred scores with slope 1/c; only clearly
    non-zero allowed entries are used (tiny ones are dominated by float32 noise).
    """
    n = w.shape[0]
    ys, ss = [], []
    for i in range(n):
        allowed = [j for j in range(n) if (not causal or j <= i) and w[i, j] > 1e-3]
        if len(allowed) < 2:
            continue
        y = np.log(w[i, allowed])
        s = scores[i, allowed]
        ys.append(y - y.mean())
        ss.append(s - s.mean())
    if not ys:
        return None
    y_all, s_all = np.concatenate(ys), np.concatenate(ss)
    denom = float(s_all @ s_all)
    slope = float(y_all @ s_all) / denom if denom > 0 else 0.0
    if slope <= 0:
        return None
    return 1.0 / slope, float(np.abs(y_all - slope * s_all).max())


def scale_check(archs: Sequence[Arch], name: str, *, video: str, card: int) -> Check:
    """Measure the constant the scores are divided by, and name a wrong one."""
    mha = archs[0].kind == "mha"
    dk_name = "head_dim" if mha else "d_k"

    def build(rng: np.random.Generator) -> list[Probe]:
        return [_crafted_probe(arch, rng) for arch in archs]

    def per_run(run: Run) -> CheckOutcome | None:
        assert run.params is not None
        s = run.setup
        unusable = _usable_outputs(run)
        if unusable is not None:
            return unusable
        d_k = run.arch.d_k(s)
        weights = _recover_weights(run.arch, s, run.xs[0], run.params, run.outputs[0])
        for h, (w, (q, k, _)) in enumerate(
            zip(weights, _head_qkv(run.arch, s, run.xs[0], run.params), strict=True)
        ):
            head = f" (head {h})" if mha else ""
            if _rows_problem(w, run.arch.causal, "") is not None:
                return failed(
                    f"{run.what}: the scale cannot be measured because the attention "
                    f"weights{head} are not a softmax over each row -- fix the "
                    "attention-weights check first."
                )
            fit = _fit_scale(w, q @ k.T, run.arch.causal)
            if fit is None or fit[1] > 0.05:
                return failed(
                    f"{run.what}: the attention weights{head} are not "
                    "softmax(queries @ keys.T / c) for any constant c: check that "
                    "the scores are queries @ keys.T (queries from W_query, keys "
                    "from W_key)."
                )
            c = fit[0]
            candidates = [
                (math.sqrt(d_k), None),
                (
                    1.0,
                    "the scores are not scaled at all: divide them by "
                    f"sqrt({dk_name}) = keys.shape[-1] ** 0.5",
                ),
                (
                    float(d_k),
                    f"the scores are divided by {dk_name} = {d_k} instead of sqrt({dk_name})",
                ),
                (
                    math.sqrt(s.d_out),
                    f"the scores are divided by sqrt(d_out) = sqrt({s.d_out}) "
                    f"instead of sqrt(head_dim) = sqrt({d_k})",
                ),
                (
                    math.sqrt(s.d_in),
                    f"the scores are divided by sqrt(d_in) = sqrt({s.d_in}) "
                    f"instead of sqrt({dk_name}) = sqrt({d_k})",
                ),
            ]
            for value, message in candidates:
                if abs(c / value - 1.0) < 1e-2:
                    if message is None:
                        break
                    return failed(f"{run.what}: {message}{head}.")
            else:
                return failed(
                    f"{run.what}: the scores{head} are divided by {c:.3g}; expected "
                    f"sqrt({dk_name}) = sqrt({d_k}) = {math.sqrt(d_k):.3g}."
                )
        return None

    return Check(
        name,
        f"The attention scores are divided by sqrt({dk_name}) before the "
        f"softmax (measured from the attention weights behind the output).",
        build,
        _judge_each("", per_run, f"The scores are scaled by sqrt({dk_name})."),
        video=video,
        card=card,
        needs=tuple(a.cls for a in archs),
    )
