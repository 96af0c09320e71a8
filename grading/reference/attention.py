"""Reference attention maths for chapter 3 (self, causal and multi-head attention).

Functional numpy (float64) versions of the book's classes. Each takes the input and the
weights *by the book's parameter names* (``W_query`` as ``(d_in, d_out)`` for
SelfAttention_v1; ``W_query.weight`` as ``(d_out, d_in)`` and optional ``W_query.bias`` for
the ``nn.Linear`` classes; ``out_proj.weight``/``out_proj.bias``), so a judge can compute the
expected output from exactly the weights it loaded into the learner's module.

Keyword options (``scale``, ``softmax_axis``, ``mask_diagonal``, ``mask_value``,
``mask_after_softmax``, ``split``, ``combine``, ``use_out_proj``) reproduce common mistakes;
judges use them only to *name* a mistake once the correct reference did not match.
Dropout is not modelled: judges check dropout structurally (see ``grading.challenges``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np

Array = np.ndarray
Params = Mapping[str, Array]


def _f64(a: Array) -> Array:
    return np.asarray(a, dtype=np.float64)


def softmax(z: Array, axis: int = -1) -> Array:
    """Numerically stable softmax. A slice that is entirely ``-inf`` becomes NaN, as in torch."""
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = z - np.max(z, axis=axis, keepdims=True)
        e = np.exp(shifted)
        return e / np.sum(e, axis=axis, keepdims=True)


def linear(x: Array, weight: Array, bias: Array | None = None) -> Array:
    """``nn.Linear``: ``x @ weight.T + bias`` with weight shaped ``(out, in)``."""
    y = _f64(x) @ _f64(weight).T
    return y if bias is None else y + _f64(bias)


def causal_mask(n: int, diagonal: int = 1) -> Array:
    """Boolean ``(n, n)`` mask, True where a score is hidden (``torch.triu(ones, diagonal)``)."""
    return np.triu(np.ones((n, n), dtype=bool), k=diagonal)


def attention_weights(
    q: Array,
    k: Array,
    *,
    causal: bool = False,
    scale: float | None = None,
    softmax_axis: int = -1,
    mask_diagonal: int = 1,
    mask_value: float = -math.inf,
    mask_after_softmax: bool = False,
) -> Array:
    """``softmax(q @ k^T / scale)`` over the last axis; ``scale`` defaults to sqrt(d_k).

    With ``causal`` the scores above the diagonal (from ``mask_diagonal`` on) are replaced by
    ``mask_value`` before the softmax -- or, to reproduce a mistake, zeroed after it.
    """
    q, k = _f64(q), _f64(k)
    d_k = k.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2)
    c = math.sqrt(d_k) if scale is None else scale
    n = scores.shape[-1]
    hidden = causal_mask(n, mask_diagonal) if causal else np.zeros((n, n), dtype=bool)
    if not mask_after_softmax:
        scores = np.where(hidden, mask_value, scores)
    weights = softmax(scores / c, axis=softmax_axis)
    if mask_after_softmax:
        weights = np.where(hidden, 0.0, weights)
    return weights


def self_attention_v1(
    x: Array, w_query: Array, w_key: Array, w_value: Array, **opts: object
) -> Array:
    """SelfAttention_v1: parameters are ``(d_in, d_out)`` matrices; x is ``(num_tokens, d_in)``."""
    x = _f64(x)
    q, k, v = x @ _f64(w_query), x @ _f64(w_key), x @ _f64(w_value)
    return attention_weights(q, k, **opts) @ v  # type: ignore[arg-type]


def _proj(x: Array, params: Params, name: str) -> Array:
    return linear(x, params[f"{name}.weight"], params.get(f"{name}.bias"))


def qkv(x: Array, params: Params, prefix: str = "") -> tuple[Array, Array, Array]:
    """Queries, keys and values of the ``nn.Linear`` classes (optional ``qkv_bias``)."""
    return (
        _proj(x, params, f"{prefix}W_query"),
        _proj(x, params, f"{prefix}W_key"),
        _proj(x, params, f"{prefix}W_value"),
    )


def self_attention_v2(x: Array, params: Params, **opts: object) -> Array:
    """SelfAttention_v2: ``nn.Linear`` projections; x is ``(num_tokens, d_in)``."""
    q, k, v = qkv(x, params)
    return attention_weights(q, k, **opts) @ v  # type: ignore[arg-type]


def causal_attention(x: Array, params: Params, prefix: str = "", **opts: object) -> Array:
    """CausalAttention without dropout (eval mode); x is ``(b, num_tokens, d_in)``."""
    q, k, v = qkv(x, params, prefix)
    opts = {"causal": True, **opts}
    return attention_weights(q, k, **opts) @ v  # type: ignore[arg-type]


def multi_head_attention_wrapper(
    x: Array, params: Params, num_heads: int, *, concat_axis: int = -1, **opts: object
) -> Array:
    """MultiHeadAttentionWrapper: ``num_heads`` CausalAttention heads concatenated."""
    heads = [causal_attention(x, params, f"heads.{i}.", **opts) for i in range(num_heads)]
    return np.concatenate(heads, axis=concat_axis)


def split_heads(t: Array, num_heads: int, how: Literal["transpose", "view"]) -> Array:
    """``(b, n, d_out)`` -> ``(b, heads, n, head_dim)``; ``view``: the missing-transpose slip."""
    b, n, d_out = t.shape
    hd = d_out // num_heads
    if how == "view":
        return t.reshape(b, num_heads, n, hd)
    return t.reshape(b, n, num_heads, hd).transpose(0, 2, 1, 3)


def combine_heads(t: Array, how: Literal["transpose", "view"]) -> Array:
    """``(b, heads, n, head_dim)`` -> ``(b, n, d_out)``."""
    b, h, n, hd = t.shape
    if how == "view":
        return t.reshape(b, n, h * hd)
    return t.transpose(0, 2, 1, 3).reshape(b, n, h * hd)


def multi_head_context(
    x: Array,
    params: Params,
    num_heads: int,
    *,
    split: Literal["transpose", "view"] = "transpose",
    combine: Literal["transpose", "view"] = "transpose",
    **opts: object,
) -> Array:
    """MultiHeadAttention before ``out_proj``: the heads' context vectors, combined."""
    q, k, v = qkv(x, params)
    q, k, v = (split_heads(t, num_heads, split) for t in (q, k, v))
    opts = {"causal": True, **opts}
    ctx = attention_weights(q, k, **opts) @ v  # type: ignore[arg-type]
    return combine_heads(ctx, combine)


def multi_head_attention(
    x: Array,
    params: Params,
    num_heads: int,
    *,
    use_out_proj: bool = True,
    **opts: object,
) -> Array:
    """MultiHeadAttention (eval mode): split, scale by sqrt(head_dim), mask, combine, out_proj."""
    ctx = multi_head_context(x, params, num_heads, **opts)  # type: ignore[arg-type]
    return _proj(ctx, params, "out_proj") if use_out_proj else ctx
