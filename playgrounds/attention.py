"""The attention explorer's maths and input handling (chapters 3.3-3.6 and 4).

A small GPT built exactly like the book's ``GPTModel`` (pre-norm blocks, MultiHeadAttention
scaled by sqrt(head_dim), causal mask, GELU feed-forward) reads a sentence of GPT-2 BPE tokens;
every layer's and head's attention weights are shown as heat maps. The forward pass here is
the project's numpy reference (``grading.reference``), in float64; the model is trained on
the worker (``playgrounds/computations/attention.py``) on the short story the project ships.

What the page switches without asking the server again:

- the causal mask: the worker computes the whole forward pass twice, with and without the
  mask (without it, later layers also see a different input), so both sets of maps travel;
- dropout: what ``nn.Dropout(p)`` does to the weights in training, drawn from a small seeded
  generator (mulberry32) that ``static/js/attention.js`` implements bit for bit, so a seed
  gives the same dropped cells on the server and in the browser. Survivors are scaled by
  ``1 / (1 - p)``; masked cells stay zero whatever the draw.

The model's vocabulary is the GPT-2 tokens of the story: a token the story never uses maps to
one shared "rare" embedding, and the page says so.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grading.reference import attention as ref_attention
from grading.reference import gpt as ref_gpt
from playgrounds import tokenizer

CORPUS = tokenizer.CORPUS_PATH  # the story the simple tokenizer builds its vocabulary from
CORPUS_TITLE = "“The Verdict” (Edith Wharton, 1908), the short story the book trains on"

# The book's GPT with small numbers (GPT_CONFIG_124M has 12 layers, 12 heads, 768 dims).
ARCHITECTURE: dict[str, Any] = {
    "context_length": 32,
    "emb_dim": 64,
    "n_heads": 4,
    "n_layers": 4,
    "drop_rate": 0.0,
    "qkv_bias": False,
}
TRAINING: dict[str, Any] = {
    "steps": 300,
    "batch_size": 16,
    "lr": 3e-3,
    "weight_decay": 0.1,
    "seed": 123,
}
# Bump when the model code, its training or the result's format changes: stored results
# and cached weights of an older version are then never reused.
MODEL_CODE_VERSION = 1

MIN_TOKENS = 2
MAX_TOKENS = 16
MAX_CHARS = 200
DEFAULT_TEXT = "I had always thought Jack Gisburn rather a cheap genius"
EXAMPLES = (
    DEFAULT_TEXT,
    "Your journey starts with one step",
    "The height of his glory, he said, was a villa on the Riviera.",
)
DROPOUT_RATES = (0.0, 0.1, 0.5)
MAX_SEED = 999_999

TRAINED, UNTRAINED, SUBMISSION = "trained", "untrained", "submission"
SOURCES = (TRAINED, UNTRAINED, SUBMISSION)
MODEL_SOURCES = (TRAINED, UNTRAINED)
RARE_ID = 0  # the model's id for every token the story never uses


# --- Tokens --------------------------------------------------------------------------------


@functools.cache
def corpus_bytes() -> bytes:
    return CORPUS.read_bytes()


@functools.cache
def vocabulary() -> tuple[int, ...]:
    """The GPT-2 ids of the story, sorted; model id ``i + 1`` is ``vocabulary()[i]``."""
    ids = tokenizer.gpt2_encoding().encode(corpus_bytes().decode("utf-8"))
    return tuple(sorted(set(ids)))


@functools.cache
def _model_index() -> dict[int, int]:
    return {token: i + 1 for i, token in enumerate(vocabulary())}


def model_config() -> dict[str, Any]:
    """The GPTModel config: ``ARCHITECTURE`` plus the story's vocabulary and the rare id."""
    return {"vocab_size": len(vocabulary()) + 1, **ARCHITECTURE}


@functools.cache
def model_version() -> str:
    """Identifies the trained model: corpus, architecture, training and code version."""
    digest = hashlib.sha256(corpus_bytes())
    digest.update(json.dumps([ARCHITECTURE, TRAINING, MODEL_CODE_VERSION], sort_keys=True).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Token:
    id: int  # GPT-2 id
    text: str  # the exact text of the token (may start with a space)
    known: bool  # in the model's vocabulary (the story uses it)

    @property
    def label(self) -> str:
        """For an axis: spaces at the ends made visible only where nothing else shows."""
        stripped = self.text.strip()
        if not stripped:
            return self.text.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥")
        return stripped if len(stripped) <= 14 else stripped[:13] + "…"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "label": self.label, "known": self.known}


