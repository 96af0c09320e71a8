"""Chapter 4 challenge ``text-generation``: generate_text_simple (greedy decoding).

The learner's file defines GPTModel too: the sandbox builds it from a small configuration,
loads weights we send and calls the learner's ``generate_text_simple(model, idx,
max_new_tokens, context_size)`` (``probes.generate``). One check uses a stand-in model
defined by the sandbox instead (``probes._standin_model``), so generate_text_simple is judged
apart from GPTModel. The judge checks every new token *given the learner's own prefix*
(teacher forcing): it must be the argmax of the reference's last-position logits for the
prefix cropped to the last context_size tokens -- up to float32 ties -- so one near-tie cannot
derail the rest of the comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import (
    as_array,
    failed,
    fmt_shape,
    learner_param_listing,
    load_error_outcome,
    passed,
    probe_failure,
)
from grading.challenges.gpt_model import GPT
from grading.challenges.gpt_parts import (
    Cfg,
    compare,
    forward_probe,
    read_run,
    rint,
    small_cfg,
    usable,
)
from grading.reference import gpt as ref

STARTERS = Path(__file__).parent / "starters"
VIDEO = "JUbbwU5lW98"  # Generating text with a GPT model
CARD = 21
FN = "generate_text_simple"
CROP = "idx_cond = idx[:, -context_size:]"
LOOP = (
    f"for each new token: {CROP}; logits = model(idx_cond)[:, -1, :]; idx_next = "
    "torch.argmax(logits, dim=-1, keepdim=True); idx = torch.cat((idx, idx_next), dim=1)"
)
LogitsFn = Callable[[np.ndarray], np.ndarray]


def _prompt(rng: np.random.Generator, vocab: int, n: int, b: int | None = None) -> np.ndarray:
    b = rint(rng, 1, 3) if b is None else b
    return rng.integers(0, vocab, size=(b, n)).astype(np.int64)


def _generate_probe(
    idx: np.ndarray, max_new_tokens: int, context_size: int, model: dict[str, Any]
) -> Probe:
    return Probe(
        "generate",
        {
            "fn": FN,
            "idx": idx,
            "max_new_tokens": max_new_tokens,
            "context_size": context_size,
            "model": model,
        },
    )


def _gpt_model(cfg: Cfg, params: dict[str, np.ndarray]) -> dict[str, Any]:
    return {"cls": GPT.cls, "args": [dict(cfg)], "tensors": params}


def _standin(rng: np.random.Generator, vocab: int, context: int) -> dict[str, Any]:
    emb = rng.normal(0.0, 1.0, (vocab, vocab)).astype(np.float32)
    mix = rng.normal(0.0, 2.0, (vocab, vocab)).astype(np.float32)
    return {"standin": {"emb": emb, "mix": mix, "context": context}}


def _logits_fn(probe: Probe) -> tuple[LogitsFn, int]:
    """The reference logits of the probe's model, and that model's context length."""
    model = probe.args["model"]
    if "standin" in model:
        s = model["standin"]
        return (lambda ids: ref.standin_logits(ids, s["emb"], s["mix"], int(s["context"]))), int(
            s["context"]
        )
    cfg = model["args"][0]
    return (lambda ids: ref.gpt_forward(ids, model["tensors"], cfg)), int(cfg["context_length"])


# --- Judging a generated sequence ------------------------------------------------------------

POLICIES: list[tuple[str, Callable[[np.ndarray, int], np.ndarray], int]] = [
    # (message, how the context is cut from the prefix, which position's logits are used)
    (
        f"the input is not cropped to the last context_size tokens before the model call: {CROP}.",
        lambda seq, c: seq,
        -1,
    ),
    (
        f"the first context_size tokens are kept instead of the last ones: {CROP}.",
        lambda seq, c: seq[:, :c],
        -1,
    ),
    (
        "the next token is taken from the first position's logits: use the last position, "
        "logits[:, -1, :].",
        lambda seq, c: seq[:, -c:],
        0,
    ),
]


def _steps_ok(
    seq: np.ndarray, n0: int, context_size: int, logits_fn: LogitsFn, cut: Any, position: int
) -> tuple[int, int, int, int] | None:
    """None when every new token is an argmax (up to float32 ties) under this policy; else
    ``(step, row, expected, got)`` of the first one that is not."""
    for j in range(n0, seq.shape[1]):
        logits = logits_fn(cut(seq[:, :j], context_size))[:, position, :]
        for r in range(seq.shape[0]):
            top = float(logits[r].max())
            tok = int(seq[r, j])
            tol = 1e-4 + 1e-4 * abs(top)
            if not 0 <= tok < logits.shape[1] or logits[r, tok] < top - tol:
                return j - n0, r, int(logits[r].argmax()), tok
    return None


def judge_generation(probe: Probe, result: ProbeResult, *, model_name: str) -> CheckOutcome | None:
    a = probe.args
    idx, m, c = a["idx"], int(a["max_new_tokens"]), int(a["context_size"])
    b, n0 = idx.shape
    what = (
        f"{FN}(model, idx of shape {fmt_shape(idx.shape)}, max_new_tokens={m}, "
        f"context_size={c}) with {model_name}"
    )
    hint = ""
    if result.error is not None and result.error.type in ("IndexError", "RuntimeError"):
        hint = f"Crop the input to the model's context before each call: {CROP}."
    failure = probe_failure(result, what=what, hint=hint)
    if failure is not None:
        return failure
    value = result.value if isinstance(result.value, dict) else {}
    if "load_error" in value:
        out = load_error_outcome(value["load_error"], what=model_name, hint=GPT.layout)
        return failed(out.message, learner_param_listing(value.get("param_shapes")))
    out = as_array(value.get("output"))
    if out is None or out.dtype.kind not in "iu" or out.ndim != 2:
        return failed(
            f"{what}: should return a 2-D tensor of token ids (batch, n + max_new_tokens), "
            f"got {type(value.get('output')).__name__}."
        )
    seq = out.astype(np.int64)
    if seq.shape == (b, m) and m != n0 + m:
        return failed(
            f"{what}: returned only the new tokens: return the whole sequence, the prompt "
            "followed by the new tokens (idx = torch.cat((idx, idx_next), dim=1))."
        )
    if seq.shape != (b, n0 + m):
        return failed(
            f"{what}: expected shape {fmt_shape((b, n0 + m))}, got {fmt_shape(seq.shape)}."
        )
    if not np.array_equal(seq[:, :n0], idx):
        return failed(f"{what}: the returned sequence should start with the prompt idx unchanged.")
    logits_fn, _ = _logits_fn(probe)
    wrong = _steps_ok(seq, n0, c, logits_fn, lambda s, k: s[:, -k:], -1)
    if wrong is None:
        return None
    for message, cut, position in POLICIES:
        try:
            if _steps_ok(seq, n0, c, logits_fn, cut, position) is None:
                return failed(f"{what}: {message}")
        except IndexError:  # the stand-in refuses inputs longer than its context
            continue
    step, row, exp, got = wrong
    return failed(
        f"{what}: new token {step} of row {row} should be {exp} (the argmax of the last "
        f"position's logits), got {got}. Greedy decoding: {LOOP}.",
        f"your output:\n{seq}",
    )


def _gpt_first(probe: Probe, result: ProbeResult) -> CheckOutcome | None:
    """The learner's GPTModel must match the reference before generation can be judged."""
    run = read_run(GPT, probe, result)
    if isinstance(run, CheckOutcome):
        outcome = run
    else:
        outcome = usable(run) or compare(run)
    if outcome is None:
        return None
    return CheckOutcome(
        "error" if outcome.status == "error" else "fail",
        "Your GPTModel must match the reference first (see the gpt-model challenge): "
        + outcome.message,
        outcome.output,
    )


