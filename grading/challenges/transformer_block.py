"""Chapter 4 challenge ``transformer-block``: LayerNorm, GELU, FeedForward, TransformerBlock.

Learners define their own MultiHeadAttention in the same file (the block's ``att``). Every
output is compared with ``grading.reference.gpt`` computed from the weights the grader loaded
(or the learner's own initial weights); mistake variants of the reference name the mistake
(unbiased variance, eps, exact GELU, post-norm, a missing shortcut ...). See gpt_parts.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe
from grading.challenges.checks import failed
from grading.challenges.gpt_parts import (
    Cfg,
    Part,
    Run,
    compare,
    eval_deterministic_check,
    forward_probe,
    inspect_probe,
    judge_each,
    layer_norm_inputs,
    normal,
    reference_judge,
    rint,
    seed,
    small_cfg,
    structure_judge,
    train_dropout_check,
    usable,
)
from grading.reference import gpt as ref

STARTERS = Path(__file__).parent / "starters"

VID_ARCH = "8K1yCsO1CsU"  # Coding an LLM architecture
VID_NORM = "QKirqpM3bfk"  # Layer normalization
VID_FF = "IMWbSrTfrC0"  # A feed forward network with GELU
# "Adding Shortcut Connections" has a malformed id in the seed ("PnIF7GdWps"): the shortcut
# check points at the architecture overview instead.
VID_BLOCK = "zCPoalAsudQ"  # Connecting attention and linear layers in a transformer block
CARD_NORM, CARD_GELU, CARD_SHORTCUT, CARD_BLOCK, CARD_FFN = 14, 15, 16, 17, 18

GELU_FORMULA = "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))"


def _ln_mistakes(cfg: Cfg) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = [
        (
            "the variance is unbiased (divided by n - 1): use x.var(dim=-1, keepdim=True, "
            "unbiased=False) -- torch.var and torch.std default to the unbiased estimate.",
            {"unbiased": True},
        ),
        (
            "eps is added outside the square root: divide by torch.sqrt(var + self.eps).",
            {"eps_outside": True},
        ),
        (
            "eps is missing: divide by torch.sqrt(var + self.eps) with self.eps = 1e-5.",
            {"eps": 0.0},
        ),
        (
            "scale and shift are not applied: return self.scale * norm_x + self.shift.",
            {"affine": False},
        ),
        (
            "the mean and variance are taken over the wrong dim: use dim=-1 (the embedding "
            "dim) with keepdim=True.",
            {"axis": 1},
        ),
        (
            "the mean and variance are taken over the batch dim: use dim=-1 with keepdim=True.",
            {"axis": 0},
        ),
    ]
    out += [
        (f"eps is {e:g}; the book's LayerNorm uses self.eps = 1e-5.", {"eps": e})
        for e in (1e-6, 1e-8, 1e-12, 1e-4, 1e-3)
    ]
    return out


def _ln_reference(x: np.ndarray, p: Any, cfg: Cfg, **opts: Any) -> np.ndarray:
    return ref.layer_norm(x, p["scale"], p["shift"], **opts)


LAYER_NORM = Part(
    "LayerNorm",
    ctor=lambda cfg: [int(cfg["emb_dim"])],
    shapes=lambda cfg: {"scale": (int(cfg["emb_dim"]),), "shift": (int(cfg["emb_dim"]),)},
    reference=_ln_reference,
    layout="self.scale = nn.Parameter(torch.ones(emb_dim)) and self.shift = "
    "nn.Parameter(torch.zeros(emb_dim)).",
    mistakes=_ln_mistakes,
)

_GELU_MISTAKES = [
    (
        "this is the exact GELU with erf (nn.GELU()'s default): the book uses the tanh "
        f"approximation {GELU_FORMULA}.",
        {"kind": "erf"},
    ),
    (f"this is ReLU: GELU is {GELU_FORMULA}.", {"kind": "relu"}),
    (
        f"this is the sigmoid approximation x * sigmoid(1.702 * x): use {GELU_FORMULA}.",
        {"kind": "sigmoid"},
    ),
    (f"the factor 0.5 is missing: {GELU_FORMULA}.", {"kind": "no_half"}),
]

GELU = Part(
    "GELU",
    ctor=lambda cfg: [],
    shapes=lambda cfg: {},
    reference=lambda x, p, cfg, kind="tanh": ref.gelu(x, kind),
    layout="GELU has no parameters.",
    mistakes=lambda cfg: _GELU_MISTAKES,
    out_dim=lambda cfg: None,
    atol=1e-6,
    rtol=1e-5,
)

FEED_FORWARD = Part(
    "FeedForward",
    ctor=lambda cfg: [dict(cfg)],
    shapes=lambda cfg: ref.feed_forward_shapes(int(cfg["emb_dim"])),
    reference=lambda x, p, cfg, **o: ref.feed_forward(x, p, **o),
    layout="self.layers = nn.Sequential(nn.Linear(emb_dim, 4 * emb_dim), GELU(), "
    "nn.Linear(4 * emb_dim, emb_dim)).",
    cfg_keys=("emb_dim",),
    mistakes=lambda cfg: [
        (
            "the activation is the exact (erf) GELU: use the book's tanh-approximation GELU().",
            {"activation": "erf"},
        ),
        (
            "the activation is ReLU: use the book's GELU() between the two Linear layers.",
            {"activation": "relu"},
        ),
    ],
)

_BLOCK_LAYOUT = (
    "self.att = MultiHeadAttention(d_in=emb_dim, d_out=emb_dim, context_length, num_heads=n_heads, "
    "dropout=drop_rate, qkv_bias=qkv_bias), self.ff = FeedForward(cfg), self.norm1 and "
    "self.norm2 = LayerNorm(emb_dim), self.drop_shortcut = nn.Dropout(drop_rate)."
)
PRE_NORM = "x = x + drop_shortcut(att(norm1(x))), then x = x + drop_shortcut(ff(norm2(x)))"
_BLOCK_MISTAKES = [
    (
        "the block normalises after adding the shortcut (post-norm): the book's block is "
        f"pre-norm, {PRE_NORM}.",
        {"norm": "post"},
    ),
    (f"the attention shortcut is missing: {PRE_NORM}.", {"shortcut_att": False}),
    (f"the feed-forward shortcut is missing: {PRE_NORM}.", {"shortcut_ff": False}),
    (f"both shortcuts are missing: {PRE_NORM}.", {"shortcut_att": False, "shortcut_ff": False}),
    (
        f"norm1 is used before both branches: the feed-forward branch uses norm2 ({PRE_NORM}).",
        {"shared_norm": True},
    ),
    (f"the layer norms are not applied: {PRE_NORM}.", {"norm": "none"}),
    (
        "the feed-forward uses the exact (erf) GELU: use the book's tanh approximation.",
        {"activation": "erf"},
    ),
    ("the layer norms use the unbiased variance: var(..., unbiased=False).", {"unbiased": True}),
]

BLOCK = Part(
    "TransformerBlock",
    ctor=lambda cfg: [dict(cfg)],
    shapes=lambda cfg: ref.block_shapes(cfg),
    reference=lambda x, p, cfg, **o: ref.transformer_block(x, p, int(cfg["n_heads"]), **o),
    layout=_BLOCK_LAYOUT,
    mistakes=lambda cfg: _BLOCK_MISTAKES,
    cfg_keys=("emb_dim", "n_heads", "context_length", "drop_rate", "qkv_bias"),
)


def _x(rng: np.random.Generator, cfg: Cfg, n: int | None = None) -> np.ndarray:
    n = int(cfg["context_length"]) if n is None else n
    return normal(rng, (rint(rng, 1, 3), n, int(cfg["emb_dim"])))


def _params(part: Part, cfg: Cfg, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return ref.random_params(part.shapes(cfg), rng)


# --- Checks ----------------------------------------------------------------------------------


def layernorm_init_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        cfg = small_cfg(rng)
        x = layer_norm_inputs(rng, (2, 3, int(cfg["emb_dim"])))
        return [forward_probe(LAYER_NORM, cfg, [x], seed_=seed(rng), return_params=True)]

    def per_run(run: Run) -> CheckOutcome | None:
        scale, shift = run.params["scale"], run.params["shift"]
        if not (np.all(scale == 1.0) and np.all(shift == 0.0)):
            return failed(
                f"{LAYER_NORM.signature(run.cfg)}: scale should start as ones and shift as zeros "
                "(torch.ones(emb_dim), torch.zeros(emb_dim)), so a fresh LayerNorm only normalises."
            )
        return usable(run) or compare(run, context=" with its initial scale and shift")

    return Check(
        name,
        "LayerNorm(emb_dim) has parameters scale (ones) and shift (zeros), and normalises each "
        "row to mean 0 and variance 1.",
        build,
        judge_each(
            LAYER_NORM,
            per_run,
            "A fresh LayerNorm has scale = 1, shift = 0 and normalises each row.",
        ),
        video=VID_NORM,
        card=CARD_NORM,
        needs=(LAYER_NORM.cls,),
    )


def layernorm_reference_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for _ in range(2):
            cfg = small_cfg(rng)
            x = layer_norm_inputs(rng, (rint(rng, 1, 3), rint(rng, 2, 5), int(cfg["emb_dim"])))
            probes.append(forward_probe(LAYER_NORM, cfg, [x], params=_params(LAYER_NORM, cfg, rng)))
        return probes

    return Check(
        name,
        "With scale and shift the grader loads, LayerNorm gives scale * (x - mean) / "
        "sqrt(var + 1e-5) + shift over the last dim, with the biased variance -- also on rows "
        "whose variance is close to eps.",
        build,
        reference_judge(
            LAYER_NORM, "LayerNorm matches the reference (biased variance, eps = 1e-5)."
        ),
        video=VID_NORM,
        card=CARD_NORM,
        needs=(LAYER_NORM.cls,),
    )


def gelu_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        grid = np.linspace(-6.0, 6.0, 61)
        x = np.concatenate([grid, rng.normal(0.0, 3.0, 59)]).astype(np.float32).reshape(2, 3, 20)
        return [forward_probe(GELU, {}, [x])]

    return Check(
        name,
        f"GELU()(x) is the tanh approximation {GELU_FORMULA}, elementwise, for x from -6 to 6.",
        build,
        reference_judge(GELU, "GELU is the book's tanh approximation."),
        video=VID_FF,
        card=CARD_GELU,
        needs=(GELU.cls,),
    )


def feedforward_layers_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        return [inspect_probe(FEED_FORWARD, small_cfg(rng), ["layers"], rng)]

    return Check(
        name,
        "FeedForward(cfg).layers is nn.Sequential(Linear(emb_dim, 4 * emb_dim), GELU(), "
        "Linear(4 * emb_dim, emb_dim)).",
        build,
        structure_judge(
            FEED_FORWARD,
            {"layers": ("Sequential",)},
            "FeedForward expands to 4 * emb_dim and back.",
            lengths=lambda cfg: {"layers": 3},
        ),
        video=VID_FF,
        card=CARD_FFN,
        needs=(FEED_FORWARD.cls,),
    )


def feedforward_reference_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        cfg = small_cfg(rng)
        x = normal(rng, (rint(rng, 1, 3), rint(rng, 2, 5), int(cfg["emb_dim"])), 2.0)
        return [forward_probe(FEED_FORWARD, cfg, [x], params=_params(FEED_FORWARD, cfg, rng))]

    return Check(
        name,
        "With weights the grader loads, FeedForward gives Linear -> GELU -> Linear.",
        build,
        reference_judge(FEED_FORWARD, "FeedForward matches the reference."),
        video=VID_FF,
        card=CARD_FFN,
        needs=(FEED_FORWARD.cls,),
    )


def block_layers_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        attrs = ["att", "ff", "norm1", "norm2", "drop_shortcut"]
        return [
            inspect_probe(BLOCK, small_cfg(rng, qkv_bias=bias), attrs, rng)
            for bias in (False, True)
        ]

    return Check(
        name,
        "TransformerBlock(cfg) has att (MultiHeadAttention), ff (FeedForward), norm1 and norm2 "
        "(LayerNorm) and drop_shortcut (Dropout), with the book's parameter names and shapes "
        "(attention biases exactly when qkv_bias is True).",
        build,
        structure_judge(
            BLOCK,
            {
                "att": ("MultiHeadAttention",),
                "ff": ("FeedForward",),
                "norm1": ("LayerNorm",),
                "norm2": ("LayerNorm",),
                "drop_shortcut": ("Dropout",),
            },
            "TransformerBlock has the book's layers and parameters.",
        ),
        video=VID_BLOCK,
        card=CARD_BLOCK,
        needs=(BLOCK.cls,),
    )


def block_reference_check(name: str, *, qkv_bias: bool = False, shorter: bool = False) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for _ in range(1 if shorter or qkv_bias else 2):
            cfg = small_cfg(rng, qkv_bias=qkv_bias, drop_rate=0.1)
            n = rint(rng, 1, int(cfg["context_length"]) - 1) if shorter else None
            probes.append(
                forward_probe(BLOCK, cfg, [_x(rng, cfg, n)], params=_params(BLOCK, cfg, rng))
            )
        return probes

    if shorter:
        text = "on inputs shorter than context_length (the attention mask is sliced)"
    elif qkv_bias:
        text = "with qkv_bias=True (biases in the attention's query/key/value projections)"
    else:
        text = "in eval mode"
    hint = "Slice the attention mask to num_tokens." if shorter else ""
    return Check(
        name,
        f"With weights the grader loads, TransformerBlock {text} gives the pre-norm block: "
        f"{PRE_NORM}.",
        build,
        reference_judge(BLOCK, f"TransformerBlock matches the reference {text}.", hint=hint),
        video=VID_BLOCK,
        card=CARD_BLOCK,
        needs=(BLOCK.cls,),
    )


def block_shortcuts_check(name: str) -> Check:
    """With both branches' last layers zeroed, a pre-norm block returns its input unchanged."""

    def build(rng: np.random.Generator) -> list[Probe]:
        cfg = small_cfg(rng)
        params = _params(BLOCK, cfg, rng)
        for key in (
            "att.out_proj.weight",
            "att.out_proj.bias",
            "ff.layers.2.weight",
            "ff.layers.2.bias",
        ):
            params[key] = np.zeros_like(params[key])
        return [forward_probe(BLOCK, cfg, [_x(rng, cfg)], params=params)]

    def per_run(run: Run) -> CheckOutcome | None:
        issue = usable(run)
        if issue is not None:
            return issue
        x, got = run.xs[0].astype(np.float64), np.asarray(run.outputs[0], np.float64)
        if np.allclose(got, x, atol=1e-5):
            return None
        if np.allclose(got, 0.0, atol=1e-5):
            return failed(
                f"{run.what}: with the attention and feed-forward outputs zeroed, your block "
                f"returns zeros instead of its input: the shortcuts are missing ({PRE_NORM})."
            )
        return compare(run, context=" (attention and feed-forward outputs zeroed)") or failed(
            f"{run.what}: with both branches zeroed the block must return its input unchanged."
        )

    return Check(
        name,
        "With the attention's out_proj and the feed-forward's last layer set to zero, the block "
        "returns its input unchanged: each branch is added to a shortcut (x + ...), and the "
        "layer norms sit inside the branches (pre-norm).",
        build,
        judge_each(
            BLOCK,
            per_run,
            "The shortcuts carry the input through; the norms are inside the branches.",
        ),
        video=VID_ARCH,
        card=CARD_SHORTCUT,
        needs=(BLOCK.cls,),
    )