def tokenize(text: str) -> tuple[list[Token], str | None]:
    """GPT-2 tokens of ``text`` (``<|endoftext|>`` allowed, as in the book), or a message
    saying what to change. Counts are checked before and after tokenizing."""
    if not text.strip():
        return [], "Type a sentence to see its attention maps."
    if len(text) > MAX_CHARS:
        return [], (
            f"Keep the sentence to {MAX_CHARS} characters or fewer (yours has {len(text)}); "
            f"the maps show at most {MAX_TOKENS} tokens anyway."
        )
    enc = tokenizer.gpt2_encoding()
    ids = enc.encode(text, allowed_special={"<|endoftext|>"})
    if len(ids) < MIN_TOKENS:
        return [], (
            f"“{text}” is a single GPT-2 token: attention needs at least {MIN_TOKENS} "
            "tokens to look at each other, so type a few words."
        )
    if len(ids) > MAX_TOKENS:
        extra = len(ids) - MAX_TOKENS
        return [], (
            f"Your sentence is {len(ids)} GPT-2 tokens long; the explorer shows at most "
            f"{MAX_TOKENS} (bigger maps are unreadable). Remove {extra} token"
            f"{'s' if extra != 1 else ''} (about {math.ceil(extra * 0.75)} "
            f"word{'s' if math.ceil(extra * 0.75) != 1 else ''})."
        )
    index = _model_index()
    tokens = []
    for token_id in ids:
        piece = enc.decode_single_token_bytes(token_id).decode("utf-8", errors="replace")
        tokens.append(Token(id=token_id, text=piece, known=token_id in index))
    return tokens, None


def model_ids(tokens: Sequence[Token]) -> np.ndarray:
    index = _model_index()
    return np.array([index.get(t.id, RARE_ID) for t in tokens], dtype=np.int64)


# --- Page settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    text: str = DEFAULT_TEXT
    source: str = TRAINED
    causal: bool = True
    dropout: float = 0.0
    seed: int = 1
    layer: int = 0  # 0-based here, 1-based in URLs and on the page
    head: int = 0
    tokens: tuple[Token, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)

    def query(self) -> dict[str, str]:
        """The settings as GET parameters (what the page's URL carries)."""
        return {
            "text": self.text,
            "source": self.source,
            "mask": "causal" if self.causal else "none",
            "dropout": f"{self.dropout:g}",
            "seed": str(self.seed),
            "layer": str(self.layer + 1),
            "head": str(self.head + 1),
        }


def _whole(raw: str | None, default: int, low: int, high: int) -> int | None:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def parse(params: Mapping[str, str]) -> Settings:
    """Settings from GET or POST parameters; an invalid field keeps its default and gets a
    message under its name in ``errors`` (the text keeps what was typed, so nothing is lost).
    """
    errors: dict[str, str] = {}
    raw_text = params.get("text")
    text = DEFAULT_TEXT if raw_text is None else raw_text.strip()
    tokens, problem = tokenize(text)
    if problem is not None:
        errors["text"] = problem

    source = params.get("source") or TRAINED
    if source not in SOURCES:
        errors["source"] = (
            "Choose the trained model, the untrained model or your own MultiHeadAttention."
        )
        source = TRAINED

    mask = params.get("mask") or "causal"
    if mask not in ("causal", "none"):
        errors["mask"] = "The causal mask is either on (causal) or off (none)."
        mask = "causal"

    dropout_raw = (params.get("dropout") or "0").strip()
    try:
        dropout = float(dropout_raw)
    except ValueError:
        dropout = -1.0
    if dropout not in DROPOUT_RATES:
        errors["dropout"] = "Dropout is off, 0.1 or 0.5."
        dropout = 0.0

    seed = _whole(params.get("seed"), 1, 0, MAX_SEED)
    if seed is None:
        errors["seed"] = f"The dropout sample is a whole number from 0 to {MAX_SEED:,}."
        seed = 1
    layers, heads = int(ARCHITECTURE["n_layers"]), int(ARCHITECTURE["n_heads"])
    layer = _whole(params.get("layer"), 1, 1, layers)
    if layer is None:
        errors["layer"] = f"The layer is a whole number from 1 to {layers}."
        layer = 1
    head = _whole(params.get("head"), 1, 1, heads)
    if head is None:
        errors["head"] = f"The head is a whole number from 1 to {heads}."
        head = 1
    return Settings(
        text=text,
        source=source,
        causal=mask == "causal",
        dropout=dropout,
        seed=seed,
        layer=layer - 1,
        head=head - 1,
        tokens=tuple(tokens),
        errors=errors,
    )


