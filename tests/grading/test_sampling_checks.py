"""The ``sampling`` challenge (chapter 5.3): ``generate`` with temperature, top-k, top-p and
eos, judged statistically on draws from a table model. The book's code (with our top-p step)
and equivalent samplers pass over many random runs; real mistakes fail by name; the
statistical test rejects wrong distributions and accepts right ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.challenges.base import Check
from grading.challenges.inprocess import grade_in_process
from grading.reference import sampling as ref
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
    spec_for,
)

SLUGS = ("sampling",)
SEEDS = (0, 1, 2)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("slug", "filename"), fixtures(SLUGS, "book") + fixtures(SLUGS, "variant_")
)
def test_it_passes_the_book_code_and_equivalent_variants(
    slug: str, filename: str, seed: int
) -> None:
    assert failures(report(slug, filename, seed)) == {}


def test_it_passes_the_book_code_over_many_random_runs() -> None:
    # Statistical checks: a correct sampler must never be unlucky (bound: 5.5 sd per token).
    for seed in range(100, 120):
        assert failures(report("sampling", "book.py", seed)) == {}, seed


def test_it_has_enough_fixtures() -> None:
    assert len(list((SOLUTIONS / "sampling").glob("variant_*.py"))) >= 3
    assert len(list((SOLUTIONS / "sampling").glob("mistake_*.py"))) >= 3


MISTAKES = [
    ("mistake_temperature_multiply", "temperature_scales_distribution", "multiplied"),
    ("mistake_argmax_when_sampling", "temperature_scales_distribution", "torch.multinomial"),
    ("mistake_topk_reversed", "top_k_keeps_k_best", "not among"),
    ("mistake_top_p_exclusive", "top_p_keeps_nucleus", "left out"),
    ("mistake_top_p_before_temperature", "top_p_keeps_nucleus", "before temperature"),
    ("mistake_eos_appended", "eos_stops_early", "appended the eos"),
    ("mistake_no_crop", "greedy_at_temperature_zero", "idx[:, -context_size:]"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("fixture", "check", "keyword"), MISTAKES)
def test_it_fails_a_real_mistake_with_a_message_that_names_it(
    fixture: str, check: str, keyword: str, seed: int
) -> None:
    outcome = report("sampling", f"{fixture}.py", seed)[check]
    assert outcome.status != "pass"
    assert keyword in outcome.message, outcome.message


def test_it_lists_every_mistake_fixture_in_the_table() -> None:
    listed = {f"{fixture}.py" for fixture, _, _ in MISTAKES}
    assert {name for _, name in fixtures(SLUGS, "mistake_")} == listed


@pytest.mark.parametrize(("slug", "filename"), fixtures(SLUGS, "mistake_"))
def test_it_leaves_unrelated_checks_alone(slug: str, filename: str) -> None:
    outcomes = report(slug, filename, 0)
    assert 0 < len(failures(outcomes)) < len(outcomes)


def test_it_asks_for_top_p_when_generate_has_no_such_parameter() -> None:
    book = (SOLUTIONS / "sampling" / "book.py").read_text()
    without = book.replace("eos_id=None, top_p=None):\n", "eos_id=None):\n    top_p = None\n")
    assert without != book
    graded = {
        c.name: o
        for c, o in grade_in_process(spec_for("sampling"), without, rng=np.random.default_rng(0))
    }
    assert "top_p=None" in graded["top_p_keeps_nucleus"].message
    assert graded["top_k_keeps_k_best"].status == "pass"


UNIFORM = """
import torch


def generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None,
             eos_id=None, top_p=None):
    vocab = model(idx[:, -context_size:]).shape[-1]
    new = torch.randint(0, vocab, (idx.shape[0], max_new_tokens))
    return torch.cat([idx, new], dim=1)
