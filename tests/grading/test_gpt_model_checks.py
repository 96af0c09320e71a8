"""The gpt-model challenge: GPTModel's layers, logits and GPT_CONFIG_124M's numbers.

Fixtures: tests/grading/solutions/gpt-model/ (see tests/grading/challenge_suite.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.challenges.base import Check
from grading.reference import gpt as ref
from grading.sandbox import probes
from tests.grading import challenge_suite as suite

SLUG = "gpt-model"
STARTER = "gpt_model.py"
STARTER_MAY_PASS: frozenset[str] = frozenset()
FIXED_PROBES: frozenset[str] = frozenset({"parameter_count_124m"})
MANY_RUNS = 20

# Mistakes that break every check, each message naming them (fixture -> keyword).
EVERYWHERE = {"mistake_out_head_bias.py": "out_head", "mistake_tied_head.py": "out_head"}

# (fixture, the check that must fail, a keyword its message must contain)
MISTAKES = [
    ("mistake_no_pos_emb", "logits_match_reference", "position embeddings are not added"),
    ("mistake_no_final_norm", "logits_match_reference", "final_norm is not applied"),
    ("mistake_out_head_bias", "parameter_count_124m", "bias=False"),
    ("mistake_out_head_bias", "model_layers", "out_head.bias"),
    ("mistake_pos_weight_whole", "shorter_than_context", "torch.arange(seq_len)"),
    ("mistake_tied_head", "parameter_count_124m", "tied"),
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


COUNT = frozenset({"parameter_count_124m"})


def test_it_keeps_the_probe_compute_small(tmp_path: Path) -> None:
    assert suite.probe_seconds(SLUG, tmp_path, skip=COUNT) < 1.0


def test_it_counts_the_124m_model_quickly(tmp_path: Path) -> None:
    # Building GPTModel(GPT_CONFIG_124M) without running torch's initialisers: ~0.3-0.5 s
    # and ~0.3 GB resident (untouched pages) instead of ~3 s and ~1 GB.
    only = frozenset(c.name for c in suite.spec_for(SLUG).checks) - COUNT
    assert suite.probe_seconds(SLUG, tmp_path, skip=only) < 5.0


def test_it_knows_the_book_numbers() -> None:
    cfg = ref.GPT_CONFIG_124M
    total = ref.numel(ref.gpt_shapes(cfg))
    assert total == 163_009_536
    assert total - 50257 * 768 == 124_412_160
    assert f"{ref.size_mb(total):.2f}" == "621.83"
    assert ref.numel(ref.gpt_shapes({**cfg, "qkv_bias": True})) == 163_037_184


def test_it_restores_torch_initialisers_after_counting(tmp_path: Path) -> None:
    import torch

    before = torch.nn.init.normal_
    module = suite.import_source((suite.SOLUTIONS / SLUG / "book.py").read_text(), tmp_path)
    cfg = {**ref.GPT_CONFIG_124M, "n_layers": 1, "vocab_size": 10, "context_length": 4}
    value = probes.OPS["count_parameters"](module, cls="GPTModel", args=[cfg])
    assert value["total"] == ref.numel(ref.gpt_shapes(cfg))
    assert value["params"]["out_head.weight"] == [10, 768]
    assert torch.nn.init.normal_ is before
    layer = torch.nn.Linear(3, 3)
    assert float(layer.weight.detach().std()) > 0  # initialisers work again


def test_it_fails_logits_that_are_all_zeros() -> None:
    source = (suite.SOLUTIONS / SLUG / "book.py").read_text() + (
        "\n\nclass GPTModel(GPTModel):\n"
        "    def forward(self, in_idx):\n"
        "        return super().forward(in_idx) * 0\n"
    )
    graded = suite.grade_in_process(suite.spec_for(SLUG), source, rng=np.random.default_rng(0))
    failing = {c.name for c, o in graded if o.status != "pass"}
    assert {"logits_match_reference", "own_weights", "shorter_than_context"} <= failing
