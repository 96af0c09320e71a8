"""Reference maths for chapter 5.3: the next-token distribution of ``generate`` and greedy
decoding with an end-of-sequence id.

``next_token_probs`` is what one step of the book's ``generate`` samples from: top-k on the
logits (keep those >= the k-th largest), temperature scaling, softmax, then -- our contract,
BOOK.md -- top-p on that distribution (the smallest set of most likely tokens whose
probability reaches ``top_p``, renormalised). Keyword options reproduce mistakes so a judge
can name one. ``bound_ok`` is the statistical test the judges use on sampled counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

Array = np.ndarray


def softmax(z: Array) -> Array:
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(z - np.max(z))
    return e / e.sum()


def top_k_filter(logits: Array, k: int) -> Array:
    """Logits below the k-th largest become -inf (the book's ``torch.where``)."""
    z = np.asarray(logits, dtype=np.float64)
    threshold = np.sort(z)[-k]
    return np.where(z < threshold, -np.inf, z)


def nucleus(probs: Array, top_p: float, *, include_boundary: bool = True) -> Array:
    """Boolean mask of the smallest set of most likely tokens whose probability reaches
    ``top_p`` (``include_boundary=False``: the mistake of stopping *before* the token that
    crosses ``top_p``)."""
    order = np.argsort(-probs, kind="stable")
    cum = np.cumsum(probs[order])
    count = int(np.searchsorted(cum, top_p - 1e-12)) + 1  # first index with cum >= top_p
    if not include_boundary:
        count = max(count - 1, 1)
    keep = np.zeros(len(probs), dtype=bool)
    keep[order[: min(count, len(probs))]] = True
    return keep


TemperatureMode = Literal["divide", "multiply", "ignore"]
TopPMode = Literal["after_temperature", "before_temperature", "exclusive", "ignore"]


def next_token_probs(
    logits: Array,
    temperature: float,
    top_k: int | None = None,
    top_p: float | None = None,
    *,
    temperature_mode: TemperatureMode = "divide",
    top_p_mode: TopPMode = "after_temperature",
    top_k_mode: Literal["apply", "ignore"] = "apply",
) -> Array:
    """The distribution one sampling step of ``generate`` draws from (temperature > 0)."""
    z = np.asarray(logits, dtype=np.float64)
    if top_k is not None and top_k_mode == "apply":
        z = top_k_filter(z, top_k)
    if temperature_mode == "divide":
        scaled = z / temperature
    elif temperature_mode == "multiply":
        scaled = z * temperature
    else:
        scaled = z
    probs = softmax(scaled)
    if top_p is None or top_p_mode == "ignore":
        return probs
    basis = softmax(z) if top_p_mode == "before_temperature" else probs
    keep = nucleus(basis, top_p, include_boundary=top_p_mode != "exclusive")
    kept = np.where(keep, probs, 0.0)
    return kept / kept.sum()


def entropy(probs: Array) -> float:
    p = np.asarray(probs, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def counts(samples: Array, vocab: int) -> Array:
    return np.bincount(np.asarray(samples, dtype=np.int64), minlength=vocab)[:vocab]


def bound_ok(observed: Array, probs: Array, *, z: float = 5.5) -> bool:
    """Counts consistent with ``probs``: a token of probability 0 is never drawn, every other
    count lies within ``z`` binomial standard deviations (plus 3) of its expectation. With
    z = 5.5 a correct sampler fails with probability below 1e-6 per test."""
    observed = np.asarray(observed, dtype=np.float64)
    n = observed.sum()
    q = np.asarray(probs, dtype=np.float64)
    if np.any((q <= 0) & (observed > 0)):
        return False
    sd = np.sqrt(n * q * (1 - q))
    return bool(np.all(np.abs(observed - n * q) <= z * sd + 3))


def greedy(
    logits_fn: Callable[[Array], Array],
    idx: Array,
    max_new_tokens: int,
    context_size: int,
    *,
    eos_id: int | None = None,
    append_eos: bool = False,
) -> Array:
    """``generate`` at temperature 0 (batch of one when ``eos_id`` is set): argmax of the
    last position's logits on the last ``context_size`` ids; stops *before* appending
    ``eos_id`` (``append_eos`` reproduces appending it first)."""
    seq = np.asarray(idx, dtype=np.int64)
    for _ in range(max_new_tokens):
        nxt = logits_fn(seq[:, -context_size:])[:, -1, :].argmax(axis=-1)[:, None]
        if eos_id is not None and int(nxt[0, 0]) == eos_id:
            if append_eos:
                seq = np.concatenate([seq, nxt], axis=1)
            break
        seq = np.concatenate([seq, nxt], axis=1)
    return seq


def table_logits(idx: Array, table: Array, mix: Any = None) -> Array:
    """The sandbox's table model (``ops_training._table_model``)."""
    idx = np.asarray(idx, dtype=np.int64)
    out = np.asarray(table, dtype=np.float64)[idx]
    if mix is not None:
        steps = np.arange(1, idx.shape[1] + 1)[None, :, None]
        out = out + np.cumsum(np.asarray(mix, dtype=np.float64)[idx], axis=1) / steps
    return out


def describe(probs: Array, labels: list[str] | None = None, limit: int = 8) -> str:
    """``token 3: 0.41, token 7: 0.30, ...`` (most likely first) for messages."""
    order = np.argsort(-probs, kind="stable")[:limit]
    name = (lambda i: labels[i]) if labels else (lambda i: f"token {i}")
    return ", ".join(f"{name(int(i))}: {probs[i]:.2f}" for i in order)