"""


def test_it_fails_a_sampler_that_ignores_the_model() -> None:
    graded = grade_in_process(spec_for("sampling"), UNIFORM, rng=np.random.default_rng(3))
    assert all(o.status != "pass" for _, o in graded)


def test_it_fails_every_check_of_the_starter_with_a_message(tmp_path: Path) -> None:
    assert_starter_fails_helpfully("sampling", tmp_path)


@pytest.mark.parametrize(("slug", "check"), all_checks(SLUGS), ids=lambda v: getattr(v, "name", v))
def test_it_randomises_the_probes_and_sends_plain_data(slug: str, check: Check) -> None:
    assert_randomised_plain_probes(check)
    assert_video_and_card(check)


def test_it_builds_discriminating_probes_quickly() -> None:
    # The top-p build rejects settings where a mistake would not show; it must not spin.
    import time

    check = next(c for c in spec_for("sampling").checks if c.name == "top_p_keeps_nucleus")
    start = time.perf_counter()
    for seed in range(40):
        check.build(np.random.default_rng(seed))
    assert time.perf_counter() - start < 5.0


def test_it_never_crashes_on_malformed_sandbox_results() -> None:
    assert_judges_survive_junk("sampling")


def test_it_keeps_the_probe_compute_small(tmp_path: Path) -> None:
    # Measured in-process with one torch thread: about 0.7 s (2,000 draws in all).
    assert probe_seconds("sampling", tmp_path) < 3.0


# --- Reference ----------------------------------------------------------------------------------

BOOK_LOGITS = np.array([4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79])


def test_it_reproduces_the_book_example() -> None:
    # "every effort moves you" -> "forward" (id 3) greedily; top-3 keeps forward, toward, closer.
    assert int(np.argmax(ref.next_token_probs(BOOK_LOGITS, 1.0))) == 3
    kept = ref.top_k_filter(BOOK_LOGITS, 3)
    assert sorted(np.nonzero(np.isfinite(kept))[0].tolist()) == [0, 3, 7]
    sharp = ref.next_token_probs(BOOK_LOGITS, 0.1)
    flat = ref.next_token_probs(BOOK_LOGITS, 5.0)
    assert ref.entropy(sharp) < ref.entropy(ref.softmax(BOOK_LOGITS)) < ref.entropy(flat)


def test_it_keeps_the_smallest_nucleus_reaching_top_p() -> None:
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    assert ref.nucleus(probs, 0.5).tolist() == [True, False, False, False]
    assert ref.nucleus(probs, 0.6).tolist() == [True, True, False, False]
    assert ref.nucleus(probs, 0.6, include_boundary=False).tolist() == [True, False, False, False]
    q = ref.next_token_probs(np.log(probs), 1.0, top_p=0.6)
    np.testing.assert_allclose(q, [0.625, 0.375, 0, 0])


def test_it_accepts_right_counts_and_rejects_wrong_ones() -> None:
    rng = np.random.default_rng(0)
    q = ref.next_token_probs(BOOK_LOGITS, 2.0)
    accepted = sum(
        ref.bound_ok(np.bincount(rng.choice(9, 600, p=q), minlength=9), q) for _ in range(300)
    )
    assert accepted == 300
    wrong = ref.next_token_probs(BOOK_LOGITS, 1.0)
    assert not ref.bound_ok(np.bincount(rng.choice(9, 600, p=wrong), minlength=9), q)
    assert not ref.bound_ok(
        np.array([0, 0, 0, 599, 0, 0, 0, 0, 1]), ref.next_token_probs(BOOK_LOGITS, 1.0, top_k=1)
    )


def test_it_stops_before_eos_in_greedy_decoding() -> None:
    table = np.full((4, 4), -5.0)
    table[0, 1] = table[1, 2] = table[2, 3] = table[3, 0] = 0.0
    fn = lambda s: ref.table_logits(s, table)  # noqa: E731
    start = np.array([[0]])
    assert ref.greedy(fn, start, 5, 3).tolist() == [[0, 1, 2, 3, 0, 1]]
    assert ref.greedy(fn, start, 5, 3, eos_id=2).tolist() == [[0, 1]]
    assert ref.greedy(fn, start, 5, 3, eos_id=2, append_eos=True).tolist() == [[0, 1, 2]]
