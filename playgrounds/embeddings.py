"""The embedding explorer's corpus, model, projections and input handling (chapter 2.7).

The project trains its own small embedding on a corpus it ships
(``playgrounds/data/embeddings_corpus.txt``, about 10,000 words on the book's topics): a
word-level skip-gram model, word2vec's, built from the same two pieces as the book's GPT: a
token embedding ``nn.Embedding(vocab_size, dim)`` and an output layer ``nn.Linear(dim,
vocab_size)`` scoring every vocabulary word, with no transformer blocks between them. It is
trained to predict the words within ``WINDOW`` positions of each word, rather than the next
word only: on a corpus this small a tiny GPT's token embeddings stay close to noise, while
skip-gram groups related words clearly (query, key and value; top-k, top-p and
temperature). Everything is seeded, so the same settings always give the same picture.

The worker computation (``playgrounds/computations/embeddings.py``) calls :func:`explore`;
the page (``static/js/embeddings.js``) draws its result and answers similar-word lookups
from the precomputed neighbours. torch is imported inside the functions that need it.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

CORPUS_PATH = Path(__file__).resolve().parent / "data" / "embeddings_corpus.txt"
# Bumped when the computation changes, so stored results of the old one are not reused.
VERSION = 1
SEED = 123  # the book's seed
DIMENSIONS = (16, 32, 64)
DEFAULT_DIM = 32
MIN_EPOCHS, MAX_EPOCHS, DEFAULT_EPOCHS = 1, 30, 10
PROJECTIONS = {"pca": "PCA", "tsne": "t-SNE"}
DEFAULT_PROJECTION = "pca"
WINDOW = 4  # context words on each side
MIN_COUNT = 2  # rarer words share the <|unk|> token (and are not trained on)
PLOTTED = 300  # the most frequent content words are plotted and can be looked up
NEIGHBOURS = 10
MAX_WORD_CHARS = 40
CENTRES_PER_BATCH = 16  # centre words per optimizer step (with all their context pairs)
LEARNING_RATE = 0.03
# Frequent words are kept with probability sqrt(t / f) + t / f (word2vec's subsampling), so
# "the" and "and" do not dominate the pairs; t is the frequency threshold.
SUBSAMPLE_T = 1e-3
TSNE_PERPLEXITY = 30.0
TSNE_ITERATIONS = 500
TSNE_EXAGGERATED = 200  # first iterations with early exaggeration
UNK = "<|unk|>"

# Function words: trained on like every word, but left out of the plot and the lookup,
# where they would crowd the picture (they sit next to every word). Single letters too.
FUNCTION_WORDS = frozenset(
    """the a an and or nor of to in on at by for with from as into onto over under up out off
    is are was were be been being am it its it's this that these those there their theirs
    then than so such but not no yes can cannot could would should will shall may might
    must do does did done doing has have had having i you we they he she his her hers him
    our ours your yours us them me my mine what which who whom whose how why when where
    while if also only just about each every all any some more most other another one two
    three very too here both either neither own same again once until because through
    during before after above below between s""".split()
)

_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-_'][a-z0-9]+)*")

Progress = Callable[[float, str], None]


def tokenize(text: str) -> list[str]:
    """Lower-cased words: letters, digits and inner hyphens or apostrophes ("top-k",
    "gpt-2", "model's" → "model"); numbers and punctuation are dropped."""
    text = text.lower().replace("\u2019", "'")
    return [word.removesuffix("'s") for word in _WORD.findall(text)]


@dataclass(frozen=True)
class Corpus:
    words: tuple[str, ...]  # the vocabulary, most frequent first, then <|unk|>
    counts: tuple[int, ...]
    ids: np.ndarray  # the corpus as token ids
    plotted: tuple[int, ...]  # ids of the PLOTTED most frequent content words
    rare: tuple[tuple[str, int], ...]  # (word, count) seen < MIN_COUNT times: <|unk|>
    fingerprint: str  # sha256 of the corpus file (part of every run's parameters)

    @property
    def unk_id(self) -> int:
        return len(self.words) - 1


def is_content_word(word: str) -> bool:
    return len(word) > 1 and word not in FUNCTION_WORDS


def build_corpus(text: str) -> Corpus:
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    tokens = tokenize("\n".join(lines))
    counted = collections.Counter(tokens)
    # Most frequent first; ties alphabetically, so the ids never depend on dict order.
    ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    kept = [(word, count) for word, count in ranked if count >= MIN_COUNT]
    rare = sum(count for _, count in ranked if count < MIN_COUNT)
    words = tuple(word for word, _ in kept) + (UNK,)
    counts = tuple(count for _, count in kept) + (rare,)
    index = {word: i for i, word in enumerate(words)}
    ids = np.array([index.get(token, len(words) - 1) for token in tokens], dtype=np.int64)
    plotted = [i for i, word in enumerate(words[:-1]) if is_content_word(word)]
    return Corpus(
        words=words,
        counts=counts,
        ids=ids,
        plotted=tuple(plotted[:PLOTTED]),
        rare=tuple(item for item in ranked if item[1] < MIN_COUNT),
        fingerprint=hashlib.sha256(text.encode()).hexdigest(),
    )


@functools.cache
def corpus() -> Corpus:
    return build_corpus(CORPUS_PATH.read_text(encoding="utf-8"))


# --- Settings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    dim: int = DEFAULT_DIM
    epochs: int = DEFAULT_EPOCHS
    projection: str = DEFAULT_PROJECTION
    trained: bool = True
    word: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, Any]:
        """The worker computation's parameters (also the key of stored, shared results):
        an untrained embedding does not depend on the number of epochs."""
        return {
            "dim": self.dim,
            "epochs": self.epochs if self.trained else 0,
            "projection": self.projection,
            "trained": self.trained,
            "corpus": corpus().fingerprint[:16],
            "version": VERSION,
        }


def _whole(raw: str | None, default: int) -> int | None:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() else None


def parse(params: Mapping[str, str]) -> Settings:
    """Settings from GET or POST parameters; each invalid field keeps its default and gets
    a message under its name in ``errors``."""
    errors: dict[str, str] = {}
    choices = ", ".join(str(d) for d in DIMENSIONS)

    dim = _whole(params.get("dim"), DEFAULT_DIM)
    if dim is None or dim not in DIMENSIONS:
        errors["dim"] = f"The embedding dimension must be one of {choices}."
        dim = DEFAULT_DIM

    epochs = _whole(params.get("epochs"), DEFAULT_EPOCHS)
    if epochs is None or not MIN_EPOCHS <= epochs <= MAX_EPOCHS:
        errors["epochs"] = f"Epochs must be a whole number from {MIN_EPOCHS} to {MAX_EPOCHS}."
        epochs = DEFAULT_EPOCHS

    projection = (params.get("projection") or DEFAULT_PROJECTION).strip().lower()
    if projection not in PROJECTIONS:
        errors["projection"] = "The projection must be PCA or t-SNE."
        projection = DEFAULT_PROJECTION

    trained_raw = (params.get("trained") or "yes").strip().lower()
    if trained_raw not in ("yes", "no"):
        errors["trained"] = "Choose the trained or the untrained (random) embedding."
        trained_raw = "yes"

    word = params.get("word") or ""
    if len(word) > MAX_WORD_CHARS:
        errors["word"] = f"Type one word of at most {MAX_WORD_CHARS} characters."
        word = ""
    return Settings(
        dim=dim,
        epochs=epochs,
        projection=projection,
        trained=trained_raw == "yes",
        word=word.strip(),
        errors=errors,
    )


# --- Training -----------------------------------------------------------------------------


def skipgram_pairs(ids: np.ndarray, unk_id: int, rng: np.random.Generator) -> np.ndarray:
    """(centre, context) id pairs of one epoch, shape (n, 2): every word with each word
    up to WINDOW positions away, after subsampling frequent words; <|unk|> is skipped."""
    frequency = np.bincount(ids, minlength=unk_id + 1) / len(ids)
    ratio = SUBSAMPLE_T / np.maximum(frequency, 1e-12)
    keep = rng.random(len(ids)) < np.minimum(1.0, np.sqrt(ratio) + ratio)[ids]
    kept = ids[keep]
    centres, contexts = [], []
    for offset in range(1, WINDOW + 1):
        centres += [kept[:-offset], kept[offset:]]
        contexts += [kept[offset:], kept[:-offset]]
    pairs = np.stack([np.concatenate(centres), np.concatenate(contexts)], axis=1)
    pairs = pairs[(pairs != unk_id).all(axis=1)]
    return pairs[rng.permutation(len(pairs))]


def cooccurrences(pairs: np.ndarray, vocab_size: int) -> np.ndarray:
    """How often each (centre, context) pair occurs: a (vocab_size, vocab_size) matrix."""
    flat = np.bincount(pairs[:, 0] * vocab_size + pairs[:, 1], minlength=vocab_size**2)
    return flat.reshape(vocab_size, vocab_size).astype(np.float32)


def train(
    data: Corpus, *, dim: int, epochs: int, progress: Progress | None = None
) -> tuple[np.ndarray, list[float]]:
    """The skip-gram model's token embedding after ``epochs`` epochs (0: as initialised,
    the "untrained" picture) and the mean cross-entropy over each epoch's pairs: before
    training, then after each epoch.

    Pairs that share a centre word are batched together (their context counts are the
    soft targets), which is the same loss as one pair at a time but makes an epoch one pass
    over the vocabulary rather than over 50,000 pairs: under a second for 10 epochs.
    """
    import torch

    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    vocab_size = len(data.words)
    embedding = torch.nn.Embedding(vocab_size, dim)  # initialised N(0, 1), as in the book
    out_head = torch.nn.Linear(dim, vocab_size)
    parameters = [*embedding.parameters(), *out_head.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=LEARNING_RATE)

    def mean_loss(centres: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        log_probs = torch.log_softmax(out_head(embedding(centres)), dim=-1)
        return -(counts * log_probs).sum() / counts.sum()

    counts = torch.from_numpy(cooccurrences(skipgram_pairs(data.ids, data.unk_id, rng), vocab_size))
    with torch.no_grad():
        losses = [mean_loss(torch.arange(vocab_size), counts).item()]
    for epoch in range(1, epochs + 1):
        if epoch > 1:
            pairs = skipgram_pairs(data.ids, data.unk_id, rng)
            counts = torch.from_numpy(cooccurrences(pairs, vocab_size))
        used = np.flatnonzero(counts.sum(dim=1).numpy())
        order = torch.from_numpy(rng.permutation(used))
        total = 0.0
        for start in range(0, len(order), CENTRES_PER_BATCH):
            centres = order[start : start + CENTRES_PER_BATCH]
            batch = counts[centres]
            loss = mean_loss(centres, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * batch.sum().item()
        losses.append(total / counts.sum().item())
        if progress is not None:
            progress(epoch / epochs, f"Training: epoch {epoch}/{epochs}, loss {losses[-1]:.2f}")
    return embedding.weight.detach().numpy().astype(np.float64), losses


# --- Geometry -----------------------------------------------------------------------------


def unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def pca(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(coordinates, variance_ratio)``: the rows of ``x`` projected on its first two
    principal axes (numpy SVD of the centred data), and the fraction of the total variance
    along each. Signs are fixed (each axis's largest loading is positive), so the picture
    does not flip between runs."""
    centred = x - x.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    axes = axes[:2]
    signs = np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])
    axes = axes * signs[:, None]
    variance = singular**2
    return centred @ axes.T, variance[:2] / variance.sum()


