"""The data-pipeline challenge: GPTDatasetV1 windows and create_dataloader_v1 batches.

Fixtures: tests/grading/solutions/data-pipeline/ (see tests/grading/challenge_suite.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.challenges.base import Check
from grading.sandbox import probes
from tests.grading import challenge_suite as suite

SLUG = "data-pipeline"
STARTER = "data_pipeline.py"
STARTER_MAY_PASS: frozenset[str] = frozenset({"loader_defaults"})
FIXED_PROBES: frozenset[str] = frozenset({"loader_defaults"})
MANY_RUNS = 30

# (fixture, the check that must fail, a keyword its message must contain)
MISTAKES = [
    ("mistake_targets_not_shifted", "dataset_windows", "shifted by one token"),
    ("mistake_targets_not_shifted", "loader_batches_in_order", "targets equal the inputs"),
    ("mistake_one_window_too_many", "dataset_windows", "one window too many"),
    ("mistake_one_window_too_many", "dataset_counts_for_strides", "one window too many"),
    ("mistake_stride_ignored", "dataset_windows", "step by stride"),
    ("mistake_stride_ignored", "dataset_counts_for_strides", "step by stride"),
    ("mistake_no_allowed_special", "dataset_allows_endoftext", "allowed_special"),
    ("mistake_shuffle_always", "loader_batches_in_order", "shuffle=shuffle"),
    ("mistake_drop_last_ignored", "loader_batches_in_order", "drop_last=drop_last"),
    ("mistake_default_stride", "loader_defaults", "stride defaults to 256"),
]


@pytest.mark.parametrize("seed", suite.SEEDS)
@pytest.mark.parametrize("filename", ["book.py", *suite.fixtures(SLUG, "variant_")])
def test_it_passes_the_book_code_and_equivalent_variants(filename: str, seed: int) -> None:
    assert suite.failures(suite.report(SLUG, filename, seed)) == {}


def test_it_has_enough_fixtures() -> None:
    suite.assert_enough_fixtures(SLUG)


def test_it_passes_the_book_code_over_many_random_runs() -> None:
    # The checks are randomised per run; a correct solution must never be unlucky.
    suite.assert_passes_many_runs(SLUG, range(100, 100 + MANY_RUNS))


@pytest.mark.parametrize("seed", suite.SEEDS)
@pytest.mark.parametrize(("fixture", "check", "keyword"), MISTAKES)
def test_it_fails_a_real_mistake_with_a_message_that_names_it(
    fixture: str, check: str, keyword: str, seed: int
) -> None:
    suite.assert_mistake_named(SLUG, fixture, check, keyword, seed)


def test_it_lists_every_mistake_fixture_in_the_table() -> None:
    suite.assert_table_lists_every_mistake(SLUG, MISTAKES)


@pytest.mark.parametrize("filename", suite.fixtures(SLUG, "mistake_"))
def test_it_leaves_unrelated_checks_alone(filename: str) -> None:
    # A mistake fails some checks, never every one: the report points at the mistake.
    suite.assert_leaves_unrelated_checks_alone(SLUG, filename)


def test_it_fails_every_check_of_the_starter_with_a_message(tmp_path: Path) -> None:
    suite.assert_starter_fails_helpfully(SLUG, STARTER, tmp_path, may_pass=STARTER_MAY_PASS)


def test_it_never_crashes_on_malformed_sandbox_results() -> None:
    # A compromised sandbox child can send anything back; judges must answer, not raise.
    suite.assert_never_crashes_on_junk(SLUG)


@pytest.mark.parametrize("check", suite.spec_for(SLUG).checks, ids=lambda c: c.name)
def test_it_randomises_the_probes_per_run(check: Check) -> None:
    suite.assert_probes_randomised(check, fixed=FIXED_PROBES)


@pytest.mark.parametrize("check", suite.spec_for(SLUG).checks, ids=lambda c: c.name)
def test_it_builds_probes_of_plain_data_only(check: Check) -> None:
    suite.assert_probes_plain(check)


def test_it_gives_every_check_a_video_and_a_card() -> None:
    suite.assert_video_and_card(SLUG)


def test_it_keeps_the_probe_compute_small(tmp_path: Path) -> None:
    assert suite.probe_seconds(SLUG, tmp_path) < 1.0


def test_it_cuts_the_book_windows() -> None:
    from grading.reference import data

    assert data.windows(list(range(7)), 3, 2) == [([0, 1, 2], [1, 2, 3]), ([2, 3, 4], [3, 4, 5])]
    assert len(data.windows(list(range(7)), 3, 2, end_offset=1)) == 3
    assert data.batches(data.windows(list(range(6)), 2, 1), 3, drop_last=True) == [
        ([[0, 1], [1, 2], [2, 3]], [[1, 2], [2, 3], [3, 4]])
    ]


def test_it_builds_datasets_and_loaders_in_the_sandbox(tmp_path: Path) -> None:
    module = suite.import_source((suite.SOLUTIONS / SLUG / "book.py").read_text(), tmp_path)
    chars = probes.OPS["dataset_items"](
        module, cls="GPTDatasetV1", txt="abcdef", max_length=2, stride=2, tokenizer="chars"
    )
    assert chars["len"] == 2
    assert [x.tolist() for x in chars["items"][1]] == [[99, 100], [100, 101]]
    gpt2 = probes.OPS["dataset_items"](
        module, cls="GPTDatasetV1", txt="Hello, world. " * 5, max_length=3, stride=3, indices=[-1]
    )
    assert len(gpt2["items"]) == 1
    loader = probes.OPS["loader_batches"](
        module,
        name="create_dataloader_v1",
        args=["Hello, world. " * 5],
        kwargs={"batch_size": 2, "max_length": 3, "stride": 3, "shuffle": True},
        seed=1,
        passes=2,
    )
    assert loader["type"] == "DataLoader" and loader["len"] == 3  # 6 windows of 20 tokens
    assert [np.shape(b[0]) for b in loader["passes"][0]] == [(2, 3)] * 3
    signature = probes.OPS["signature"](module, name="create_dataloader_v1")
    assert signature["parameters"][0] == ["txt", "POSITIONAL_OR_KEYWORD", False, None]
    assert ["stride", "POSITIONAL_OR_KEYWORD", True, 128] in signature["parameters"]
