"""The playgrounds the site offers and the challenges each one illustrates.

The /play/ index lists them; a challenge page links the ones whose ``challenges`` name it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Playground:
    url_name: str
    title: str
    chapter: str
    blurb: str
    challenges: tuple[str, ...]


PLAYGROUNDS: tuple[Playground, ...] = (
    Playground(
        url_name="playgrounds:tokenizer",
        title="Tokenizer playground",
        chapter="2.2–2.5",
        blurb="Type any text and watch GPT-2's byte pair encoding split it into tokens next "
        "to the book's SimpleTokenizerV2: ids, special tokens, unknown words, emoji split "
        "into bytes, and the round trip.",
        challenges=("tokenizer", "data-pipeline"),
    ),
    Playground(
        url_name="playgrounds:embeddings",
        title="Embedding explorer",
        chapter="2.7–2.8",
        blurb="Train a small word embedding on text about LLMs, see its 300 most frequent "
        "words on a 2-D map (PCA or t-SNE), look up any word's nearest neighbours, and "
        "compare with the untrained, random embedding.",
        challenges=("embeddings", "data-pipeline"),
    ),
    Playground(
        url_name="playgrounds:attention",
        title="Attention explorer",
        chapter="3.3–3.6",
        blurb="Every layer's and head's attention weights for your sentence as heat maps, "
        "with the causal mask and dropout switched on and off, and your own "
        "MultiHeadAttention beside the reference.",
        challenges=("self-attention", "causal-attention", "multi-head-attention"),
    ),
    Playground(
        url_name="playgrounds:sampling",
        title="Sampling explorer",
        chapter="5.3",
        blurb="Move temperature, top-k and top-p and watch the next-token distribution "
        "that generate samples from change shape.",
        challenges=("text-generation", "sampling"),
    ),
)


def for_challenge(slug: str) -> list[Playground]:
    return [playground for playground in PLAYGROUNDS if slug in playground.challenges]
