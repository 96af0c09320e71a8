"""The transformer-block challenge: LayerNorm, GELU, FeedForward and TransformerBlock.

Fixtures: tests/grading/solutions/transformer-block/ (see tests/grading/challenge_suite.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.challenges.base import Check
from grading.reference import gpt as ref
from grading.sandbox import probes
from tests.grading import challenge_suite as suite

SLUG = "transformer-block"
STARTER = "transformer_block.py"
STARTER_MAY_PASS: frozenset[str] = frozenset()
FIXED_PROBES: frozenset[str] = frozenset()
MANY_RUNS = 30

# (fixture, the check that must fail, a keyword its message must contain)
MISTAKES = [
    ("mistake_unbiased_variance", "layernorm_matches_reference", "unbiased=False"),
    ("mistake_unbiased_variance", "block_matches_reference", "unbiased"),
    ("mistake_eps_outside_sqrt", "layernorm_matches_reference", "outside the square root"),
    ("mistake_gelu_exact", "gelu_tanh_approximation", "tanh approximation"),
    ("mistake_post_norm", "block_matches_reference", "post-norm"),
    ("mistake_post_norm", "block_shortcuts", "post-norm"),
    ("mistake_no_ff_shortcut", "block_matches_reference", "feed-forward shortcut is missing"),
    ("mistake_no_ff_shortcut", "block_shortcuts", "shortcuts are missing"),
    ("mistake_ff_2x", "feedforward_layers", "layers.0.weight of shape"),
    ("mistake_no_drop_shortcut", "block_dropout_in_train_mode", "drop_shortcut"),
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


def test_it_counts_the_book_numbers_per_block() -> None:
    assert ref.numel(ref.feed_forward_shapes(768)) == 4_722_432
    assert ref.numel(ref.attention_shapes(768, qkv_bias=False)) == 2_360_064


def test_it_computes_layer_norm_and_gelu_like_torch() -> None:
    import torch

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 8))
    scale, shift = rng.normal(size=8), rng.normal(size=8)
    expected = torch.nn.functional.layer_norm(
        torch.tensor(x), (8,), torch.tensor(scale), torch.tensor(shift), eps=1e-5
    )
    np.testing.assert_allclose(ref.layer_norm(x, scale, shift), expected.numpy(), atol=1e-10)
    gelu = torch.nn.functional.gelu(torch.tensor(x), approximate="tanh").numpy()
    np.testing.assert_allclose(ref.gelu(x), gelu, atol=1e-10)
    exact = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ref.gelu(x, "erf"), exact, atol=1e-10)


def test_it_loads_weights_into_a_whole_block_by_the_book_names(tmp_path: Path) -> None:
    module = suite.import_source((suite.SOLUTIONS / SLUG / "book.py").read_text(), tmp_path)
    cfg = {"emb_dim": 4, "context_length": 3, "n_heads": 2, "drop_rate": 0.0, "qkv_bias": True}
    params = ref.random_params(ref.block_shapes(cfg), np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(1, 3, 4)).astype(np.float32)
    value = probes.OPS["module_forward"](
        module, cls="TransformerBlock", args=[cfg], tensors=params, calls=[[x]]
    )
    expected = ref.transformer_block(x, params, 2)
    np.testing.assert_allclose(value["outputs"][0], expected, atol=1e-5)
