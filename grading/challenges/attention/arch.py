"""The attention classes of the book described as data (constructor arguments, parameter
shapes, reference maths, known mistakes), random sizes and crafted inputs whose attention
weights can be recovered from the output. See ``grading.challenges.attention``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from grading.reference import attention as ref

# The learner computes in float32, the reference in float64 from the same float32 weights.
ATOL = 1e-4
RTOL = 1e-4
# Recovered attention weights pass through a pseudo-inverse: a little more slack.
W_TOL = 2e-3

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