def block_own_weights_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        cfg = small_cfg(rng)
        return [forward_probe(BLOCK, cfg, [_x(rng, cfg)], seed_=seed(rng), return_params=True)]

    return Check(
        name,
        "TransformerBlock initialises random weights (LayerNorm scale ones, shift zeros) and "
        "its output matches the reference computed from them.",
        build,
        reference_judge(
            BLOCK,
            "TransformerBlock's output is consistent with its own initial weights.",
            context=" with its own initial weights",
        ),
        video=VID_ARCH,
        card=CARD_BLOCK,
        needs=(BLOCK.cls,),
    )


def _dropout_setup(rng: np.random.Generator) -> tuple[Cfg, Any, Any]:
    cfg = small_cfg(rng, drop_rate=0.5, context_length=rint(rng, 6, 8))
    return cfg, _x(rng, cfg), _params(BLOCK, cfg, rng)


def _eval_build(rng: np.random.Generator) -> list[Probe]:
    cfg, x, params = _dropout_setup(rng)
    return [forward_probe(BLOCK, cfg, [x, x], params=params, forward_seed=seed(rng))]


def _train_build(rng: np.random.Generator) -> list[Probe]:
    # W_value = 0: the attention output is out_proj's bias whatever dropout does to the
    # attention weights, so any train-mode randomness must come from drop_shortcut.
    cfg, x, params = _dropout_setup(rng)
    params["att.W_value.weight"] = np.zeros_like(params["att.W_value.weight"])
    return [
        forward_probe(BLOCK, cfg, [x], params=params),
        forward_probe(BLOCK, cfg, [x, x, x], params=params, train=True, forward_seed=seed(rng)),
    ]


TRANSFORMER_BLOCK = register(
    ChallengeSpec(
        slug="transformer-block",
        names=("LayerNorm", "GELU", "FeedForward", "MultiHeadAttention", "TransformerBlock"),
        starter=(STARTERS / "transformer_block.py").read_text(encoding="utf-8"),
        checks=(
            layernorm_init_check("layernorm_parameters"),
            layernorm_reference_check("layernorm_matches_reference"),
            gelu_check("gelu_tanh_approximation"),
            feedforward_layers_check("feedforward_layers"),
            feedforward_reference_check("feedforward_matches_reference"),
            block_layers_check("block_layers"),
            block_reference_check("block_matches_reference"),
            block_reference_check("block_qkv_bias", qkv_bias=True),
            block_reference_check("block_shorter_than_context", shorter=True),
            block_shortcuts_check("block_shortcuts"),
            block_own_weights_check("block_own_weights"),
            eval_deterministic_check(
                BLOCK, "block_eval_is_deterministic", _eval_build, video=VID_ARCH, card=CARD_BLOCK
            ),
            train_dropout_check(
                BLOCK,
                "block_dropout_in_train_mode",
                _train_build,
                video=VID_ARCH,
                card=CARD_SHORTCUT,
            ),
        ),
    )
)
