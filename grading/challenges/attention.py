"""Chapter 3 challenges: ``self-attention``, ``causal-attention``, ``multi-head-attention``.

Every check follows the same forge-proof pattern (SANDBOX.md, base.py):

1. ``build(rng)`` draws sizes, inputs and -- for most checks -- weights on the trusted side;
2. the sandbox instantiates the learner's class by name (``grading.sandbox.probes``),
   loads those weights by the book's parameter names, runs forward and returns raw outputs;
3. ``judge`` recomputes the expected values from the *probe's own* weights and inputs with
   ``grading.reference.attention`` and compares. Nothing the learner reports about
   correctness is trusted; when the reference does not match, mistake variants of the
   reference are tried so the message can *name* the mistake.

Attention weights are not an output of the book's classes, so checks about them (rows sum to
one, causality, the sqrt(d_k) scale, dropout) *recover* them from the output: the judge crafts
the value projection so that the values ``V`` of a one-sequence input have orthonormal rows
(``num_tokens <= d_k``), then ``output = weights @ V`` gives ``weights = output @ pinv(V)``
exactly -- and through ``out_proj`` (an orthogonal matrix) for MultiHeadAttention. The
wrapper's per-head weights are not recovered (its heads are the learner's CausalAttention,
already covered there and by the wrapper's reference check).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from grading.challenges import register
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
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
from grading.reference import attention as ref

# The learner computes in float32, the reference in float64 from the same float32 weights.
ATOL = 1e-4
RTOL = 1e-4
# Recovered attention weights pass through a pseudo-inverse: a little more slack.
W_TOL = 2e-3
STARTERS = Path(__file__).parent / "starters"

# Videos and flashcards (DESIGN.md §4: each check points at what teaches it).
VID_SIMPLE = "2rluVS_ap9M"  # A simple self-attention mechanism (core)
VID_WEIGHTS = "Dj1fjQNQl2g"  # Computing attention weights
VID_STEPS = "2-PYMkJ0OxY"  # Step-by-step: Q, K, V and scaled dot-product
VID_COMPACT = "NcaoYngcF9E"  # A compact self-attention class
VID_MASK = "-dk_Ewo1FGo"  # Applying a causal attention mask
VID_DROPOUT = "DixrLzbWVtM"  # Masking additional attention weights with dropout
VID_CAUSAL = "v0rGOGe9N_I"  # A compact causal self-attention class
VID_STACK = "hzL0qlZq4Us"  # Stacking single-head attention layers
VID_SPLIT = "zJyrNEpap90"  # Multi-head attention with weight splits
CARD_SELF, CARD_QKV, CARD_SCALED, CARD_COMPLEXITY = 7, 8, 9, 39
CARD_MASK, CARD_DROPOUT, CARD_HEADS, CARD_SPLITS = 10, 11, 12, 13

Kind = Literal["v1", "v2", "causal", "wrapper", "mha"]
Params = dict[str, np.ndarray]


# --- The book's classes, described as data ---------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """Constructor arguments of one instance (the book's names)."""

    d_in: int
    d_out: int
    context_length: int = 0
    dropout: float = 0.0
    num_heads: int = 1
    qkv_bias: bool = False


_CTOR: dict[Kind, tuple[str, ...]] = {
    "v1": ("d_in", "d_out"),
    "v2": ("d_in", "d_out", "qkv_bias"),
    "causal": ("d_in", "d_out", "context_length", "dropout", "qkv_bias"),
    "wrapper": ("d_in", "d_out", "context_length", "dropout", "num_heads", "qkv_bias"),
    "mha": ("d_in", "d_out", "context_length", "dropout", "num_heads", "qkv_bias"),
}

_LAYOUT_HINT: dict[Kind, str] = {
    "v1": "SelfAttention_v1 stores W_query, W_key and W_value as "
    "nn.Parameter(torch.rand(d_in, d_out)).",
    "v2": "W_query, W_key and W_value are nn.Linear(d_in, d_out, bias=qkv_bias).",
    "causal": "W_query, W_key and W_value are nn.Linear(d_in, d_out, bias=qkv_bias).",
    "wrapper": "self.heads = nn.ModuleList([CausalAttention(d_in, d_out, context_length, "
    "dropout, qkv_bias) for _ in range(num_heads)]).",
    "mha": "W_query, W_key and W_value are nn.Linear(d_in, d_out, bias=qkv_bias) and "
    "out_proj is nn.Linear(d_out, d_out).",
}


@dataclass(frozen=True)
class Arch:
    cls: str
    kind: Kind

    @property
    def batched(self) -> bool:
        return self.kind not in ("v1", "v2")

    @property
    def causal(self) -> bool:
        return self.batched

    def ctor_args(self, s: Setup, *, pass_bias: bool = False) -> list[Any]:
        """Positional constructor arguments: robust to a learner renaming a parameter.

        ``qkv_bias`` is passed only when set (or asked for), so a missing ``qkv_bias``
        parameter fails only the checks about it.
        """
        names = [n for n in _CTOR[self.kind] if n != "qkv_bias"]
        args: list[Any] = [getattr(s, n) for n in names]
        if "qkv_bias" in _CTOR[self.kind] and (s.qkv_bias or pass_bias):
            args.append(s.qkv_bias)
        return args

    def setup_from(self, args: Sequence[Any]) -> Setup:
        values = dict(zip(_CTOR[self.kind], args, strict=False))
        return Setup(**values)

    def signature(self, s: Setup, *, bias: bool | None = None) -> str:
        shown = [n for n in _CTOR[self.kind] if n != "qkv_bias"]
        parts = [f"{n}={getattr(s, n)}" for n in shown]
        if "qkv_bias" in _CTOR[self.kind] and (s.qkv_bias or bias):
            parts.append(f"qkv_bias={s.qkv_bias}")
        return f"{self.cls}({', '.join(parts)})"

    def d_k(self, s: Setup) -> int:
        return s.d_out // s.num_heads if self.kind == "mha" else s.d_out

    def x_shape(self, s: Setup, n: int, b: int) -> tuple[int, ...]:
        return (b, n, s.d_in) if self.batched else (n, s.d_in)

    def out_shape(self, s: Setup, x_shape: tuple[int, ...]) -> tuple[int, ...]:
        width = s.d_out * s.num_heads if self.kind == "wrapper" else s.d_out
        return (*x_shape[:-1], width)

    def param_shapes(self, s: Setup) -> dict[str, tuple[int, ...]]:
        """The book's parameter names and shapes for this instance."""
        if self.kind == "v1":
            return {f"W_{p}": (s.d_in, s.d_out) for p in ("query", "key", "value")}
        out: dict[str, tuple[int, ...]] = {}
        prefixes = [f"heads.{i}." for i in range(s.num_heads)] if self.kind == "wrapper" else [""]
        for pre in prefixes:
            for p in ("query", "key", "value"):
                out[f"{pre}W_{p}.weight"] = (s.d_out, s.d_in)
                if s.qkv_bias:
                    out[f"{pre}W_{p}.bias"] = (s.d_out,)
        if self.kind == "mha":
            out["out_proj.weight"] = (s.d_out, s.d_out)
            out["out_proj.bias"] = (s.d_out,)
        return out

    def random_params(self, s: Setup, rng: np.random.Generator) -> Params:
        """Weights scaled so queries and keys are ~N(0, 1): sqrt(d_k) scaling then matters."""
        params: Params = {}
        for name, shape in self.param_shapes(s).items():
            if name.endswith("bias"):
                params[name] = rng.normal(0.0, 0.5, shape).astype(np.float32)
            else:
                fan_in = shape[0] if self.kind == "v1" else shape[1]
                params[name] = rng.normal(0.0, 1.0 / math.sqrt(fan_in), shape).astype(np.float32)
        return params

    def reference(self, x: np.ndarray, p: Params, s: Setup, **opts: Any) -> np.ndarray:
        if self.kind == "v1":
            return ref.self_attention_v1(x, p["W_query"], p["W_key"], p["W_value"], **opts)
        if self.kind == "v2":
            return ref.self_attention_v2(x, p, **opts)
        if self.kind == "causal":
            return ref.causal_attention(x, p, **opts)
        if self.kind == "wrapper":
            return ref.multi_head_attention_wrapper(x, p, s.num_heads, **opts)
        return ref.multi_head_attention(x, p, s.num_heads, **opts)

    def mistakes(self, s: Setup) -> list[tuple[str, dict[str, Any]]]:
        """Mistake variants of the reference, each with the message that names it."""
        d_k = self.d_k(s)
        dk_name = "head_dim" if self.kind == "mha" else "d_k"
        out: list[tuple[str, dict[str, Any]]] = []
        if self.kind == "mha":
            # First: the usual MHA slip, and when sqrt(d_out) == head_dim both read the same.
            out.append(
                (
                    f"The scores are divided by sqrt(d_out) = sqrt({s.d_out}) instead of "
                    f"sqrt(head_dim) = sqrt({d_k}): each head's keys are head_dim wide.",
                    {"scale": math.sqrt(s.d_out)},
                )
            )
        out += [
            (
                f"The attention scores are not scaled: divide them by sqrt({dk_name}) "
                f"(keys.shape[-1] ** 0.5) before the softmax.",
                {"scale": 1.0},
            ),
            (
                f"The attention scores are divided by {dk_name} = {d_k} instead of its square "
                f"root sqrt({dk_name}).",
                {"scale": float(d_k)},
            ),
            (
                "The softmax normalises over the wrong dim (over the queries): use dim=-1 so "
                "each row of attention weights sums to one.",
                {"softmax_axis": -2},
            ),
        ]
        if s.d_in != d_k:
            out.append(
                (
                    f"The scores are divided by sqrt(d_in) = sqrt({s.d_in}): scale by the "
                    f"keys' width, sqrt({dk_name}) = keys.shape[-1] ** 0.5.",
                    {"scale": math.sqrt(s.d_in)},
                )
            )
        if self.causal:
            diag = (
                "The mask also hides the diagonal, so a token cannot attend to itself (the "
                "first row is all masked): use torch.triu(..., diagonal=1)."
            )
            out += [
                (
                    "No causal mask reaches the scores: tokens attend to later tokens. Note that "
                    "masked_fill returns a new tensor -- use masked_fill_ (in place) or assign "
                    "the result.",
                    {"causal": False},
                ),
                (diag, {"mask_diagonal": 0}),
                (diag, {"mask_diagonal": 0, "mask_value": -1e9}),
                (
                    "The mask is applied after the softmax, so the rows no longer sum to one: "
                    "fill the masked scores with -inf before the softmax.",
                    {"mask_after_softmax": True},
                ),
            ]
        if self.kind == "mha":
            out += [
                (
                    "out_proj is never applied: the combined context vectors must go through "
                    "self.out_proj.",
                    {"use_out_proj": False},
                ),
                (
                    "The heads are split with a plain view to (b, num_heads, num_tokens, "
                    "head_dim): view to (b, num_tokens, num_heads, head_dim), then "
                    ".transpose(1, 2).",
                    {"split": "view"},
                ),
                (
                    "The heads are combined without transposing back: "
                    "(attn_weights @ values).transpose(1, 2) before "
                    ".contiguous().view(b, num_tokens, d_out).",
                    {"combine": "view"},
                ),
            ]
        if self.kind == "wrapper":
            out += [
                (
                    "The heads are concatenated along the tokens dim: use torch.cat(..., dim=-1) "
                    "so each token gets num_heads * d_out features.",
                    {"concat_axis": 1},
                ),
                (
                    "The heads are concatenated along the batch dim: use torch.cat(..., dim=-1).",
                    {"concat_axis": 0},
                ),
            ]
        return out


V1 = Arch("SelfAttention_v1", "v1")
V2 = Arch("SelfAttention_v2", "v2")
CAUSAL = Arch("CausalAttention", "causal")
WRAPPER = Arch("MultiHeadAttentionWrapper", "wrapper")
MHA = Arch("MultiHeadAttention", "mha")
ARCHS = {a.cls: a for a in (V1, V2, CAUSAL, WRAPPER, MHA)}


# --- Random sizes and inputs -----------------------------------------------------------------


def _int(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _x(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.normal(0.0, 1.0, shape).astype(np.float32)


def _random_setup(arch: Arch, rng: np.random.Generator, **fixed: Any) -> tuple[Setup, int, int]:
    """(setup, num_tokens, batch) with num_tokens == context_length unless fixed otherwise."""
    n = fixed.pop("n", _int(rng, 3, 6))
    b = fixed.pop("b", _int(rng, 1, 3))
    heads = fixed.pop("num_heads", _int(rng, 2, 3))
    if arch.kind == "mha":
        d_out = heads * _int(rng, 2, 3)
    else:
        d_out = _int(rng, 2, 5)
    values: dict[str, Any] = {"d_in": _int(rng, 2, 6), "d_out": d_out}
    if arch.batched:
        values["context_length"] = n
    if arch.kind in ("wrapper", "mha"):
        values["num_heads"] = heads
    values.update(fixed)
    return Setup(**values), n, b


def _orthonormal_rows(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(cols, rows)))
    return q.T  # (rows, cols) with orthonormal rows, rows <= cols


def _crafted(arch: Arch, s: Setup, n: int, rng: np.random.Generator) -> tuple[np.ndarray, Params]:
    """One sequence x and weights whose values V have orthonormal rows (per head).

    Then ``weights = output @ V.T`` recovers the attention weights (see module docstring).
    MultiHeadAttention gets an orthogonal ``out_proj`` so it can be inverted too.
    """
    # Orthonormal token rows (scaled like N(0, 1) inputs): a well-conditioned x keeps the
    # crafted W_value small, so float32 rounding cannot blur the recovered weights.
    x2 = _orthonormal_rows(rng, n, s.d_in) * math.sqrt(s.d_in)
    x = x2.reshape(arch.x_shape(s, n, 1)).astype(np.float32)
    params = arch.random_params(replace(s, qkv_bias=False), rng)
    hd = arch.d_k(s)
    v_target = np.concatenate([_orthonormal_rows(rng, n, hd) for _ in range(s.d_out // hd)], axis=1)
    w = np.linalg.pinv(x2) @ v_target  # (d_in, d_out): x @ w == v_target
    if arch.kind == "v1":
        params["W_value"] = w.astype(np.float32)
    else:
        params["W_value.weight"] = w.T.astype(np.float32)
    if arch.kind == "mha":
        q, _ = np.linalg.qr(rng.normal(size=(s.d_out, s.d_out)))
        params["out_proj.weight"] = q.astype(np.float32)
        params["out_proj.bias"] = rng.normal(0.0, 0.1, s.d_out).astype(np.float32)
    return x, params


def _head_qkv(arch: Arch, s: Setup, x: np.ndarray, p: Params) -> list[tuple[np.ndarray, ...]]:
    """Per head (q, k, v) of a one-sequence input, float64 from the given weights."""
    x2 = np.asarray(x, np.float64).reshape(-1, s.d_in)
    if arch.kind == "v1":
        return [(x2 @ p["W_query"], x2 @ p["W_key"], x2 @ p["W_value"].astype(np.float64))]
    q, k, v = ref.qkv(x2, p)
    hd = arch.d_k(s)
    return [(q[:, i : i + hd], k[:, i : i + hd], v[:, i : i + hd]) for i in range(0, s.d_out, hd)]


def _recover_weights(
    arch: Arch, s: Setup, x: np.ndarray, p: Params, out: np.ndarray
) -> list[np.ndarray]:
    """Attention weights per head implied by a one-sequence output (``out = weights @ V``)."""
    o = np.asarray(out, np.float64).reshape(-1, s.d_out)
    if arch.kind == "mha":
        o = (o - p["out_proj.bias"]) @ np.linalg.inv(p["out_proj.weight"].astype(np.float64).T)
    hd = arch.d_k(s)
    return [
        o[:, j * hd : (j + 1) * hd] @ np.linalg.pinv(v)
        for j, (_, _, v) in enumerate(_head_qkv(arch, s, x, p))
    ]


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


# --- Check factories ------------------------------------------------------------------------


def weight_shapes_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """The book's parameter names and shapes (and ``heads`` for the wrapper)."""
    biases = (False, True) if arch.kind != "v1" else (False,)

    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for bias in biases:
            s, _, _ = _random_setup(arch, rng, qkv_bias=bias)
            probes.append(
                Probe(
                    "inspect_module",
                    {
                        "cls": arch.cls,
                        "args": arch.ctor_args(s, pass_bias=bias),
                        "seed": _seed(rng),
                        "attributes": ["heads"],
                    },
                )
            )
        return probes

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        for probe, result in zip(probes, results, strict=True):
            s = arch.setup_from(probe.args["args"])
            sig = arch.signature(s, bias=True)
            failure = probe_failure(result, what=sig, hint="(while constructing it)")
            if failure is not None:
                return failure
            value = result.value if isinstance(result.value, dict) else {}
            found = {
                n: d.get("shape")
                for n, d in value.get("parameters", {}).items()
                if isinstance(d, dict)
            }
            expected = arch.param_shapes(s)
            error = {
                "unknown": [[n, list(e)] for n, e in expected.items() if n not in found],
                "mismatched": [
                    [n, list(e), found[n]]
                    for n, e in expected.items()
                    if n in found and tuple(found[n] or ()) != e
                ],
                "not_given": [[n, f] for n, f in found.items() if n not in expected],
            }
            if any(error.values()):
                bias_hint = (
                    " Pass bias=qkv_bias to each nn.Linear."
                    if any(
                        n.endswith(".bias") and ".W_" in f".{n}"
                        for n, *_ in error["unknown"] + error["not_given"]
                    )
                    else ""
                )
                out = load_error_outcome(error, what=sig, hint=_LAYOUT_HINT[arch.kind] + bias_hint)
                return replace(
                    out,
                    message=out.message.replace(
                        "Could not load weights into", "Wrong parameters in"
                    ),
                    output=learner_param_listing(found),
                )
            if arch.kind == "wrapper":
                heads = value.get("attributes", {}).get("heads", {})
                if heads.get("kind") != "module" or heads.get("len") != s.num_heads:
                    return failed(
                        f"{sig}: self.heads should be an nn.ModuleList of "
                        f"{s.num_heads} CausalAttention modules, found "
                        f"{heads.get('type', 'nothing')}."
                    )
        return passed(f"{arch.cls} has the book's parameters with the right shapes.")

    return Check(
        name,
        f"{arch.cls} defines the book's parameters with the book's shapes"
        + (", with biases exactly when qkv_bias=True" if arch.kind != "v1" else "")
        + ".",
        build,
        judge,
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def output_shape_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """Output shape and dtype for several sizes (the learner's own weights)."""

    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for n_lo in (1, 3, 5):
            s, n, b = _random_setup(arch, rng, n=_int(rng, n_lo, n_lo + 2))
            probes.append(
                _forward_probe(
                    arch, s, [_x(rng, arch.x_shape(s, n, b))], params=None, seed=_seed(rng)
                )
            )
        return probes

    def per_run(run: Run) -> CheckOutcome | None:
        expected_shape = run.arch.out_shape(run.setup, run.xs[0].shape)
        outcome = compare_shape(expected_shape, run.outputs[0], dtype="float32")
        return None if outcome is None else failed(f"{run.what}: {outcome.message}", outcome.output)

    shape_txt = {
        "v1": "(num_tokens, d_out)",
        "v2": "(num_tokens, d_out)",
        "causal": "(b, num_tokens, d_out)",
        "mha": "(b, num_tokens, d_out)",
        "wrapper": "(b, num_tokens, d_out * num_heads)",
    }[arch.kind]
    return Check(
        name,
        f"{arch.cls}.forward returns a float32 tensor of shape {shape_txt} for several sizes.",
        build,
        _judge_each("", per_run, f"{arch.cls} returns {shape_txt} for every size tried."),
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def reference_check(
    arch: Arch, name: str, *, video: str, card: int, qkv_bias: bool = False
) -> Check:
    """Same output as the reference for given random weights (two sizes)."""

    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for _ in range(2):
            s, n, b = _random_setup(arch, rng, qkv_bias=qkv_bias)
            probes.append(
                _forward_probe(
                    arch, s, [_x(rng, arch.x_shape(s, n, b))], params=arch.random_params(s, rng)
                )
            )
        return probes

    bias_txt = " with qkv_bias=True (biases in the query/key/value projections)" if qkv_bias else ""
    hint = "Pass bias=qkv_bias to each nn.Linear." if qkv_bias else ""
    return Check(
        name,
        f"With weights the grader loads into it{bias_txt}, {arch.cls} gives the same output as "
        "the reference implementation (eval mode).",
        build,
        _judge_each(
            hint,
            _compare_to_reference,
            f"{arch.cls}{bias_txt} matches the reference output with the grader's weights.",
        ),
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def own_weights_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """The learner's own initial weights: non-degenerate, and the output matches them."""

    def build(rng: np.random.Generator) -> list[Probe]:
        s, n, b = _random_setup(arch, rng)
        return [
            _forward_probe(
                arch,
                s,
                [_x(rng, arch.x_shape(s, n, b))],
                params=None,
                seed=_seed(rng),
                return_params=True,
            )
        ]

    def per_run(run: Run) -> CheckOutcome | None:
        sig = run.arch.signature(run.setup)
        got = run.value.get("params")
        expected = run.arch.param_shapes(run.setup)
        if (
            not isinstance(got, dict)
            or set(got) != set(expected)
            or any(
                not isinstance(got[k], np.ndarray) or got[k].shape != expected[k] for k in expected
            )
        ):
            shapes = {k: list(v.shape) for k, v in (got or {}).items() if isinstance(v, np.ndarray)}
            return failed(
                f"{sig} does not have the book's parameters "
                f"({', '.join(expected)}). {_LAYOUT_HINT[run.arch.kind]}",
                learner_param_listing(shapes),
            )
        for key, arr in got.items():
            if key.endswith("bias"):
                continue
            a = arr.astype(np.float64)
            if not np.isfinite(a).all() or float(np.std(a)) < 1e-6:
                return failed(
                    f"{sig}: the initial {key} is constant or not finite "
                    f"({_degenerate_kind(a)}); initialise it randomly "
                    f"({'torch.rand' if run.arch.kind == 'v1' else 'nn.Linear'} "
                    "does that) so the model can learn."
                )
        own = replace(run, params=got)
        outcome = _compare_to_reference(own, context=" with its own initial weights")
        return outcome

    return Check(
        name,
        f"{arch.cls} initialises random (non-constant) weights and its output "
        "matches the reference computed from those weights.",
        build,
        _judge_each(
            "",
            per_run,
            f"{arch.cls}'s output is consistent with its own randomly initialised weights.",
        ),
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def _degenerate_kind(a: np.ndarray) -> str:
    """Words for why initial weights are unusable (for the own-weights message)."""
    if not np.isfinite(a).all():
        return "not finite"
    if not np.any(a):
        return "all zeros"
    if np.all(a == a.flat[0]):
        return f"every value {a.flat[0]:.4g}"
    return "nearly constant"


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


# --- The three challenges ---------------------------------------------------------------------


def _starter(name: str) -> str:
    return (STARTERS / name).read_text(encoding="utf-8")


SELF_ATTENTION = register(
    ChallengeSpec(
        slug="self-attention",
        names=(V1.cls, V2.cls),
        starter=_starter("self_attention.py"),
        checks=(
            weight_shapes_check(V1, "v1_weight_shapes", video=VID_STEPS, card=CARD_QKV),
            output_shape_check(V1, "v1_output_shape", video=VID_COMPACT, card=CARD_SELF),
            reference_check(V1, "v1_matches_reference", video=VID_COMPACT, card=CARD_SCALED),
            own_weights_check(V1, "v1_own_weights", video=VID_STEPS, card=CARD_QKV),
            weight_shapes_check(V2, "v2_weight_shapes", video=VID_COMPACT, card=CARD_QKV),
            output_shape_check(V2, "v2_output_shape", video=VID_COMPACT, card=CARD_COMPLEXITY),
            reference_check(V2, "v2_matches_reference", video=VID_COMPACT, card=CARD_SCALED),
            reference_check(V2, "v2_qkv_bias", video=VID_COMPACT, card=CARD_QKV, qkv_bias=True),
            own_weights_check(V2, "v2_own_weights", video=VID_COMPACT, card=CARD_QKV),
            rows_check((V1, V2), "attention_rows_sum_to_one", video=VID_SIMPLE, card=CARD_SELF),
            scale_check((V1, V2), "scaled_by_sqrt_dk", video=VID_WEIGHTS, card=CARD_SCALED),
        ),
    )
)

CAUSAL_ATTENTION = register(
    ChallengeSpec(
        slug="causal-attention",
        names=(CAUSAL.cls,),
        starter=_starter("causal_attention.py"),
        checks=(
            weight_shapes_check(CAUSAL, "weight_shapes", video=VID_CAUSAL, card=CARD_QKV),
            mask_buffer_check(CAUSAL, "mask_buffer", video=VID_MASK, card=CARD_MASK),
            output_shape_check(CAUSAL, "output_shape", video=VID_CAUSAL, card=CARD_MASK),
            reference_check(CAUSAL, "matches_reference", video=VID_CAUSAL, card=CARD_MASK),
            reference_check(CAUSAL, "qkv_bias", video=VID_CAUSAL, card=CARD_QKV, qkv_bias=True),
            own_weights_check(CAUSAL, "own_weights", video=VID_CAUSAL, card=CARD_MASK),
            rows_check((CAUSAL,), "causal_attention_weights", video=VID_MASK, card=CARD_MASK),
            scale_check((CAUSAL,), "scaled_by_sqrt_dk", video=VID_CAUSAL, card=CARD_SCALED),
            causality_check(CAUSAL, "no_future_leak", video=VID_MASK, card=CARD_MASK),
            shorter_context_check(CAUSAL, "shorter_than_context", video=VID_CAUSAL, card=CARD_MASK),
            eval_deterministic_check(
                CAUSAL, "eval_is_deterministic", video=VID_DROPOUT, card=CARD_DROPOUT
            ),
            train_dropout_check(
                CAUSAL, "dropout_in_train_mode", video=VID_DROPOUT, card=CARD_DROPOUT
            ),
        ),
    )
)

MULTI_HEAD_ATTENTION = register(
    ChallengeSpec(
        slug="multi-head-attention",
        names=(WRAPPER.cls, MHA.cls),
        starter=_starter("multi_head_attention.py"),
        checks=(
            weight_shapes_check(WRAPPER, "wrapper_heads", video=VID_STACK, card=CARD_HEADS),
            output_shape_check(WRAPPER, "wrapper_output_shape", video=VID_STACK, card=CARD_HEADS),
            reference_check(WRAPPER, "wrapper_matches_reference", video=VID_STACK, card=CARD_HEADS),
            eval_deterministic_check(
                WRAPPER, "wrapper_eval_is_deterministic", video=VID_STACK, card=CARD_DROPOUT
            ),
            divisible_check("mha_requires_divisible_d_out", video=VID_SPLIT, card=CARD_SPLITS),
            weight_shapes_check(MHA, "mha_weight_shapes", video=VID_SPLIT, card=CARD_SPLITS),
            mask_buffer_check(MHA, "mha_mask_buffer", video=VID_SPLIT, card=CARD_MASK),
            output_shape_check(MHA, "mha_output_shape", video=VID_SPLIT, card=CARD_SPLITS),
            reference_check(MHA, "mha_matches_reference", video=VID_SPLIT, card=CARD_SPLITS),
            reference_check(MHA, "mha_qkv_bias", video=VID_SPLIT, card=CARD_QKV, qkv_bias=True),
            own_weights_check(MHA, "mha_own_weights", video=VID_SPLIT, card=CARD_SPLITS),
            rows_check((MHA,), "mha_head_attention_weights", video=VID_SPLIT, card=CARD_HEADS),
            scale_check((MHA,), "mha_scaled_by_sqrt_head_dim", video=VID_SPLIT, card=CARD_SPLITS),
            causality_check(MHA, "mha_no_future_leak", video=VID_SPLIT, card=CARD_MASK),
            shorter_context_check(MHA, "mha_shorter_than_context", video=VID_SPLIT, card=CARD_MASK),
            eval_deterministic_check(
                MHA, "mha_eval_is_deterministic", video=VID_SPLIT, card=CARD_DROPOUT
            ),
            train_dropout_check(
                MHA, "mha_dropout_in_train_mode", video=VID_SPLIT, card=CARD_DROPOUT
            ),
            split_equals_wrapper_check(
                "heads_split_equals_wrapper", video=VID_SPLIT, card=CARD_SPLITS
            ),
        ),
    )
)