def _gpt_check(
    name: str,
    description: str,
    setups: Callable[[np.random.Generator], list[tuple[Cfg, int, int, int]]],
    success: str,
) -> Check:
    """Each setup: (cfg, prompt length, max_new_tokens, context_size)."""

    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for cfg, n0, m, c in setups(rng):
            params = ref.random_params(ref.gpt_shapes(cfg), rng)
            idx = _prompt(rng, int(cfg["vocab_size"]), n0)
            check_ids = idx[:, -min(n0, int(cfg["context_length"])) :]
            probes.append(forward_probe(GPT, cfg, [check_ids], params=params))
            probes.append(_generate_probe(idx, m, c, _gpt_model(cfg, params)))
        return probes

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        for i in range(0, len(probes), 2):
            outcome = _gpt_first(probes[i], results[i]) or judge_generation(
                probes[i + 1], results[i + 1], model_name="your GPTModel"
            )
            if outcome is not None:
                return outcome
        return passed(success)

    return Check(name, description, build, judge, video=VIDEO, card=CARD, needs=(GPT.cls, FN))


def greedy_check(name: str) -> Check:
    def setups(rng: np.random.Generator) -> list[tuple[Cfg, int, int, int]]:
        cfg = small_cfg(rng, context_length=rint(rng, 8, 10), drop_rate=0.1)
        ctx = int(cfg["context_length"])
        return [(cfg, rint(rng, 1, 3), rint(rng, 3, ctx - 3), ctx)]

    return _gpt_check(
        name,
        f"{FN} with a small GPTModel (the grader's weights) appends, one at a time, the argmax "
        "of the last position's logits -- the reference's tokens, for every row of the batch.",
        setups,
        "Greedy decoding picks the reference's token at every step.",
    )