def _affinities(x: np.ndarray, perplexity: float) -> np.ndarray:
    """Symmetric t-SNE input affinities P: per point, a Gaussian over the others whose
    width is found by bisection so its perplexity matches ``perplexity``."""
    n = len(x)
    squared = np.square(x).sum(axis=1)
    distances = np.maximum(squared[:, None] + squared[None, :] - 2 * x @ x.T, 0.0)
    np.fill_diagonal(distances, np.inf)
    target = math.log(perplexity)
    beta = np.ones(n)
    low, high = np.zeros(n), np.full(n, np.inf)
    shifted = distances - distances.min(axis=1, keepdims=True)
    finite = np.where(np.isinf(shifted), 0.0, shifted)
    for _ in range(64):
        weights = np.exp(-shifted * beta[:, None])  # 0 on the diagonal (distance inf)
        total = weights.sum(axis=1)
        conditional = weights / total[:, None]
        entropy = np.log(total) + beta * (conditional * finite).sum(axis=1)
        too_flat = entropy > target  # too wide: raise beta
        low = np.where(too_flat, beta, low)
        high = np.where(too_flat, high, beta)
        beta = np.where(np.isinf(high), beta * 2, (low + high) / 2)
        if np.abs(entropy - target).max() < 1e-5:
            break
    joint = (conditional + conditional.T) / (2 * n)
    return np.maximum(joint, 1e-12)


