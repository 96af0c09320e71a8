"""The fine-tuning challenges: ``classification-finetune`` (chapter 6) and
``instruction-finetune`` (chapter 7), and the small data sets the project ships for them.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grading.challenges.base import Check
from grading.challenges.instruction_finetune import collate, format_input
from grading.fixtures import instructions, sms_spam
from tests.grading.chapter5_7_support import (
    SOLUTIONS,
    all_checks,
    assert_judges_survive_junk,
    assert_randomised_plain_probes,
    assert_starter_fails_helpfully,
    assert_video_and_card,
    failures,
    fixtures,
    probe_seconds,
    report,
)

SLUGS = ("classification-finetune", "instruction-finetune")
SEEDS = (0, 1, 2)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("slug", "filename"), fixtures(SLUGS, "book") + fixtures(SLUGS, "variant_")
)
def test_it_passes_the_book_code_and_equivalent_variants(
    slug: str, filename: str, seed: int
) -> None:
    assert failures(report(slug, filename, seed)) == {}


@pytest.mark.parametrize("slug", SLUGS)
def test_it_has_enough_fixtures(slug: str) -> None:
    assert len(list((SOLUTIONS / slug).glob("variant_*.py"))) >= 3
    assert len(list((SOLUTIONS / slug).glob("mistake_*.py"))) >= 3


MISTAKES = [
    (
        "classification-finetune",
        "mistake_pad_zero",
        "spam_dataset_pads_to_longest",
        "pad_token_id=50256",
    ),
    (
        "classification-finetune",
        "mistake_no_truncation",
        "spam_dataset_truncates",
        "truncate to ids[:max_length]",
    ),
    (
        "classification-finetune",
        "mistake_no_freeze",
        "classification_head_trainable",
        "requires_grad = False",
    ),
    (
        "classification-finetune",
        "mistake_final_norm_frozen",
        "classification_head_trainable",
        "final_norm",
    ),
    ("classification-finetune", "mistake_first_token", "last_token_loss", "first token"),
    ("classification-finetune", "mistake_first_token", "accuracy_loader", "first token"),
    (
        "classification-finetune",
        "mistake_accuracy_per_batch",
        "accuracy_loader",
        "number of batches",
    ),
    ("classification-finetune", "mistake_labels_swapped", "classify_review_labels", "swaps"),
    ("instruction-finetune", "mistake_input_always", "format_input_template", "left out"),
    ("instruction-finetune", "mistake_single_newline", "format_input_template", "blank line"),
    (
        "instruction-finetune",
        "mistake_response_missing",
        "instruction_dataset_encoding",
        "response is missing",
    ),
    (
        "instruction-finetune",
        "mistake_mask_every_pad",
        "collate_masks_padding",
        "first padding token",
    ),
    ("instruction-finetune", "mistake_no_mask", "collate_masks_padding", "ignore_index"),
    (
        "instruction-finetune",
        "mistake_ignores_allowed_max_length",
        "collate_allowed_max_length",
        "ignored",
    ),
    ("instruction-finetune", "mistake_no_strip", "extract_response", "strip()"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("slug", "fixture", "check", "keyword"), MISTAKES)
def test_it_fails_a_real_mistake_with_a_message_that_names_it(
    slug: str, fixture: str, check: str, keyword: str, seed: int
) -> None:
    outcome = report(slug, f"{fixture}.py", seed)[check]
    assert outcome.status != "pass"
    assert keyword in outcome.message, outcome.message


def test_it_lists_every_mistake_fixture_in_the_table() -> None:
    listed = {(slug, f"{fixture}.py") for slug, fixture, _, _ in MISTAKES}
    assert set(fixtures(SLUGS, "mistake_")) == listed


@pytest.mark.parametrize(("slug", "filename"), fixtures(SLUGS, "mistake_"))
def test_it_leaves_unrelated_checks_alone(slug: str, filename: str) -> None:
    outcomes = report(slug, filename, 0)
    assert 0 < len(failures(outcomes)) < len(outcomes)


@pytest.mark.parametrize("slug", SLUGS)
def test_it_fails_every_check_of_the_starter_with_a_message(slug: str, tmp_path: Path) -> None:
    assert_starter_fails_helpfully(slug, tmp_path)


@pytest.mark.parametrize(("slug", "check"), all_checks(SLUGS), ids=lambda v: getattr(v, "name", v))
def test_it_randomises_the_probes_and_sends_plain_data(slug: str, check: Check) -> None:
    assert_randomised_plain_probes(check)
    assert_video_and_card(check)


@pytest.mark.parametrize("slug", SLUGS)
def test_it_never_crashes_on_malformed_sandbox_results(slug: str) -> None:
    assert_judges_survive_junk(slug)


@pytest.mark.parametrize("slug", SLUGS)
def test_it_keeps_the_probe_compute_small(slug: str, tmp_path: Path) -> None:
    # Measured in-process with one torch thread: about 0.3 s and under 0.1 s.
    assert probe_seconds(slug, tmp_path) < 2.0


# --- References ---------------------------------------------------------------------------------


def test_it_formats_the_books_example_prompt() -> None:
    entry = {
        "instruction": "Identify the correct spelling of the following word.",
        "input": "Ocassion",
        "output": "The correct spelling is 'Occasion.'",
    }
    assert format_input(entry) == (
        "Below is an instruction that describes a task. Write a response that appropriately "
        "completes the request.\n\n### Instruction:\nIdentify the correct spelling of the "
        "following word.\n\n### Input:\nOcassion"
    )
    assert "### Input" not in format_input({**entry, "input": ""})


def test_it_collates_the_books_example_batch() -> None:
    inputs, targets = collate([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]])
    assert inputs.tolist() == [
        [0, 1, 2, 3, 4],
        [5, 6, 50256, 50256, 50256],
        [7, 8, 9, 50256, 50256],
    ]
    assert targets.tolist() == [
        [1, 2, 3, 4, 50256],
        [6, 50256, -100, -100, -100],
        [8, 9, 50256, -100, -100],
    ]
    short_inputs, short_targets = collate([[0, 1, 2, 3, 4], [5, 6]], allowed_max_length=3)
    assert short_inputs.shape == short_targets.shape == (2, 3)


# --- The shipped data sets ------------------------------------------------------------------------


def test_it_ships_the_generated_sms_collection_in_the_books_format() -> None:
    text = sms_spam.TSV_PATH.read_text(encoding="utf-8")
    assert text == sms_spam.tsv_text(sms_spam.messages())
    frame = pd.read_csv(io.StringIO(text), sep="\t", header=None, names=["Label", "Text"])
    assert set(frame["Label"]) == {"ham", "spam"}
    assert len(frame) == 400 and frame["Text"].is_unique
    counts = frame["Label"].value_counts()
    assert counts["ham"] == 320 and counts["spam"] == 80


def test_it_writes_the_books_train_csv_shape() -> None:
    rows = sms_spam.messages(3, n_ham=4, n_spam=2)
    frame = pd.read_csv(io.StringIO(sms_spam.csv_text(rows)))
    assert list(frame.columns) == ["Label", "Text"]
    assert sorted(frame["Label"].tolist()) == [0, 0, 0, 0, 1, 1]
    assert frame["Text"].tolist() == [t for _, t in rows]


def test_it_ships_the_generated_instruction_set_in_the_books_format() -> None:
    data = json.loads(instructions.JSON_PATH.read_text(encoding="utf-8"))
    assert data == instructions.entries()
    assert len(data) == 220
    assert all(set(e) == {"instruction", "input", "output"} for e in data)
    empty = sum(1 for e in data if not e["input"])
    assert 0.2 < empty / len(data) < 0.6
    assert np.mean([len(e["output"]) for e in data]) > 10
