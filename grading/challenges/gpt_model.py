"""Chapter 4 challenge ``gpt-model``: GPTModel(cfg) with the book's attribute names.

Logits are compared with ``grading.reference.gpt.gpt_forward`` on small configurations, with
weights we send and with the learner's own. GPT_CONFIG_124M is only *instantiated* (never run)
to count its parameters: ``probes.count_parameters`` skips torch's weight initialisers, so the
163M-parameter model costs an allocation of untouched pages rather than seconds of random
numbers; the judge derives the book's numbers (total, without the output head, float32 MB)
from the parameter shapes that come back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import failed, passed, probe_failure
from grading.challenges.gpt_parts import (
    Cfg,
    Part,
    eval_deterministic_check,
    forward_probe,
    inspect_probe,
    reference_judge,
    rint,
    seed,
    small_cfg,
    structure_judge,
    train_dropout_check,
)
from grading.challenges.transformer_block import PRE_NORM
from grading.reference import gpt as ref

STARTERS = Path(__file__).parent / "starters"
VIDEO = "EegLikdHKDE"  # Coding the GPT model
CARD_COUNT, CARD_HEAD, CARD_DECODER = 19, 20, 40

LAYOUT = (
    "self.tok_emb = nn.Embedding(vocab_size, emb_dim), self.pos_emb = "
    "nn.Embedding(context_length, emb_dim), self.drop_emb = nn.Dropout(drop_rate), "
    "self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(n_layers)]), "
    "self.final_norm = LayerNorm(emb_dim), self.out_head = nn.Linear(emb_dim, vocab_size, "
    "bias=False) -- its own weight, not tied to tok_emb."
)
POSITIONS = "x = tok_emb(in_idx) + pos_emb(torch.arange(seq_len))"


def _mistakes(cfg: Cfg) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"the position embeddings are not added: {POSITIONS}.", {"positions": False}),
        (
            "final_norm is not applied: logits = out_head(final_norm(trf_blocks(x))).",
            {"final_norm": False},
        ),
        (f"the blocks normalise after the shortcut (post-norm): {PRE_NORM}.", {"norm": "post"}),
        (f"a block's shortcut is missing: {PRE_NORM}.", {"shortcut_ff": False}),
        (f"a block's shortcut is missing: {PRE_NORM}.", {"shortcut_att": False}),
        (
            "the feed-forward uses the exact (erf) GELU: use the tanh approximation.",
            {"activation": "erf"},
        ),
        (
            "the layer norms use the unbiased variance: var(..., unbiased=False).",
            {"unbiased": True},
        ),
    ]


GPT = Part(
    "GPTModel",
    ctor=lambda cfg: [dict(cfg)],
    shapes=ref.gpt_shapes,
    reference=lambda idx, p, cfg, **o: ref.gpt_forward(idx, p, cfg, **o),
    layout=LAYOUT,
    mistakes=_mistakes,
    out_dim=lambda cfg: int(cfg["vocab_size"]),
    atol=2e-4,
    rtol=2e-4,
    integer_input=True,
)


def _ids(
    rng: np.random.Generator, cfg: Cfg, n: int | None = None, b: int | None = None
) -> np.ndarray:
    n = int(cfg["context_length"]) if n is None else n
    b = rint(rng, 1, 3) if b is None else b
    return rng.integers(0, int(cfg["vocab_size"]), size=(b, n)).astype(np.int64)


def _params(cfg: Cfg, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return ref.random_params(ref.gpt_shapes(cfg), rng)


# --- Checks ----------------------------------------------------------------------------------


def structure_check(name: str) -> Check:
    attrs = ["tok_emb", "pos_emb", "drop_emb", "trf_blocks", "final_norm", "out_head"]

    def build(rng: np.random.Generator) -> list[Probe]:
        return [inspect_probe(GPT, small_cfg(rng), attrs, rng)]

    return Check(
        name,
        "GPTModel(cfg) has tok_emb, pos_emb (Embedding), drop_emb (Dropout), trf_blocks (n_layers "
        "TransformerBlocks), final_norm (LayerNorm) and out_head (Linear without bias), with the "
        "book's parameter names and shapes.",
        build,
        structure_judge(
            GPT,
            {
                "tok_emb": ("Embedding",),
                "pos_emb": ("Embedding",),
                "drop_emb": ("Dropout",),
                "trf_blocks": ("Sequential", "ModuleList"),
                "final_norm": ("LayerNorm",),
                "out_head": ("Linear",),
            },
            "GPTModel has the book's layers, names and shapes.",
            lengths=lambda cfg: {"trf_blocks": int(cfg["n_layers"])},
        ),
        video=VIDEO,
        card=CARD_HEAD,
        needs=(GPT.cls,),
    )


def logits_check(name: str, *, qkv_bias: bool = False, shorter: bool = False) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for _ in range(1 if qkv_bias or shorter else 2):
            cfg = small_cfg(rng, qkv_bias=qkv_bias, drop_rate=0.1)
            n = rint(rng, 1, int(cfg["context_length"]) - 1) if shorter else None
            probes.append(forward_probe(GPT, cfg, [_ids(rng, cfg, n)], params=_params(cfg, rng)))
        return probes

    if shorter:
        text = "for inputs shorter than context_length (positions 0 .. seq_len - 1)"
        hint = f"Positions are torch.arange(seq_len) with seq_len = in_idx.shape[1]: {POSITIONS}."
    elif qkv_bias:
        text = "with qkv_bias=True"
        hint = "Pass qkv_bias=cfg['qkv_bias'] to MultiHeadAttention."
    else:
        text = "in eval mode"
        hint = ""
    return Check(
        name,
        f"With weights the grader loads, GPTModel's logits {text} equal the reference's, shape "
        "(batch, num_tokens, vocab_size).",
        build,
        reference_judge(GPT, f"GPTModel's logits match the reference {text}.", hint=hint),
        video=VIDEO,
        card=CARD_HEAD,
        needs=(GPT.cls,),
    )


def own_weights_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        cfg = small_cfg(rng)
        return [forward_probe(GPT, cfg, [_ids(rng, cfg)], seed_=seed(rng), return_params=True)]

    return Check(
        name,
        "GPTModel initialises random weights and its logits match the reference computed from "
        "them.",
        build,
        reference_judge(
            GPT,
            "GPTModel's logits are consistent with its own initial weights.",
            context=" with its own initial weights",
        ),
        video=VIDEO,
        card=CARD_DECODER,
        needs=(GPT.cls,),
    )


def _eval_build(rng: np.random.Generator) -> list[Probe]:
    cfg = small_cfg(rng, drop_rate=0.5)
    ids = _ids(rng, cfg)
    return [forward_probe(GPT, cfg, [ids, ids], params=_params(cfg, rng), forward_seed=seed(rng))]


def _train_build(rng: np.random.Generator) -> list[Probe]:
    cfg = small_cfg(rng, drop_rate=0.5)
    ids, params = _ids(rng, cfg), _params(cfg, rng)
    return [
        forward_probe(GPT, cfg, [ids], params=params),
        forward_probe(GPT, cfg, [ids, ids, ids], params=params, train=True, forward_seed=seed(rng)),
    ]


# --- Counting GPT_CONFIG_124M ----------------------------------------------------------------

BOOK_TOTAL = 163_009_536
BOOK_WITHOUT_HEAD = 124_412_160
BOOK_MB = 621.83


def _numel(shape: Any) -> int:
    return math.prod(int(d) for d in shape)


def _count_problem(found: dict[str, list[int]], cfg: Cfg) -> str:
    """Words for how the learner's 124M parameters differ from the book's."""
    if not found:
        return "your model has no parameters: build its layers in __init__."
    expected = ref.gpt_shapes(cfg)
    extra = [n for n in found if n not in expected]
    missing = [n for n in expected if n not in found]
    resized = [n for n in expected if n in found and tuple(found[n]) != expected[n]]
    if "out_head.bias" in extra:
        return "out_head has a bias: the book's head is nn.Linear(emb_dim, vocab_size, bias=False)."
    if any(n.startswith("trf_blocks.") and ".att.W_" in n and n.endswith(".bias") for n in extra):
        return "the attention projections have biases: pass qkv_bias=cfg['qkv_bias'] (False here)."
    if "out_head.weight" in missing:
        return (
            "out_head has no weight of its own (is it tied to tok_emb?): the book's GPTModel "
            "keeps a separate out_head = nn.Linear(emb_dim, vocab_size, bias=False), and counts "
            f"{BOOK_TOTAL:,} parameters, {BOOK_WITHOUT_HEAD:,} without the head."
        )
    blocks = sorted({int(n.split(".")[1]) for n in found if n.startswith("trf_blocks.")})
    if len(blocks) != int(cfg["n_layers"]):
        return (
            f"there are {len(blocks)} transformer blocks instead of n_layers = {cfg['n_layers']}."
        )
    parts = []
    for kind, names in (("missing", missing), ("unexpected", extra), ("of another shape", resized)):
        if names:
            parts.append(f"{kind}: {', '.join(names[:4])}" + (" ..." if len(names) > 4 else ""))
    return "parameters " + "; ".join(parts) + "."


def count_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        # Nothing to randomise: the book's configuration and numbers are fixed.
        cfg = dict(ref.GPT_CONFIG_124M)
        return [Probe("count_parameters", {"cls": GPT.cls, "args": [cfg]}, timeout_s=30.0)]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        cfg = probes[0].args["args"][0]
        what = "GPTModel(GPT_CONFIG_124M)"
        failure = probe_failure(results[0], what=what, hint="(while constructing it)")
        if failure is not None:
            return failure
        value = results[0].value
        params = value.get("params") if isinstance(value, dict) else None
        if not isinstance(params, dict) or not all(
            isinstance(s, list) and all(isinstance(d, int) for d in s) for s in params.values()
        ):
            return CheckOutcome("error", f"{what}: the sandbox returned no parameter list.")
        total = sum(_numel(s) for s in params.values())
        head = _numel(params.get("out_head.weight", [0]))
        if total != BOOK_TOTAL or head != BOOK_TOTAL - BOOK_WITHOUT_HEAD:
            return failed(
                f"{what} has {total:,} parameters ({total - head:,} without out_head); the book's "
                f"has {BOOK_TOTAL:,} ({BOOK_WITHOUT_HEAD:,} without the output head): "
                + _count_problem(params, cfg),
            )
        mb = ref.size_mb(total)
        return passed(
            f"GPT_CONFIG_124M: {total:,} parameters, {total - head:,} without the output head "
            f"(weight tying), {mb:.2f} MB in float32."
        )

    return Check(
        name,
        f"GPTModel(GPT_CONFIG_124M) has {BOOK_TOTAL:,} parameters, {BOOK_WITHOUT_HEAD:,} without "
        f"the output head (as with weight tying), {BOOK_MB} MB in float32 (total * 4 / 1024**2). "
        "The model is only built, never run.",
        build,
        judge,
        video=VIDEO,
        card=CARD_COUNT,
        needs=(GPT.cls,),
    )


GPT_MODEL = register(
    ChallengeSpec(
        slug="gpt-model",
        names=("GPTModel",),
        starter=(STARTERS / "gpt_model.py").read_text(encoding="utf-8"),
        checks=(
            structure_check("model_layers"),
            logits_check("logits_match_reference"),
            logits_check("logits_qkv_bias", qkv_bias=True),
            logits_check("shorter_than_context", shorter=True),
            own_weights_check("own_weights"),
            eval_deterministic_check(
                GPT, "eval_is_deterministic", _eval_build, video=VIDEO, card=CARD_HEAD
            ),
            train_dropout_check(
                GPT, "dropout_in_train_mode", _train_build, video=VIDEO, card=CARD_HEAD
            ),
            count_check("parameter_count_124m"),
        ),
        wall_s=60.0,
    )
)