def tsne(
    x: np.ndarray,
    *,
    perplexity: float = TSNE_PERPLEXITY,
    iterations: int = TSNE_ITERATIONS,
    progress: Progress | None = None,
) -> np.ndarray:
    """Exact t-SNE (van der Maaten & Hinton, 2008) in numpy: 2-D points whose Student-t
    neighbourhoods match the Gaussian neighbourhoods of ``x``'s rows. Started from the PCA
    picture, so it is deterministic; early exaggeration, momentum and adaptive gains as in
    the reference implementation."""
    n = len(x)
    p = _affinities(x, min(perplexity, (n - 1) / 3))
    y, _ = pca(x)
    y = y / y[:, 0].std() * 1e-4
    update, gains = np.zeros_like(y), np.ones_like(y)
    learning_rate = 50.0
    for iteration in range(1, iterations + 1):
        exaggeration = 12.0 if iteration <= TSNE_EXAGGERATED else 1.0
        momentum = 0.5 if iteration <= TSNE_EXAGGERATED else 0.8
        squared = np.square(y).sum(axis=1)
        kernel = 1.0 / (1.0 + squared[:, None] + squared[None, :] - 2 * y @ y.T)
        np.fill_diagonal(kernel, 0.0)
        q = np.maximum(kernel / kernel.sum(), 1e-12)
        force = (exaggeration * p - q) * kernel
        gradient = 4.0 * (force.sum(axis=1)[:, None] * y - force @ y)
        turned = update * gradient < 0  # the step reverses: speed up along it
        gains = np.maximum(np.where(turned, gains + 0.2, gains * 0.8), 0.01)
        update = momentum * update - learning_rate * gains * gradient
        y = y + update
        y = y - y.mean(axis=0)
        if progress is not None and iteration % 25 == 0:
            progress(iteration / iterations, f"Projecting with t-SNE: {iteration}/{iterations}")
    return y


