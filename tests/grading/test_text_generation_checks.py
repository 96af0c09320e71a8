"""The text-generation challenge: generate_text_simple, greedy and cropped to the context.

Fixtures: tests/grading/solutions/text-generation/ (see tests/grading/challenge_suite.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.challenges.base import Check
from grading.reference import gpt as ref
from grading.sandbox import probes
from tests.grading import challenge_suite as suite

SLUG = "text-generation"
STARTER = "text_generation.py"
STARTER_MAY_PASS: frozenset[str] = frozenset()
FIXED_PROBES: frozenset[str] = frozenset()
MANY_RUNS = 30

# Mistakes that break every check, each message naming them (fixture -> keyword).
EVERYWHERE = {"mistake_returns_new_only.py": "only the new tokens"}

# (fixture, the check that must fail, a keyword its message must contain)
MISTAKES = [
    ("mistake_no_crop", "crops_to_context_size", "not cropped"),
    ("mistake_crop_first", "crops_to_context_size", "first context_size tokens are kept"),
    ("mistake_first_position", "greedy_matches_reference", "first position's logits"),
    ("mistake_first_position", "greedy_with_any_model", "first position's logits"),
    ("mistake_returns_new_only", "returns_prompt_and_new_tokens", "only the new tokens"),
    ("mistake_returns_new_only", "greedy_matches_reference", "only the new tokens"),
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
    suite.assert_leaves_unrelated_checks_alone(SLUG, filename, everywhere=EVERYWHERE)


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


def test_it_runs_the_same_standin_model_in_the_sandbox_and_the_reference(tmp_path: Path) -> None:
    module = suite.import_source((suite.SOLUTIONS / SLUG / "book.py").read_text(), tmp_path)
    rng = np.random.default_rng(0)
    emb, mix = (rng.normal(size=(12, 12)).astype(np.float32) for _ in range(2))
    idx = rng.integers(0, 12, size=(2, 5)).astype(np.int64)
    value = probes.OPS["generate"](
        module,
        fn="generate_text_simple",
        idx=idx,
        max_new_tokens=4,
        context_size=3,
        model={"standin": {"emb": emb, "mix": mix, "context": 5}},
    )
    expected = ref.greedy(lambda ids: ref.standin_logits(ids, emb, mix, 5), idx, 4, 3)
    np.testing.assert_array_equal(value["output"], expected)
    assert value["seen_lengths"] == [3, 3, 3, 3]


def test_it_accepts_a_near_tie_picked_either_way() -> None:
    # float32 logits that tie within rounding may pick either token; later steps are judged
    # on the learner's own prefix, so one such choice cannot fail the rest.
    from grading.challenges import text_generation as tg

    emb = np.zeros((4, 4), np.float32)
    mix = np.zeros((4, 4), np.float32)
    idx = np.array([[1, 2]], np.int64)
    probe = tg._generate_probe(idx, 2, 4, {"standin": {"emb": emb, "mix": mix, "context": 4}})
    for out in ([[1, 2, 3, 0]], [[1, 2, 0, 2]]):  # every logit is 0: any token is an argmax
        result = suite.ProbeResult(ok=True, value={"output": np.array(out, np.int64)})
        assert tg.judge_generation(probe, result, model_name="m") is None
