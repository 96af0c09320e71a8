"""Chapter 5.3 challenge ``sampling``: ``generate`` with temperature, top-k, top-p and eos.

``generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None,
eos_id=None, top_p=None)`` runs in the sandbox on a *table model* (``ops_training``): its
logits are a lookup the trusted side knows exactly, and with identical rows every step draws
from the same distribution, so one long generation of batch 1 is hundreds of independent
draws. The judges count the draws and test them against ``grading.reference.sampling``
(tokens of probability 0 never drawn, every count within 5.5 binomial standard deviations);
the sandbox's random seeds are drawn here, the verdict never depends on matching torch's
random stream. Greedy decoding and eos are exact. Mistaken distributions (temperature
multiplied, top-p before temperature, the boundary token left out ...) name the mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import as_array, failed, fmt_shape, passed
from grading.challenges.training_common import calls_of, raised_text, rint, seed_of, value_of
from grading.reference import sampling as ref

STARTERS = Path(__file__).parent / "starters"

# The seed's id for "Temperature Scaling in Text Generation" is malformed (10 characters);
# it is used as given and resolves to the curriculum's video entry of the same id.
VID_TEMPERATURE = "ORUMDP3fEQ"
VID_TOP_K = "aW6bk8oAh9g"  # Top-k sampling (5.3.2)
VID_MODIFY = "GhpKXv6LNXg"  # Modifying the text generation function (5.3.3)
CARD_GENERATION, CARD_TEMPERATURE, CARD_TOP_K, CARD_TOP_P = 21, 22, 23, 24
DRAWS = 600
SIGNATURE = (
    "generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None, "
    "eos_id=None, top_p=None)"
)


def _call(kwargs: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"generate(model, idx, max_new_tokens, context_size{', ' + shown if shown else ''})"


def _distinct_logits(rng: np.random.Generator, vocab: int, scale: float) -> np.ndarray:
    """Logits at least 0.15 apart (no ties at a top-k or top-p boundary)."""
    while True:
        z = rng.normal(0.0, scale, vocab)
        if np.min(np.diff(np.sort(z))) > 0.15:
            return z.astype(np.float32)


def _fixed_probe(logits: np.ndarray, runs: list[dict[str, Any]]) -> Probe:
    """Every step draws from softmax of ``logits``; the model accepts any input length, so a
    missing crop only fails the greedy check."""
    vocab = len(logits)
    context = 2 + max(int(r["max_new_tokens"]) for r in runs)
    return Probe(
        "sample_runs",
        {"table": np.tile(logits, (vocab, 1)), "context": context, "runs": runs},
        timeout_s=20.0,
    )


def _draw_run(
    rng: np.random.Generator, kwargs: dict[str, Any], draws: int = DRAWS
) -> dict[str, Any]:
    return {
        "idx": np.zeros((1, 1), np.int64),
        "max_new_tokens": draws,
        "context_size": 4,
        "kwargs": kwargs,
        "seed": seed_of(rng),
    }


def _samples(run: dict[str, Any], call: dict[str, Any]) -> np.ndarray | str:
    """The drawn ids of one run, or the problem with what came back."""
    error = raised_text(call)
    if error is not None:
        hint = ""
        if "top_p" in error and "unexpected keyword" in error:
            hint = f" Add top_p=None to the signature: {SIGNATURE}."
        return f"{_call(run['kwargs'])} raised {error}.{hint}"
    out = as_array(call.get("value"))
    want = (1, 1 + int(run["max_new_tokens"]))
    if out is None or out.dtype.kind not in "iu" or out.shape != want:
        shape = fmt_shape(out.shape) if out is not None else type(call.get("value")).__name__
        return (
            f"{_call(run['kwargs'])} on idx of shape (1, 1) with max_new_tokens="
            f"{run['max_new_tokens']} should return ids of shape {fmt_shape(want)}, got "
            f"{shape}."
        )
    return out[0, 1:].astype(np.int64)


def _runs(probe: Probe, result: ProbeResult) -> list[np.ndarray] | CheckOutcome:
    runs = probe.args["runs"]
    value = value_of(result, what=SIGNATURE)
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(runs), what="generate")
    if isinstance(calls, CheckOutcome):
        return calls
    out = []
    for run, call in zip(runs, calls, strict=True):
        got = _samples(run, call)
        if isinstance(got, str):
            return failed(got)
        if not ((got >= 0) & (got < len(probe.args["table"]))).all():
            return failed(f"{_call(run['kwargs'])} returned ids outside the vocabulary.")
        out.append(got)
    return out


def _shares(c: np.ndarray) -> str:
    total = max(int(c.sum()), 1)
    order = np.argsort(-c, kind="stable")[:8]
    return ", ".join(f"token {int(i)}: {c[i] / total:.2f}" for i in order if c[i])


def _name_mistake(
    c: np.ndarray,
    logits: np.ndarray,
    kwargs: dict[str, Any],
    variants: list[tuple[str, dict[str, Any]]],
) -> str | None:
    for message, opts in variants:
        q = ref.next_token_probs(
            logits,
            float(kwargs.get("temperature", 0.0)),
            kwargs.get("top_k"),
            kwargs.get("top_p"),
            **opts,
        )
        if ref.bound_ok(c, q):
            return message
    return None


def _distribution_failure(
    c: np.ndarray,
    q: np.ndarray,
    kwargs: dict[str, Any],
    logits: np.ndarray,
    variants: list[tuple[str, dict[str, Any]]],
) -> CheckOutcome:
    call = _call(kwargs)
    if len(np.unique(np.nonzero(c)[0])) == 1 and (q < 0.9).all():
        return failed(
            f"{call} drew token {int(np.argmax(c))} every time: with temperature > 0 sample "
            "with torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1) instead of "
            "taking the argmax."
        )
    mistake = _name_mistake(c, logits, kwargs, variants)
    detail = f"expected shares {ref.describe(q)}; drawn {_shares(c)} ({int(c.sum())} draws)"
    if mistake:
        return failed(f"{call}: {mistake}", detail)
    return failed(f"{call} draws from the wrong distribution: {detail}.", detail)


TEMPERATURE_MISTAKES: list[tuple[str, dict[str, Any]]] = [
    (
        "the logits are multiplied by the temperature: divide them (logits / temperature), so a "
        "temperature above 1 flattens the distribution.",
        {"temperature_mode": "multiply"},
    ),
    (
        "the temperature is ignored: scale the logits, logits / temperature, before the softmax.",
        {"temperature_mode": "ignore"},
    ),
    ("top_k is ignored.", {"top_k_mode": "ignore"}),
]


# --- Greedy (temperature 0) --------------------------------------------------------------------


def _greedy_build(rng: np.random.Generator) -> list[Probe]:
    while True:
        vocab, context = rint(rng, 10, 20), rint(rng, 3, 5)
        table = rng.normal(0.0, 1.0, (vocab, vocab)).astype(np.float32)
        mix = rng.normal(0.0, 1.0, (vocab, vocab)).astype(np.float32)
        idx2 = rng.integers(0, vocab, (2, rint(rng, 2, 4)))
        idx1 = rng.integers(0, vocab, (1, rint(rng, 2, 4)))
        runs = [
            {
                "idx": idx2,
                "max_new_tokens": rint(rng, 5, 8),
                "context_size": context,
                "kwargs": {},
                "seed": seed_of(rng),
            },
            {
                "idx": idx1,
                "max_new_tokens": rint(rng, 5, 8),
                "context_size": context,
                "kwargs": {"temperature": 0.0, "top_k": rint(rng, 2, 4)},
                "seed": seed_of(rng),
            },
        ]
        if all(_margins_ok(r, table, mix) for r in runs):
            return [
                Probe(
                    "sample_runs",
                    {"table": table, "mix": mix, "context": context, "runs": runs},
                    timeout_s=10.0,
                )
            ]


def _margins_ok(run: dict[str, Any], table: np.ndarray, mix: np.ndarray) -> bool:
    """No near-tie for the argmax along the greedy path (float32 rounding cannot flip it)."""
    seq = np.asarray(run["idx"], dtype=np.int64)
    for _ in range(int(run["max_new_tokens"])):
        z = ref.table_logits(seq[:, -run["context_size"] :], table, mix)[:, -1, :]
        top2 = np.sort(z, axis=-1)[:, -2:]
        if np.any(top2[:, 1] - top2[:, 0] < 1e-3):
            return False
        seq = np.concatenate([seq, z.argmax(axis=-1)[:, None]], axis=1)
    return True


def _greedy_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    args = probes[0].args
    value = value_of(results[0], what=SIGNATURE)
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(args["runs"]), what="generate")
    if isinstance(calls, CheckOutcome):
        return calls
    for run, call in zip(args["runs"], calls, strict=True):
        what = (
            f"{_call(run['kwargs'])} with context_size={run['context_size']} on idx of "
            f"shape {fmt_shape(run['idx'].shape)}"
        )
        error = raised_text(call)
        if error is not None:
            hint = (
                " Crop the input to the supported context: idx_cond = idx[:, -context_size:]."
                if "longer than the context" in error
                else ""
            )
            return failed(f"{what} raised {error}.{hint}")
        if int(call.get("max_seen", 0)) > int(run["context_size"]):
            return failed(
                f"{what} fed the model {call.get('max_seen')} tokens: crop to "
                "idx[:, -context_size:]."
            )
        want = ref.greedy(
            lambda s: ref.table_logits(s, args["table"], args["mix"]),
            run["idx"],
            int(run["max_new_tokens"]),
            int(run["context_size"]),
        )
        got = as_array(call.get("value"))
        if got is None or got.shape != want.shape:
            shape = fmt_shape(got.shape) if got is not None else type(call.get("value")).__name__
            return failed(
                f"{what} should return ids of shape {fmt_shape(want.shape)} (the "
                f"input plus max_new_tokens), got {shape}."
            )
        if not np.array_equal(got, want):
            row, pos = (int(v) for v in np.argwhere(got != want)[0])
            return failed(
                f"{what}: row {row}, position {pos} should be token {int(want[row, pos])}, got "
                f"{int(got[row, pos])}. At temperature 0 take the argmax of the last "
                "position's logits (logits[:, -1, :]) and append it.",
            )
    return passed(
        "At temperature 0 generate is greedy: the argmax at every step, cropped to the context."
    )


# --- Temperature --------------------------------------------------------------------------------


def _temperature_build(rng: np.random.Generator) -> list[Probe]:
    logits = _distinct_logits(rng, rint(rng, 6, 9), 1.5)
    low, high = float(rng.choice([0.5, 0.6])), float(rng.choice([1.8, 2.5]))
    return [
        _fixed_probe(
            logits, [_draw_run(rng, {"temperature": low}), _draw_run(rng, {"temperature": high})]
        )
    ]


def _temperature_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    probe = probes[0]
    runs = _runs(probe, results[0])
    if isinstance(runs, CheckOutcome):
        return runs
    logits = probe.args["table"][0]
    entropies = []
    for run, drawn in zip(probe.args["runs"], runs, strict=True):
        kwargs = run["kwargs"]
        c = ref.counts(drawn, len(logits))
        q = ref.next_token_probs(logits, kwargs["temperature"])
        if not ref.bound_ok(c, q):
            return _distribution_failure(c, q, kwargs, logits, TEMPERATURE_MISTAKES)
        entropies.append(ref.entropy(c / c.sum()))
    low, high = (r["kwargs"]["temperature"] for r in probe.args["runs"])
    if entropies[0] >= entropies[1]:
        return failed(
            f"temperature={low} should give a sharper distribution than "
            f"temperature={high}: divide the logits by the temperature."
        )
    return passed(
        f"Temperature {low} sharpens and {high} flattens the distribution, as "
        "softmax(logits / temperature) predicts."
    )


# --- Top-k ---------------------------------------------------------------------------------------


def _top_k_build(rng: np.random.Generator) -> list[Probe]:
    while True:
        vocab, k = rint(rng, 8, 12), rint(rng, 2, 4)
        logits = _distinct_logits(rng, vocab, 1.0)
        p = ref.softmax(logits)
        kept = ref.top_k_filter(logits, k) > -np.inf
        if (
            p[~kept].sum() >= 0.15
            and ref.next_token_probs(logits, 1.0, k).min(initial=1, where=kept) >= 0.05
        ):
            break
    return [_fixed_probe(logits, [_draw_run(rng, {"temperature": 1.0, "top_k": k})])]


def _top_k_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    probe = probes[0]
    runs = _runs(probe, results[0])
    if isinstance(runs, CheckOutcome):
        return runs
    logits = probe.args["table"][0]
    kwargs = probe.args["runs"][0]["kwargs"]
    k = int(kwargs["top_k"])
    best = [int(i) for i in np.argsort(-logits, kind="stable")[:k]]
    c = ref.counts(runs[0], len(logits))
    outside = [int(i) for i in np.nonzero(c)[0] if int(i) not in best]
    if outside:
        return failed(
            f"{_call(kwargs)} drew token {outside[0]}, which is not among the {k} most likely "
            f"tokens {best}: set every logit below the k-th largest "
            "(torch.topk(logits, top_k)[0][:, -1]) to -inf before the softmax."
        )
    missing = [i for i in best if c[i] == 0]
    if missing:
        return failed(
            f"{_call(kwargs)} never drew token {missing[0]}, one of the {k} most likely "
            f"tokens {best}: keep logits >= the k-th largest (compare with "
            "top_logits[:, -1]), not only those above it."
        )
    q = ref.next_token_probs(logits, 1.0, k)
    if not ref.bound_ok(c, q):
        return _distribution_failure(c, q, kwargs, logits, TEMPERATURE_MISTAKES)
    return passed(
        f"top_k={k} only ever draws the {k} most likely tokens, in the right proportions."
    )


# --- Top-p ---------------------------------------------------------------------------------------


def _nucleus_ok(q: np.ndarray, top_p: float) -> bool:
    """A top-p setting whose nucleus is unambiguous and whose mistakes are visible."""
    order = np.argsort(-q, kind="stable")
    cum = np.cumsum(q[order])
    m = int(ref.nucleus(q, top_p).sum())
    return (
        3 <= m <= len(q) - 2  # the boundary token left out still leaves two
        and q[order[m - 1]] >= 0.08
        and abs(cum[m - 1] - top_p) > 0.04
        and abs(cum[m - 2] - top_p) > 0.04
    )


def _top_p_build(rng: np.random.Generator) -> list[Probe]:
    while True:
        vocab = rint(rng, 8, 10)
        logits = _distinct_logits(rng, vocab, 1.2)
        p1 = round(float(rng.uniform(0.5, 0.85)), 2)
        temp = float(rng.choice([0.7, 1.6]))
        k = rint(rng, 4, vocab - 2)
        p2 = round(float(rng.uniform(0.5, 0.85)), 2)
        q1 = ref.next_token_probs(logits, 1.0)
        q2 = ref.next_token_probs(logits, temp, k)
        raw = ref.softmax(ref.top_k_filter(logits, k))
        if not (_nucleus_ok(q1, p1) and _nucleus_ok(q2, p2)):
            continue
        if int(ref.nucleus(q2, p2).sum()) >= k:
            continue
        raw_keep = ref.nucleus(raw, p2)
        if raw_keep.sum() < 2 or any(
            np.array_equal(raw_keep, keep)
            for keep in (ref.nucleus(q2, p2), ref.nucleus(q2, p2, include_boundary=False))
        ):
            continue  # top-p before temperature must look like neither the right set nor
            # the boundary mistake (nor like greedy decoding)
        break
    runs = [
        _draw_run(rng, {"temperature": 1.0, "top_p": p1}),
        _draw_run(rng, {"temperature": temp, "top_k": k, "top_p": p2}),
        _draw_run(rng, {"temperature": 0.0, "top_p": p1}, draws=5),
    ]
    return [_fixed_probe(logits, runs)]


TOP_P_MISTAKES: list[tuple[str, dict[str, Any]]] = [
    (
        "the token that makes the cumulative probability reach top_p is left out: keep the "
        "smallest set whose probability is >= top_p, including that token.",
        {"top_p_mode": "exclusive"},
    ),
    (
        "top-p is applied to the distribution before temperature scaling: apply it to "
        "softmax(logits / temperature) (after top-k), as the contract says.",
        {"top_p_mode": "before_temperature"},
    ),
    (
        "top_p is ignored: keep only the smallest set of most likely tokens whose probability "
        "reaches top_p, and renormalise.",
        {"top_p_mode": "ignore"},
    ),
    *TEMPERATURE_MISTAKES,
]


def _top_p_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    probe = probes[0]
    runs = _runs(probe, results[0])
    if isinstance(runs, CheckOutcome):
        return runs
    logits = probe.args["table"][0]
    for run, drawn in zip(probe.args["runs"], runs, strict=True):
        kwargs = run["kwargs"]
        c = ref.counts(drawn, len(logits))
        if kwargs["temperature"] == 0.0:
            best = int(np.argmax(logits))
            if np.any(drawn != best):
                return failed(
                    f"{_call(kwargs)} did not decode greedily: top_p is ignored at "
                    "temperature 0, which always takes the argmax."
                )
            continue
        q = ref.next_token_probs(
            logits, kwargs["temperature"], kwargs.get("top_k"), kwargs["top_p"]
        )
        if not ref.bound_ok(c, q):
            keep = [int(i) for i in np.argsort(-q, kind="stable") if q[i] > 0]
            outcome = _distribution_failure(c, q, kwargs, logits, TOP_P_MISTAKES)
            return failed(outcome.message + f" The nucleus here is tokens {keep}.", outcome.output)
    return passed(
        "top_p keeps the smallest set of most likely tokens reaching p, after top-k "
        "and temperature, and is ignored when decoding greedily."
    )


# --- eos ------------------------------------------------------------------------------------------


def _eos_build(rng: np.random.Generator) -> list[Probe]:
    vocab, context = rint(rng, 10, 16), rint(rng, 4, 6)
    table = rng.normal(0.0, 1.0, (vocab, vocab)).astype(np.float32)
    start = rint(rng, 0, vocab - 1)
    steps = rint(rng, 2, 4)
    path = [int(t) for t in rng.permutation([t for t in range(vocab) if t != start])[: steps + 4]]
    prev = start
    for t in path:  # force the greedy chain start -> path[0] -> path[1] ...
        table[prev, t] = table[prev].max() + 2.0
        prev = t
    eos = path[steps - 1]
    unused = [t for t in range(vocab) if t not in path and t != start][0]
    idx = np.array([[start]], np.int64)
    runs = [
        {
            "idx": idx,
            "max_new_tokens": steps + 3,
            "context_size": context,
            "kwargs": {"eos_id": eos},
            "seed": seed_of(rng),
        },
        {
            "idx": idx,
            "max_new_tokens": steps + 3,
            "context_size": context,
            "kwargs": {"eos_id": unused},
            "seed": seed_of(rng),
        },
    ]
    return [Probe("sample_runs", {"table": table, "context": context, "runs": runs})]


def _eos_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    args = probes[0].args
    value = value_of(results[0], what=SIGNATURE)
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(args["runs"]), what="generate")
    if isinstance(calls, CheckOutcome):
        return calls
    for run, call in zip(args["runs"], calls, strict=True):
        eos = int(run["kwargs"]["eos_id"])
        what = f"{_call(run['kwargs'])} (batch of one, greedy)"
        error = raised_text(call)
        if error is not None:
            return failed(f"{what} raised {error}.")
        fn = lambda s: ref.table_logits(s, args["table"])  # noqa: E731
        want = ref.greedy(
            fn, run["idx"], int(run["max_new_tokens"]), int(run["context_size"]), eos_id=eos
        )
        got = as_array(call.get("value"))
        if got is None or got.ndim != 2 or got.shape[0] != 1:
            return failed(
                f"{what} should return ids of shape (1, n), got {type(call.get('value')).__name__}."
            )
        if np.array_equal(got, want):
            continue
        appended = ref.greedy(
            fn,
            run["idx"],
            int(run["max_new_tokens"]),
            int(run["context_size"]),
            eos_id=eos,
            append_eos=True,
        )
        ignored = ref.greedy(fn, run["idx"], int(run["max_new_tokens"]), int(run["context_size"]))
        if np.array_equal(got, appended):
            return failed(
                f"{what} appended the eos token before stopping: check "
                "idx_next == eos_id and break before torch.cat."
            )
        if np.array_equal(got, ignored):
            return failed(
                f"{what} kept generating after the model produced eos_id={eos}: "
                "stop as soon as the next token equals eos_id."
            )
        return failed(f"{what} returned {got.tolist()}, expected {want.tolist()}.")
    return passed("generate stops as soon as the model produces eos_id, without appending it.")


# --- The challenge --------------------------------------------------------------------------------


SAMPLING = register(
    ChallengeSpec(
        slug="sampling",
        names=("generate",),
        starter=(STARTERS / "sampling.py").read_text(encoding="utf-8"),
        wall_s=40.0,
        checks=(
            Check(
                "greedy_at_temperature_zero",
                "At temperature 0 (the default) generate takes the argmax of the last "
                "position's logits at every step, cropping the input to context_size, also "
                "with top_k set.",
                _greedy_build,
                _greedy_judge,
                video=VID_MODIFY,
                card=CARD_TEMPERATURE,
                needs=("generate",),
            ),
            Check(
                "temperature_scales_distribution",
                "With temperature > 0 generate samples from softmax(logits / temperature): "
                "hundreds of draws match those probabilities, sharper below 1, flatter "
                "above.",
                _temperature_build,
                _temperature_judge,
                video=VID_TEMPERATURE,
                card=CARD_TEMPERATURE,
                needs=("generate",),
            ),
            Check(
                "top_k_keeps_k_best",
                "With top_k set generate never samples outside the k most likely tokens and "
                "draws those in proportion to their renormalised probabilities.",
                _top_k_build,
                _top_k_judge,
                video=VID_TOP_K,
                card=CARD_TOP_K,
                needs=("generate",),
            ),
            Check(
                "top_p_keeps_nucleus",
                "With top_p set generate keeps the smallest set of most likely tokens whose "
                "probability reaches top_p (after top-k, on the temperature-scaled "
                "distribution), and ignores it at temperature 0.",
                _top_p_build,
                _top_p_judge,
                video=VID_MODIFY,
                card=CARD_TOP_P,
                needs=("generate",),
            ),
            Check(
                "eos_stops_early",
                "With eos_id set generate stops as soon as the next token is eos_id, "
                "without appending it.",
                _eos_build,
                _eos_judge,
                video=VID_MODIFY,
                card=CARD_GENERATION,
                needs=("generate",),
            ),
        ),
    )
)