def nearest(unit: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, similarities)``, each (n, k): every row's k most cosine-similar other
    rows of ``unit`` (rows of length one), most similar first."""
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    order = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(similarity, order, axis=1)


# --- The computation ----------------------------------------------------------------------


def explore(params: Mapping[str, Any], progress: Progress | None = None) -> dict[str, Any]:
    """Train (or only initialise) the embedding, project the plotted words to 2-D and find
    their nearest neighbours: the result the page draws (about 55 kB of JSON)."""
    data = corpus()
    dim, epochs = int(params["dim"]), int(params["epochs"])
    trained, projection = bool(params["trained"]), str(params["projection"])
    weights, losses = train(
        data,
        dim=dim,
        epochs=epochs if trained else 0,
        progress=_scaled(progress, 0.0, 0.6 if projection == "tsne" else 1.0),
    )
    unit = unit_rows(weights[list(data.plotted)])
    variance: list[float] | None = None
    if projection == "tsne":
        coordinates = tsne(unit, progress=_scaled(progress, 0.6, 1.0))
    else:
        coordinates, ratio = pca(unit)
        variance = [round(float(v), 4) for v in ratio]
    order, similarity = nearest(unit)
    plotted = set(data.plotted)
    words = data.words[:-1]
    return {
        "dim": dim,
        "epochs": epochs if trained else 0,
        "trained": trained,
        "projection": projection,
        "tokens": [words[i] for i in data.plotted],
        "counts": [data.counts[i] for i in data.plotted],
        "x": [round(float(v), 4) for v in coordinates[:, 0]],
        "y": [round(float(v), 4) for v in coordinates[:, 1]],
        "variance": variance,
        "neighbours": order.tolist(),
        "similarities": np.round(similarity, 3).tolist(),
        "losses": [round(loss, 4) for loss in losses],
        "uniform_loss": round(math.log(len(data.words)), 4),
        "corpus": {"words": int(len(data.ids)), "vocabulary": len(data.words)},
        # For the lookup's messages: why a word typed is not in the plot.
        "function_words": sorted(w for w in words if not is_content_word(w)),
        "rarer_words": {
            **{w: data.counts[i] for i, w in enumerate(words) if i not in plotted},
            **dict(data.rare),
        },
    }


def _scaled(progress: Progress | None, start: float, end: float) -> Progress | None:
    if progress is None:
        return None

    def report(fraction: float, stage: str) -> None:
        progress(start + (end - start) * fraction, stage)

    return report
