"""Attention checks of causality, the mask buffer, dropout, the divisibility rule and the
weight-split equivalence of MultiHeadAttention and the wrapper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from grading.challenges.attention.arch import (
    ATOL,
    MHA,
    RTOL,
    W_TOL,
    WRAPPER,
    Arch,
    Setup,
    _crafted,
    _int,
    _random_setup,
    _recover_weights,
    _seed,
    _x,
)
from grading.challenges.attention.runs import (
    Run,
    _compare_to_reference,
    _forward_probe,
    _judge_each,
    _run,
    _usable_outputs,
)
from grading.challenges.attention.weight_checks import (
    _crafted_setup,
    _rows_problem,
)
from grading.challenges.base import Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import (
    compare_arrays,
    failed,
    fmt_shape,
    passed,
    probe_failure,
)
from grading.reference import attention as ref


def causality_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """Changing token j never changes outputs before j (and does change position j)."""

    def build(rng: np.random.Generator) -> list[Probe]:
        s, n, b = _random_setup(arch, rng, n=_int(rng, 4, 6), b=2)
        base = _x(rng, arch.x_shape(s, n, b))
        xs = [base]
        for j in range(1, n):
            changed = base.copy()
            changed[:, j] = _x(rng, (b, s.d_in))
            xs.append(changed)
        return [_forward_probe(arch, s, xs, params=arch.random_params(s, rng))]

    def per_run(run: Run) -> CheckOutcome | None:
        unusable = _usable_outputs(run)
        if unusable is not None:
            return unusable
        base = run.outputs[0].astype(np.float64)
        for j in range(1, len(run.outputs)):
            diff = np.abs(run.outputs[j].astype(np.float64) - base)
            per_pos = diff.max(axis=(0, 2))  # largest change at each position
            leaked = [p for p in range(j) if per_pos[p] > ATOL]
            if leaked:
                p = leaked[0]
                return failed(
                    f"{run.what}: changing only token {j} changed the output at the earlier "
                    f"position {p} (by up to {per_pos[p]:.3g}), so position {p} sees the "
                    "future. Mask the scores above the diagonal with -inf before the softmax "
                    "(masked_fill_ works in place; masked_fill returns a new tensor)."
                )
            if per_pos[j] <= ATOL:
                return failed(
                    f"{run.what}: changing token {j} did not change the output at "
                    f"position {j}: every token must attend to itself and earlier "
                    "tokens."
                )
        return None

    return Check(
        name,
        f"{arch.cls} is causal: changing a later token never changes the "
        "output at an earlier position.",
        build,
        _judge_each("", per_run, "No position sees a later token."),
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def shorter_context_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """num_tokens < context_length: the mask must be sliced to num_tokens."""

    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for _ in range(2):
            n = _int(rng, 2, 5)
            s, _, b = _random_setup(arch, rng, n=n)
            s = replace(s, context_length=n + _int(rng, 1, 4))
            probes.append(
                _forward_probe(
                    arch, s, [_x(rng, arch.x_shape(s, n, b))], params=arch.random_params(s, rng)
                )
            )
        return probes

    hint = (
        "This input has fewer tokens than context_length: slice the mask to the actual "
        "number of tokens, self.mask.bool()[:num_tokens, :num_tokens]."
    )
    return Check(
        name,
        f"{arch.cls} works (and matches the reference) for inputs shorter than "
        "context_length: the mask is sliced to num_tokens.",
        build,
        _judge_each(
            hint,
            _compare_to_reference,
            "Inputs shorter than context_length work: the mask is sliced to num_tokens.",
        ),
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def mask_buffer_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """A registered buffer ``mask`` of shape (context_length, context_length), upper triangle."""

    def build(rng: np.random.Generator) -> list[Probe]:
        s, _, _ = _random_setup(arch, rng, n=_int(rng, 4, 8))
        return [
            Probe(
                "inspect_module",
                {
                    "cls": arch.cls,
                    "args": arch.ctor_args(s),
                    "attributes": ["mask"],
                    "buffer_values": True,
                },
            )
        ]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        s = arch.setup_from(probes[0].args["args"])
        sig = arch.signature(s)
        failure = probe_failure(results[0], what=sig, hint="(while constructing it)")
        if failure is not None:
            return failure
        value = results[0].value if isinstance(results[0].value, dict) else {}
        c = s.context_length
        how = (
            "self.register_buffer('mask', torch.triu(torch.ones(context_length, "
            "context_length), diagonal=1))"
        )
        buf = value.get("buffers", {}).get("mask")
        if not isinstance(buf, dict):
            attr = value.get("attributes", {}).get("mask", {})
            if isinstance(attr, dict) and attr.get("kind") == "tensor":
                return failed(
                    f"{sig}: self.mask is a plain tensor attribute, not a registered "
                    f"buffer, so model.to(device) would not move it. Use {how}."
                )
            return failed(f"{sig} has no buffer named mask: create it in __init__ with {how}.")
        arr = buf.get("value")
        if not isinstance(arr, np.ndarray) or arr.shape != (c, c):
            shape = fmt_shape(arr.shape) if isinstance(arr, np.ndarray) else "?"
            return failed(
                f"{sig}: expected the mask buffer of shape {fmt_shape((c, c))} "
                f"(context_length x context_length), got {shape}."
            )
        on = arr != 0
        if np.array_equal(on, ref.causal_mask(c, 1)):
            return passed(f"mask is a registered ({c}, {c}) buffer with ones above the diagonal.")
        if np.array_equal(on, ~ref.causal_mask(c, 1)):
            return passed(
                f"mask is a registered ({c}, {c}) buffer marking the allowed "
                "positions (lower triangle with the diagonal): equivalent to the "
                "book's upper-triangle mask."
            )
        if np.array_equal(on, ref.causal_mask(c, 0)):
            return failed(
                f"{sig}: the mask also covers the diagonal, so a token could not "
                "attend to itself: use torch.triu(..., diagonal=1).",
                f"your mask:\n{arr}",
            )
        return failed(
            f"{sig}: the mask should be 1 above the diagonal and 0 elsewhere ({how}).",
            f"your mask:\n{arr}",
        )

    return Check(
        name,
        f"{arch.cls} registers a buffer named mask: "
        "torch.triu(torch.ones(context_length, context_length), diagonal=1).",
        build,
        judge,
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def eval_deterministic_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """With dropout > 0 in eval mode: two calls agree, and equal attention without dropout."""

    def build(rng: np.random.Generator) -> list[Probe]:
        s, n, b = _random_setup(arch, rng, dropout=float(rng.choice([0.3, 0.5])), b=2)
        x = _x(rng, arch.x_shape(s, n, b))
        return [
            _forward_probe(
                arch, s, [x, x], params=arch.random_params(s, rng), forward_seed=_seed(rng)
            )
        ]

    def per_run(run: Run) -> CheckOutcome | None:
        first, second = run.outputs
        if (
            isinstance(first, np.ndarray)
            and compare_arrays(first.astype(np.float64), second, atol=0.0, rtol=0.0) is not None
        ):
            return failed(
                f"{run.what}, eval mode: two forward passes on the same input gave "
                "different outputs. Dropout must be off after model.eval(): use "
                "self.dropout = nn.Dropout(dropout), or "
                "F.dropout(..., training=self.training)."
            )
        return _compare_to_reference(run, context=" in eval mode (dropout must be off)")

    return Check(
        name,
        f"In eval mode {arch.cls} with dropout > 0 is deterministic and equals "
        "attention without dropout.",
        build,
        _judge_each("", per_run, "Eval mode switches dropout off."),
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def train_dropout_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """In train mode some attention weights are zeroed, the rest scaled by 1/(1-p).

    Judged against the learner's *own* eval-mode weights (same module arguments, weights and
    input), so a mistake elsewhere (say, the scale) does not read as a dropout mistake.
    """

    def build(rng: np.random.Generator) -> list[Probe]:
        # Longer sequences and three calls: a correct dropout leaves no weight zeroed, or
        # draws the same mask every call, with probability below 2**-30.
        s, n = _crafted_setup(arch, rng, dropout=0.5, n=_int(rng, 5, 6))
        x, params = _crafted(arch, s, n, rng)
        seed = _seed(rng)
        return [
            _forward_probe(arch, s, [x], params=params, forward_seed=seed),
            _forward_probe(arch, s, [x, x, x], params=params, train=True, forward_seed=seed),
        ]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        runs = [_run(p, r) for p, r in zip(probes, results, strict=True)]
        for r, context in zip(runs, (", eval mode", ", train mode"), strict=True):
            if isinstance(r, CheckOutcome):
                return r
            unusable = _usable_outputs(r, context=context)
            if unusable is not None:
                return unusable
        eval_run, run = runs
        assert isinstance(eval_run, Run) and isinstance(run, Run) and run.params is not None
        s, p, what = run.setup, run.setup.dropout, f"{run.what}, train mode"
        x = run.xs[0]
        expected = _recover_weights(run.arch, s, x, run.params, eval_run.outputs[0])
        for e in expected:
            if _rows_problem(e, run.arch.causal, "") is not None:
                return failed(
                    f"{eval_run.what}: dropout cannot be judged yet because the "
                    "attention weights behind your eval-mode output are not a "
                    "softmax over each row -- fix the attention-weights check "
                    "first."
                )
        if all(np.allclose(out, eval_run.outputs[0], atol=ATOL, rtol=RTOL) for out in run.outputs):
            return failed(
                f"{what}: dropout is not applied -- the output equals the eval-mode "
                "output. Apply self.dropout (nn.Dropout(dropout)) to the attention "
                "weights after the softmax."
            )
        dropped_total = 0
        for out in run.outputs:
            for w, e in zip(
                _recover_weights(run.arch, s, x, run.params, out), expected, strict=True
            ):
                kept = np.abs(w - e / (1 - p)) <= W_TOL * (1 + np.abs(e))
                dropped = np.abs(w) <= W_TOL
                if not (kept | dropped).all():
                    unscaled = (np.abs(w - e) <= W_TOL * (1 + np.abs(e))) | dropped
                    if unscaled.all() and (dropped & (np.abs(e) > W_TOL)).any():
                        return failed(
                            f"{what}: weights are dropped but the kept ones are not "
                            f"scaled by 1/(1-p) = {1 / (1 - p):.3g} -- nn.Dropout "
                            "does this for you."
                        )
                    return failed(
                        f"{what}: the attention weights behind your output are not "
                        "your eval-mode weights with some zeroed and the rest scaled "
                        "by 1/(1-p). Apply dropout to the attention weights (after "
                        "the softmax, before @ values), not to the scores, values or "
                        "output.",
                        f"eval mode:\n{e.round(3)}\ntrain mode:\n{w.round(3)}",
                    )
                dropped_total += int((dropped & (np.abs(e) > W_TOL)).sum())
        if dropped_total == 0:
            return failed(
                f"{what}: no attention weight was ever zeroed. Apply self.dropout "
                "(nn.Dropout(dropout)) to the attention weights after the softmax."
            )
        if all(np.array_equal(run.outputs[0], out) for out in run.outputs[1:]):
            return failed(
                f"{what}: every forward pass dropped exactly the same weights: "
                "dropout must draw a new random mask each call (do not reseed "
                "inside forward)."
            )
        return passed("Dropout zeroes attention weights in train mode and rescales the rest.")

    return Check(
        name,
        f"In train mode {arch.cls} applies dropout to the attention weights: "
        "some are zeroed, the rest scaled by 1/(1-p), differently on each call.",
        build,
        judge,
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def divisible_check(name: str, *, video: str, card: int) -> Check:
    """MultiHeadAttention rejects d_out % num_heads != 0 and accepts multiples."""

    def build(rng: np.random.Generator) -> list[Probe]:
        heads = _int(rng, 2, 4)
        bad = Setup(
            d_in=_int(rng, 2, 6),
            d_out=heads * _int(rng, 1, 3) + _int(rng, 1, heads - 1),
            context_length=_int(rng, 3, 8),
            num_heads=heads,
        )
        good = replace(bad, d_out=heads * _int(rng, 1, 3))
        return [Probe("construct", {"cls": MHA.cls, "args": MHA.ctor_args(s)}) for s in (bad, good)]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        bad, good = (MHA.setup_from(p.args["args"]) for p in probes)
        for s, result in ((bad, results[0]), (good, results[1])):
            failure = probe_failure(result, what=MHA.signature(s))
            if failure is not None:
                return failure
        raised = [r.value.get("raised") if isinstance(r.value, dict) else None for r in results]
        if raised[0] is None:
            return failed(
                f"{MHA.signature(bad)} was created without an error, but d_out = "
                f"{bad.d_out} is not divisible by num_heads = {bad.num_heads}: add "
                "assert d_out % num_heads == 0 (or raise ValueError) in __init__."
            )
        if raised[1] is not None:
            message = str(results[1].value.get("message", ""))  # type: ignore[union-attr]
            return failed(
                f"{MHA.signature(good)} raised {raised[1]} ({message[:200]}), but "
                f"d_out = {good.d_out} is divisible by num_heads = {good.num_heads}."
            )
        return passed(
            f"d_out must be divisible by num_heads: {MHA.signature(bad)} raised {raised[0]}."
        )

    return Check(
        name,
        "MultiHeadAttention refuses d_out that is not divisible by num_heads "
        "(head_dim = d_out // num_heads) and accepts one that is.",
        build,
        judge,
        video=video,
        card=card,
        needs=(MHA.cls,),
    )


def split_equals_wrapper_check(name: str, *, video: str, card: int) -> Check:
    """MHA with the wrapper's head weights stacked (out_proj = I) equals the wrapper."""

    def build(rng: np.random.Generator) -> list[Probe]:
        w_setup, n, b = _random_setup(WRAPPER, rng)
        heads, hd = w_setup.num_heads, w_setup.d_out
        x = _x(rng, WRAPPER.x_shape(w_setup, n, b))
        w_params = WRAPPER.random_params(w_setup, rng)
        m_setup = replace(w_setup, d_out=heads * hd)
        m_params = {
            f"W_{p}.weight": np.concatenate(
                [w_params[f"heads.{i}.W_{p}.weight"] for i in range(heads)], axis=0
            )
            for p in ("query", "key", "value")
        }
        m_params["out_proj.weight"] = np.eye(heads * hd, dtype=np.float32)
        m_params["out_proj.bias"] = np.zeros(heads * hd, dtype=np.float32)
        return [
            _forward_probe(WRAPPER, w_setup, [x], params=w_params),
            _forward_probe(MHA, m_setup, [x], params=m_params),
        ]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        runs = [_run(p, r) for p, r in zip(probes, results, strict=True)]
        for r in runs:
            if isinstance(r, CheckOutcome):
                return r
        wrap, mha = runs
        assert isinstance(wrap, Run) and isinstance(mha, Run)
        wrap_issue = _compare_to_reference(wrap)
        if wrap_issue is not None:
            return failed(
                "MultiHeadAttentionWrapper must be right first: " + wrap_issue.message,
                wrap_issue.output,
            )
        issue = compare_arrays(
            np.asarray(wrap.outputs[0], np.float64), mha.outputs[0], atol=ATOL, rtol=RTOL
        )
        if issue is not None:
            hd = wrap.setup.d_out
            where = ""
            if np.shape(mha.outputs[0]) == np.shape(wrap.outputs[0]):
                diff = np.abs(np.asarray(mha.outputs[0], np.float64) - wrap.outputs[0])
                per_head = diff.reshape(*diff.shape[:-1], -1, hd).max(axis=(0, 1, 3))
                heads = [str(h) for h, d in enumerate(per_head) if not d <= ATOL]
                where = f" Heads that differ: {', '.join(heads)}."
            return failed(
                f"{mha.what}, with the wrapper's head weights stacked into W_query/W_key/"
                "W_value and out_proj set to the identity, should reproduce "
                f"{WRAPPER.signature(wrap.setup)} exactly (head i = columns i*head_dim to "
                f"(i+1)*head_dim). {issue.message}{where} Check how the heads are split and "
                "combined.",
                issue.output,
            )
        return passed(
            "MultiHeadAttention computes the same heads as the wrapper, in one "
            "batched matrix multiplication."
        )

    return Check(
        name,
        "MultiHeadAttention with the wrapper's per-head weights stacked (and "
        "out_proj = identity) equals MultiHeadAttentionWrapper: the weight split is "
        "the same model, computed at once.",
        build,
        judge,
        video=video,
        card=card,
        needs=(WRAPPER.cls, MHA.cls),
    )