# --- The model's forward pass ----------------------------------------------------------------


@dataclass(frozen=True)
class Forward:
    weights: np.ndarray  # (layers, heads, T, T) attention weights, before any dropout
    inputs: list[np.ndarray]  # per layer, what its MultiHeadAttention reads: norm1(x), (1, T, E)
    logits: np.ndarray  # (1, T, vocab)


def forward(params: Mapping[str, np.ndarray], ids: np.ndarray, *, causal: bool) -> Forward:
    """GPTModel.forward in eval mode (the reference maths), keeping each layer's attention
    weights and inputs. ``causal=False`` drops the mask in every layer."""
    cfg = model_config()
    heads = int(cfg["n_heads"])
    n = len(ids)
    x = np.asarray(params["tok_emb.weight"], np.float64)[ids][None]
    x = x + np.asarray(params["pos_emb.weight"], np.float64)[:n][None]
    weights, inputs = [], []
    for layer in range(int(cfg["n_layers"])):
        block = ref_gpt.sub(params, f"trf_blocks.{layer}.")
        att = ref_gpt.sub(block, "att.")
        h = ref_gpt.layer_norm(x, block["norm1.scale"], block["norm1.shift"])
        inputs.append(h)
        q, k, _ = ref_attention.qkv(h, att)
        split = (ref_attention.split_heads(t, heads, "transpose") for t in (q, k))
        weights.append(ref_attention.attention_weights(*split, causal=causal)[0])
        x = x + ref_attention.multi_head_attention(h, att, heads, causal=causal)
        h = ref_gpt.layer_norm(x, block["norm2.scale"], block["norm2.shift"])
        x = x + ref_gpt.feed_forward(h, ref_gpt.sub(block, "ff."))
    x = ref_gpt.layer_norm(x, params["final_norm.scale"], params["final_norm.shift"])
    logits = ref_attention.linear(x, params["out_head.weight"])
    return Forward(weights=np.stack(weights), inputs=inputs, logits=logits)


def rounded(values: np.ndarray, places: int = 6) -> Any:
    """Nested lists for JSON, rounded (zeros stay exactly zero)."""
    return np.round(np.asarray(values, np.float64), places).tolist()


def maps_result(
    params: Mapping[str, np.ndarray], tokens: Sequence[Token], *, model: dict[str, Any]
) -> dict[str, Any]:
    """What the page draws for the project's model: tokens, both sets of maps, the model."""
    ids = model_ids(tokens)
    causal = forward(params, ids, causal=True)
    full = forward(params, ids, causal=False)
    return {
        "source": model["source"],
        "tokens": [t.as_json() for t in tokens],
        "maps": {"causal": rounded(causal.weights), "none": rounded(full.weights)},
        "model": model,
    }


# --- Dropout, drawn the same way here and in the browser -------------------------------------

_MASK32 = 0xFFFFFFFF


def _mulberry32(state: int) -> Any:
    """mulberry32: a tiny 32-bit generator, easy to reproduce exactly in JavaScript."""
    state &= _MASK32

    def draw() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & _MASK32
        t = ((state ^ (state >> 15)) * (state | 1)) & _MASK32
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & _MASK32)) & _MASK32) ^ t
        return ((t ^ (t >> 14)) & _MASK32) / 4294967296

    return draw


def dropout_seed(seed: int, layer: int, head: int) -> int:
    return (seed * 0x9E3779B1 + layer * 0x85EBCA77 + head * 0xC2B2AE3D) & _MASK32


def dropout_keep(seed: int, layer: int, head: int, n: int, p: float) -> np.ndarray:
    """Which of an ``(n, n)`` map's weights survive dropout ``p`` (row by row draws)."""
    if p <= 0:
        return np.ones((n, n), dtype=bool)
    draw = _mulberry32(dropout_seed(seed, layer, head))
    return np.array([draw() >= p for _ in range(n * n)], dtype=bool).reshape(n, n)


@dataclass(frozen=True)
class View:
    """One map as drawn: values after dropout, and which cells are masked or dropped."""

    values: np.ndarray
    masked: np.ndarray
    dropped: np.ndarray


