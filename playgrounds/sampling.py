"""The sampling explorer's maths and input handling (chapter 5.3).

One step of the book's ``generate`` on a next-token logit vector: top-k on the logits (keep
those >= the k-th largest), divide by the temperature, softmax, then top-p (our contract,
BOOK.md: the smallest set of most likely tokens whose probability reaches top_p,
renormalised). Temperature 0 is greedy decoding: all probability on the argmax, top-k and
top-p have nothing left to do. ``static/js/sampling.js`` computes the same thing in the
browser; the server renders the first chart, so the page works without JavaScript.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

# The book's example (ch. 5.3.1): "every effort moves you" and the next-token logits.
BOOK_VOCAB = ("closer", "every", "effort", "forward", "inches", "moves", "pizza", "toward", "you")
BOOK_LOGITS = (4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79)
MAX_TEMPERATURE = 5.0
MAX_LOGITS = 50
MAX_ABS_LOGIT = 1000.0
DEFAULT_TEMPERATURE = 1.0


@dataclass(frozen=True)
class Settings:
    logits: tuple[float, ...] = BOOK_LOGITS
    labels: tuple[str, ...] = BOOK_VOCAB
    temperature: float = DEFAULT_TEMPERATURE
    top_k: int = len(BOOK_LOGITS)
    top_p: float = 1.0
    logits_text: str = ""  # what the learner typed (empty: the book's example)
    errors: dict[str, str] = field(default_factory=dict)


def distribution(
    logits: Sequence[float], temperature: float, top_k: int, top_p: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities, kept)``: the next-token distribution and which tokens survive
    top-k / top-p (all but the argmax drop out at temperature 0)."""
    z = np.asarray(logits, dtype=np.float64)
    n = len(z)
    if temperature <= 0:
        probs = np.zeros(n)
        probs[int(np.argmax(z))] = 1.0
        return probs, probs > 0
    k = max(1, min(int(top_k), n))
    threshold = np.sort(z)[-k]
    kept = z >= threshold
    scaled = np.where(kept, z / temperature, -np.inf)
    e = np.exp(scaled - scaled.max())
    probs = e / e.sum()
    if top_p < 1.0:
        order = np.argsort(-probs, kind="stable")
        cumulative = np.cumsum(probs[order])
        count = int(np.searchsorted(cumulative, top_p - 1e-12)) + 1
        nucleus = np.zeros(n, dtype=bool)
        nucleus[order[: min(count, n)]] = True
        kept &= nucleus
        probs = np.where(kept, probs, 0.0)
        probs = probs / probs.sum()
    return probs, kept


def parse_logits(text: str) -> tuple[tuple[float, ...] | None, str | None]:
    """Logits typed by a learner: numbers separated by commas, spaces or new lines."""
    items = [item for item in re.split(r"[\s,;]+", text.strip()) if item]
    if not 2 <= len(items) <= MAX_LOGITS:
        return None, (
            f"Enter between 2 and {MAX_LOGITS} logits separated by commas or spaces "
            f"(you entered {len(items)})."
        )
    values = []
    for item in items:
        try:
            value = float(item)
        except ValueError:
            return None, f"“{item[:20]}” is not a number: logits are plain numbers like 4.51."
        if not math.isfinite(value):
            return None, "Logits must be finite numbers (no inf or nan)."
        if abs(value) > MAX_ABS_LOGIT:
            return None, f"Logits must lie between -{MAX_ABS_LOGIT:g} and {MAX_ABS_LOGIT:g}."
        values.append(value)
    return tuple(values), None


def _number(raw: str | None, default: float) -> float | None:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse(params: Mapping[str, str]) -> Settings:
    """Settings from GET parameters; each invalid field keeps its default and gets a
    message under its name in ``errors``."""
    errors: dict[str, str] = {}
    logits, labels, text = BOOK_LOGITS, BOOK_VOCAB, (params.get("logits") or "").strip()
    if text:
        parsed, problem = parse_logits(text)
        if problem is not None:
            errors["logits"] = problem
        else:
            assert parsed is not None
            logits = parsed
            labels = tuple(f"#{i}" for i in range(len(parsed)))
    n = len(logits)

    temperature = _number(params.get("temperature"), DEFAULT_TEMPERATURE)
    if temperature is None or not 0.0 <= temperature <= MAX_TEMPERATURE:
        errors["temperature"] = (
            f"Temperature must be a number from 0 to {MAX_TEMPERATURE:g} (0 means greedy)."
        )
        temperature = DEFAULT_TEMPERATURE

    top_k_raw = _number(params.get("top_k"), float(n))
    if top_k_raw is None or not top_k_raw.is_integer() or not 1 <= top_k_raw <= n:
        errors["top_k"] = f"Top-k must be a whole number from 1 to {n} (the number of tokens)."
        top_k_raw = float(n)

    top_p = _number(params.get("top_p"), 1.0)
    if top_p is None or not 0.0 <= top_p <= 1.0:
        errors["top_p"] = "Top-p must be a number from 0 to 1 (1 keeps every token)."
        top_p = 1.0

    return Settings(
        logits=logits,
        labels=labels,
        temperature=float(temperature),
        top_k=int(top_k_raw),
        top_p=float(top_p),
        logits_text=text,
        errors=errors,
    )


# --- The server-rendered chart -----------------------------------------------------------

CHART_HEIGHT = 260
PLOT_TOP, PLOT_BOTTOM = 24, 190
BAR_STEP = 48


@dataclass(frozen=True)
class Bar:
    label: str
    logit: float
    probability: float
    kept: bool
    x: float
    y: float
    width: float
    height: float
    centre: float
    value_y: float  # where the probability is written, above the bar
    label_y: float  # where the token is written, below the axis


def bars(settings: Settings) -> tuple[list[Bar], int]:
    """Bars of the SVG chart (same geometry as ``sampling.js``) and the chart's width."""
    probs, kept = distribution(
        settings.logits, settings.temperature, settings.top_k, settings.top_p
    )
    span = PLOT_BOTTOM - PLOT_TOP
    out = []
    for i, (label, logit) in enumerate(zip(settings.labels, settings.logits, strict=True)):
        height = round(float(probs[i]) * span, 2)
        x = i * BAR_STEP + 8
        out.append(
            Bar(
                label=label,
                logit=logit,
                probability=float(probs[i]),
                kept=bool(kept[i]),
                x=x,
                y=round(PLOT_BOTTOM - height, 2),
                width=BAR_STEP - 16,
                height=height,
                centre=x + (BAR_STEP - 16) / 2,
                value_y=round(PLOT_BOTTOM - height - 6, 2),
                label_y=PLOT_BOTTOM + 16,
            )
        )
    return out, len(out) * BAR_STEP