def crop_check(name: str) -> Check:
    def setups(rng: np.random.Generator) -> list[tuple[Cfg, int, int, int]]:
        cfg = small_cfg(rng, context_length=rint(rng, 5, 7))
        ctx = int(cfg["context_length"])
        smaller = small_cfg(rng, context_length=rint(rng, 6, 8))
        size = rint(rng, 2, int(smaller["context_length"]) - 3)
        return [
            # context_size < context_length: what the model sees must be limited to it
            (smaller, size + rint(rng, 1, 2), rint(rng, 2, 3), size),
            # a prompt longer than the model's context: without cropping the model fails
            (cfg, ctx + rint(rng, 1, 3), rint(rng, 2, 4), ctx),
        ]

    return _gpt_check(
        name,
        f"{FN} crops the input to the last context_size tokens before every model call: a "
        "prompt longer than the model's context works, and context_size smaller than "
        "context_length limits what the model sees.",
        setups,
        "The context is cropped to the last context_size tokens.",
    )


def _standin_check(name: str, description: str, setups: Any, success: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for vocab, context, n0, m, c in setups(rng):
            idx = _prompt(rng, vocab, n0)
            probes.append(_generate_probe(idx, m, c, _standin(rng, vocab, context)))
        return probes

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        for probe, result in zip(probes, results, strict=True):
            outcome = judge_generation(probe, result, model_name="the grader's stand-in model")
            if outcome is not None:
                return outcome
        return passed(success)

    return Check(name, description, build, judge, video=VIDEO, card=CARD, needs=(FN,))


def any_model_check(name: str) -> Check:
    def setups(rng: np.random.Generator) -> list[tuple[int, int, int, int, int]]:
        context = rint(rng, 5, 7)
        return [
            (rint(rng, 20, 40), context, rint(rng, 1, 3), rint(rng, 4, 6), context),
            (rint(rng, 20, 40), context, context + 1, rint(rng, 2, 4), rint(rng, 2, context - 1)),
        ]

    return _standin_check(
        name,
        f"{FN} works with any language model that maps (batch, n) ids to (batch, n, vocab) "
        "logits: with the grader's stand-in model it picks the argmax token at every step and "
        "crops to context_size.",
        setups,
        f"{FN} decodes greedily with any model.",
    )


def prompt_check(name: str) -> Check:
    def setups(rng: np.random.Generator) -> list[tuple[int, int, int, int, int]]:
        context = rint(rng, 5, 7)
        vocab = rint(rng, 20, 40)
        return [
            (vocab, context, rint(rng, 2, 4), 0, context),
            (vocab, context, rint(rng, 1, 3), rint(rng, 1, 3), context),
        ]

    return _standin_check(
        name,
        f"{FN} returns the prompt followed by max_new_tokens new ids, shape (batch, n + "
        "max_new_tokens) -- the prompt alone for max_new_tokens=0.",
        setups,
        "The output is the prompt followed by the new tokens.",
    )


TEXT_GENERATION = register(
    ChallengeSpec(
        slug="text-generation",
        names=(GPT.cls, FN),
        starter=(STARTERS / "text_generation.py").read_text(encoding="utf-8"),
        checks=(
            greedy_check("greedy_matches_reference"),
            crop_check("crops_to_context_size"),
            any_model_check("greedy_with_any_model"),
            prompt_check("returns_prompt_and_new_tokens"),
        ),
    )
)