def view(weights: np.ndarray, *, causal: bool, p: float, keep: np.ndarray) -> View:
    """``nn.Dropout(p)`` in training on one map: dropped weights become 0, survivors are
    multiplied by ``1 / (1 - p)``. Masked cells (``causal``) are zero and stay masked."""
    n = weights.shape[-1]
    masked = ref_attention.causal_mask(n) if causal else np.zeros((n, n), dtype=bool)
    dropped = ~keep & ~masked
    values = np.where(masked | dropped, 0.0, weights)
    if p > 0:
        values = values / (1.0 - p)
    return View(values=values, masked=masked, dropped=dropped)


# --- The server-rendered maps (same geometry and colours as attention.js) --------------------

CELL = 28  # the enlarged map's cell, px
LABEL_W = 112  # room for the query tokens on the left
LABEL_H = 92  # room for the key tokens on top
SUM_W = 52  # the row-sum column on the right
MINI_CELL = 6
STOPS = ((0.0, (248, 250, 252)), (0.5, (129, 140, 248)), (1.0, (30, 27, 75)))
LEGEND_TICKS = (0.0, 0.05, 0.25, 0.5, 1.0)
LEGEND_W, LEGEND_STEPS = 230, 48


def scale_max(p: float) -> float:
    """The colour scale's top: 1, or what a surviving weight of 1 becomes after dropout."""
    return 1.0 / (1.0 - p) if p > 0 else 1.0


def colour(value: float, vmax: float) -> str:
    """Square-root colour scale (small weights stay visible), light to dark indigo."""
    t = math.sqrt(min(max(value / vmax, 0.0), 1.0))
    for (t0, c0), (t1, c1) in zip(STOPS, STOPS[1:], strict=False):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            rgb = [math.floor(a + (b - a) * f + 0.5) for a, b in zip(c0, c1, strict=True)]
            return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"
    return "rgb({},{},{})".format(*STOPS[-1][1])


def is_dark(value: float, vmax: float) -> bool:
    return math.sqrt(min(max(value / vmax, 0.0), 1.0)) > 0.55


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    x: int
    y: int
    value: float
    fill: str
    state: str  # "", "is-masked" or "is-dropped"
    dark: bool
    title: str

    @property
    def cross(self) -> str:
        """An x drawn over a dropped cell (an SVG path)."""
        a, b = 8, CELL - 8
        x, y = self.x, self.y
        return f"M{x + a} {y + a}L{x + b} {y + b}M{x + b} {y + a}L{x + a} {y + b}"

    @property
    def text_x(self) -> float:
        return self.x + CELL / 2

    @property
    def text_y(self) -> float:
        return self.y + CELL / 2 + 3


def cells(v: View, tokens: Sequence[Mapping[str, Any]], vmax: float) -> list[Cell]:
    out = []
    n = v.values.shape[0]
    for i in range(n):
        for j in range(n):
            value = float(v.values[i, j])
            query, key = tokens[i]["label"], tokens[j]["label"]
            if v.masked[i, j]:
                state, fill = "is-masked", "url(#att-hatch)"
                title = f"“{query}” → “{key}”: masked (a later token), weight 0"
            elif v.dropped[i, j]:
                state, fill = "is-dropped", "#ffffff"
                title = f"“{query}” → “{key}”: dropped by dropout, weight 0"
            else:
                state, fill = "", colour(value, vmax)
                title = f"“{query}” → “{key}”: {value:.4f}"
            out.append(
                Cell(
                    row=i,
                    col=j,
                    x=LABEL_W + j * CELL,
                    y=LABEL_H + i * CELL,
                    value=value,
                    fill=fill,
                    state=state,
                    dark=not state and is_dark(value, vmax),
                    title=title,
                )
            )
    return out


def legend(vmax: float) -> dict[str, Any]:
    """The colour bar (LEGEND_STEPS rects along LEGEND_W px, square-root scale) and its
    ticks: round weights, plus the scale's top when dropout lifts it above 1."""
    width = LEGEND_W / LEGEND_STEPS
    bar = [
        {
            "x": round(k * width, 2),
            "width": round(width + 0.3, 2),
            "fill": colour(((k + 0.5) / LEGEND_STEPS) ** 2 * vmax, vmax),
        }
        for k in range(LEGEND_STEPS)
    ]
    values = [*LEGEND_TICKS, *([vmax] if vmax > 1 else [])]
    ticks = [
        {
            "x": round(math.sqrt(v / vmax) * LEGEND_W, 2),
            "label": f"{v:.3g}",
            "anchor": "start" if v == 0 else "end" if v == vmax else "middle",
        }
        for v in values
    ]
    return {"bar": bar, "ticks": ticks}


def row_sums(v: View) -> list[float]:
    return [float(s) for s in v.values.sum(axis=1)]
