"""The embeddings challenge: module-level embedding names and InputEmbedding.

Fixtures: tests/grading/solutions/embeddings/ (see tests/grading/challenge_suite.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.challenges.base import Check
from grading.sandbox import probes
from tests.grading import challenge_suite as suite

SLUG = "embeddings"
STARTER = "embeddings.py"
STARTER_MAY_PASS: frozenset[str] = frozenset()
FIXED_PROBES: frozenset[str] = frozenset({"module_embedding_layers", "module_input_embeddings"})
MANY_RUNS = 30

# (fixture, the check that must fail, a keyword its message must contain)
MISTAKES = [
    ("mistake_no_positions", "module_input_embeddings", "only the token embeddings"),
    (
        "mistake_no_positions",
        "input_embedding_matches_reference",
        "position embeddings are not added",
    ),
    ("mistake_arange_context_length", "input_embedding_shorter_inputs", "torch.arange(num_tokens)"),
    ("mistake_concat", "input_embedding_matches_reference", "concatenated"),
    (
        "mistake_positions_from_ids",
        "input_embedding_matches_reference",
        "looked up with the token ids",
    ),
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


def test_it_reads_module_values_and_only_the_embedding_rows_inputs_use() -> None:
    import types

    import torch

    module = types.ModuleType("m")
    module.layer = torch.nn.Embedding(2000, 4)  # type: ignore[attr-defined]
    module.inputs = torch.tensor([[5, 7], [7, 9]])  # type: ignore[attr-defined]
    module.size = 2000  # type: ignore[attr-defined]
    value = probes.OPS["module_values"](
        module,
        names=["size", "layer", "layer.weight", "inputs", "missing"],
        rows={"layer.weight": "inputs"},
    )
    assert value["values"]["size"] == {"kind": "value", "type": "int", "value": 2000}
    assert value["values"]["layer"]["weight_shape"] == [2000, 4]
    assert value["values"]["layer.weight"]["shape"] == [2000, 4]
    assert "value" not in value["values"]["layer.weight"]  # too large to send
    assert value["values"]["missing"] == {"kind": "missing"}
    rows = value["rows"]["layer.weight"]
    assert rows["ids"].tolist() == [5, 7, 9]
    np.testing.assert_array_equal(rows["values"], module.layer.weight.detach().numpy()[[5, 7, 9]])
