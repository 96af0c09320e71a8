"""A small deck for flashcard tests that do not need the whole curriculum: two tiers,
three challenges with key cards, made through the ORM (the `content` fixture loads the real
50 cards where a test needs them)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from curriculum.models import Card, Challenge, Tier


@dataclass
class Deck:
    challenges: list[Challenge]
    cards: dict[int, Card]


def make_deck() -> Deck:
    foundation = Tier.objects.create(
        slug="foundation", number=1, title="Foundation", chapters="Ch 2", focus="Text"
    )
    intermediate = Tier.objects.create(
        slug="intermediate", number=2, title="Intermediate", chapters="Ch 3", focus="Attention"
    )
    layout = [
        ("tokenizer", 1, foundation, 100, [1, 2, 3, 48]),
        ("embeddings", 2, foundation, 80, [5, 6, 49]),
        ("self-attention", 4, intermediate, 150, [7, 8, 9, 38, 39]),
    ]
    cards: dict[int, Card] = {}
    challenges = []
    for slug, number, tier, xp, numbers in layout:
        challenge = Challenge.objects.create(
            slug=slug,
            number=number,
            tier=tier,
            title=slug.replace("-", " ").title(),
            goal="Build it",
            hours_min=2,
            hours_max=3,
            xp=xp,
        )
        for n in numbers:
            cards[n] = Card.objects.create(
                number=n,
                title=f"Topic {n}",
                concept="tokenization" if tier == foundation else "attention",
                tier=tier,
                front=f"Question {n}?",
                back=f"Answer {n} with `code`.",
            )
        challenge.cards.set([cards[n] for n in numbers])
        challenges.append(challenge)
    return Deck(challenges=challenges, cards=cards)


@pytest.fixture
def deck(db: None) -> Deck:
    return make_deck()
