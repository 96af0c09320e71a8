"""The 50 flashcards' questions and answers: complete, concise, and agreeing with the book.

Numbers on the cards are recomputed here from the model configuration rather than copied,
so a typo on a card cannot hide behind the same typo in a test."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml

from curriculum import content as curriculum_content
from curriculum.models import Card

ANSWERS = Path(__file__).resolve().parents[2] / "curriculum" / "content" / "card_answers.yaml"
GPT_124M = {"vocab": 50257, "context": 1024, "emb": 768, "heads": 12, "layers": 12}


@pytest.fixture(scope="module")
def answers() -> dict[int, dict[str, str]]:
    rows = yaml.safe_load(ANSWERS.read_text(encoding="utf-8"))
    return {row["number"]: row for row in rows}


def _back(answers: dict[int, dict[str, str]], number: int) -> str:
    return answers[number]["back"]


def _n(value: int) -> str:
    return f"{value:,}"


def test_it_answers_each_of_the_50_cards_once(answers: dict[int, dict[str, str]]) -> None:
    rows = yaml.safe_load(ANSWERS.read_text(encoding="utf-8"))
    assert sorted(row["number"] for row in rows) == list(range(1, 51))
    assert all(set(row) == {"number", "front", "back"} for row in rows)


def test_it_asks_a_question_and_answers_concisely(answers: dict[int, dict[str, str]]) -> None:
    for number, row in answers.items():
        assert row["front"].strip().endswith("?"), number
        assert 60 <= len(row["back"]) <= 600, (number, len(row["back"]))
        assert row["back"].count("`") % 2 == 0, f"card {number}: unbalanced code quotes"


def test_it_passes_the_curriculum_validator() -> None:
    result = curriculum_content.read()
    assert [p for p in result.problems if p.level == "error"] == []
    assert all(card.front and card.back for card in result.cards)


def test_it_states_gpt2_parameter_counts_the_book_computes(
    answers: dict[int, dict[str, str]],
) -> None:
    v, c, d, layers = GPT_124M["vocab"], GPT_124M["context"], GPT_124M["emb"], GPT_124M["layers"]
    attention = 3 * d * d + d * d + d  # Q, K, V without bias; out_proj with bias
    ffn = d * 4 * d + 4 * d + 4 * d * d + d
    norms = 2 * d
    block = attention + ffn + 2 * norms
    head = v * d
    total = v * d + c * d + layers * block + norms + head
    assert (attention, ffn, head, total) == (2_360_064, 4_722_432, 38_597_376, 163_009_536)
    back = _back(answers, 19)
    for number in (total, head, total - head):
        assert _n(number) in back
    assert f"{total * 4 / 1024**2:.2f} MB" in back
    assert _n(ffn) in _back(answers, 18) and _n(attention) in _back(answers, 18)
    with_qkv_bias = total + layers * 3 * d
    assert _n(with_qkv_bias) in _back(answers, 50)
    assert f"{head / 1e6:.1f} million" in _back(answers, 48)


def test_it_agrees_with_the_books_tokenizer_facts(answers: dict[int, dict[str, str]]) -> None:
    assert "50,257" in _back(answers, 2) and "50,257" in _back(answers, 48)
    assert 256 + 50_000 + 1 == 50_257 and "50256" in _back(answers, 48)
    assert "50256" in _back(answers, 3) and 'allowed_special={"<|endoftext|>"}' in _back(answers, 3)
    assert r"""([,.:;?_!"()\']|--|\s)""" in _back(answers, 1)
    assert "ids[i+1:i+max_length+1]" in _back(answers, 4)
    assert "max_length=256, stride=128" in _back(answers, 4)


def test_it_agrees_with_the_books_architecture_facts(answers: dict[int, dict[str, str]]) -> None:
    assert "1e-5" in _back(answers, 14) and "unbiased=False" in _back(answers, 14)
    assert "0.044715" in _back(answers, 15) and "√(2/π)" in _back(answers, 15)
    assert "torch.triu(torch.ones(context_length, context_length), diagonal=1)" in _back(
        answers, 10
    )
    assert "-inf" in _back(answers, 10)
    assert "head_dim = d_out // num_heads" in _back(answers, 13)
    assert f"{GPT_124M['emb']} / {GPT_124M['heads']} = 64" in _back(answers, 13)
    assert "bias=False" in _back(answers, 20) and "final_norm" in _back(answers, 20)


def test_it_agrees_with_the_books_training_and_sampling_facts(
    answers: dict[int, dict[str, str]],
) -> None:
    assert "logits.flatten(0, 1), target_batch.flatten()" in _back(answers, 25)
    assert f"{math.log(50257):.1f}" in _back(answers, 25)  # ln(50,257) ≈ 10.8
    assert f"{-math.log(0.25):.3f}" in _back(answers, 25)
    assert f"{math.exp(-math.log(0.25)):.0f}" in _back(answers, 43)
    assert "lr=0.0004, weight_decay=0.1" in _back(answers, 28)
    assert "weights_only=True" in _back(answers, 29) and "optimizer_state_dict" in _back(
        answers, 29
    )
    t1 = math.exp(2) / (math.exp(2) + math.exp(1))
    t05 = math.exp(4) / (math.exp(4) + math.exp(2))
    assert f"[{t1:.2f}, {1 - t1:.2f}]" in _back(answers, 22)
    assert f"[{t05:.2f}, {1 - t05:.2f}]" in _back(answers, 22)
    kept = [0.5, 0.3, 0.15]
    renormalised = ", ".join(f"{p / sum(kept):.3f}" for p in kept)
    assert f"[{renormalised}]" in _back(answers, 24)


def test_it_agrees_with_the_books_fine_tuning_facts(answers: dict[int, dict[str, str]]) -> None:
    alpaca = (
        '"Below is an instruction that describes a task. Write a response that appropriately '
        'completes the request."'
    )
    assert alpaca in re.sub(r"\s+", " ", _back(answers, 34))
    assert r"\n\n### Instruction:\n" in _back(answers, 34)
    assert r"\n\n### Response:\n" in _back(answers, 34)
    assert "935 train, 110 test, 55 validation" in _back(answers, 33)
    assert "lr=5e-5, weight_decay=0.1" in _back(answers, 33)
    assert "except the first with -100" in _back(answers, 35)
    assert "logits[:, -1, :]" in _back(answers, 31) and "ham 0, spam 1" in _back(answers, 31)
    assert "trf_blocks[-1]" in _back(answers, 32) and "final_norm" in _back(answers, 32)
    assert "95–96 %" in _back(answers, 36)


def test_it_loads_every_answer_into_the_cards(content: None) -> None:
    cards = list(Card.objects.current())
    assert len(cards) == 50
    assert all(card.front.endswith("?") and card.back for card in cards)
    assert all(
        card.challenges.exists() for card in cards
    )  # every card is some challenge's key card
