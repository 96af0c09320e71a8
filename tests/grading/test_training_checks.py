"""The ``training`` challenge (chapter 5.1-5.2, Appendix D): the book's code and equivalent
variants pass, real mistakes fail with a message that names them; the training reference
agrees with the chapter 4 reference and with torch; the training ops behave.

Fixtures: ``tests/grading/solutions/training/`` (see ``chapter5_7_support``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from grading.challenges.base import Check, ProbeResult
from grading.challenges.training_common import checkpoint_file_judge, checkpoint_probe
from grading.reference import gpt as gpt_ref
from grading.reference import training as ref
from grading.sandbox import ops_training
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
from tests.grading.chapter5_7_support import source as fixture_source

SLUGS = ("training",)
SEEDS = (0, 1)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("slug", "filename"), fixtures(SLUGS, "book") + fixtures(SLUGS, "variant_")
)
def test_it_passes_the_book_code_and_equivalent_variants(
    slug: str, filename: str, seed: int
) -> None:
    assert failures(report(slug, filename, seed)) == {}


def test_it_has_enough_fixtures() -> None:
    assert (SOLUTIONS / "training" / "book.py").exists()
    assert len(list((SOLUTIONS / "training").glob("variant_*.py"))) >= 3
    assert len(list((SOLUTIONS / "training").glob("mistake_*.py"))) >= 3


def test_it_passes_the_book_code_over_more_random_runs() -> None:
    for seed in range(100, 104):
        assert failures(report("training", "book.py", seed)) == {}, seed


MISTAKES = [
    ("mistake_no_zero_grad", "train_losses_match_reference", "zero_grad"),
    ("mistake_step_from_zero", "train_losses_match_reference", "starts at 0"),
    ("mistake_tokens_rows", "tokens_seen_bookkeeping", "counts rows"),
    ("mistake_loss_item", "loss_batch_matches_reference", "loss.item()"),
    ("mistake_double_softmax", "loss_batch_matches_reference", "softmax"),
    ("mistake_divide_by_len", "loss_loader_num_batches", "len(data_loader)"),
    ("mistake_empty_loader", "loss_loader_empty_is_nan", "float('nan')"),
    ("mistake_no_eval_mode", "evaluate_model_modes", "model.eval()"),
    ("mistake_checkpoint_model_only", "checkpoint_file_keys", "optimizer_state_dict"),
    ("mistake_checkpoint_model_only", "checkpoint_resume_same_losses", "optimizer.load_state"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("fixture", "check", "keyword"), MISTAKES)
def test_it_fails_a_real_mistake_with_a_message_that_names_it(
    fixture: str, check: str, keyword: str, seed: int
) -> None:
    outcome = report("training", f"{fixture}.py", seed)[check]
    assert outcome.status != "pass"
    assert keyword in outcome.message, outcome.message


def test_it_lists_every_mistake_fixture_in_the_table() -> None:
    listed = {f"{fixture}.py" for fixture, _, _ in MISTAKES}
    assert {name for _, name in fixtures(SLUGS, "mistake_")} == listed


@pytest.mark.parametrize(("slug", "filename"), fixtures(SLUGS, "mistake_"))
def test_it_leaves_unrelated_checks_alone(slug: str, filename: str) -> None:
    outcomes = report(slug, filename, 0)
    assert 0 < len(failures(outcomes)) < len(outcomes)


def test_it_fails_every_check_of_the_starter_with_a_message(tmp_path: Path) -> None:
    assert_starter_fails_helpfully("training", tmp_path)


def test_it_skips_appendix_d_when_train_model_is_not_defined() -> None:
    outcome = report("training", "variant_no_appendix_d.py", 0)["appendix_d_train_model"]
    assert outcome.status == "pass" and "optional" in outcome.message.lower()


def test_it_blames_a_broken_gpt_model_instead_of_the_training_code() -> None:
    broken = fixture_source("training", "book.py").replace("x = self.final_norm(x)", "x = x")
    from grading.challenges.inprocess import grade_in_process

    graded = dict(
        (c.name, o)
        for c, o in grade_in_process(spec_for("training"), broken, rng=np.random.default_rng(0))
    )
    outcome = graded["train_losses_match_reference"]
    assert outcome.status == "fail" and "fix it first" in outcome.message


# --- Probes and judges ---------------------------------------------------------------------


@pytest.mark.parametrize(("slug", "check"), all_checks(SLUGS), ids=lambda v: getattr(v, "name", v))
def test_it_randomises_the_probes_and_sends_plain_data(slug: str, check: Check) -> None:
    assert_randomised_plain_probes(check)
    assert_video_and_card(check)


def test_it_never_crashes_on_malformed_sandbox_results() -> None:
    assert_judges_survive_junk("training")


def test_it_explains_a_checkpoint_that_weights_only_refuses() -> None:
    probe = checkpoint_probe(np.random.default_rng(0))
    result = ProbeResult(ok=True, value={"file": {"refused": "UnpicklingError: GPTModel"}})
    outcome = checkpoint_file_judge([probe], [result])
    assert outcome.status == "fail" and "weights_only=True" in outcome.message


def test_it_keeps_the_probe_compute_small(tmp_path: Path) -> None:
    # Measured in-process with one torch thread: about 0.6 s on the 2-core CI machine.
    assert probe_seconds("training", tmp_path) < 4.0


# --- Reference ---------------------------------------------------------------------------------


def _cfg(**extra: object) -> dict[str, object]:
    cfg: dict[str, object] = {
        "vocab_size": 50,
        "context_length": 10,
        "emb_dim": 12,
        "n_heads": 3,
        "n_layers": 2,
        "drop_rate": 0.0,
        "qkv_bias": False,
    }
    cfg.update(extra)
    return cfg


@pytest.mark.parametrize("qkv_bias", [False, True])
def test_it_computes_the_same_logits_as_the_chapter_4_reference(qkv_bias: bool) -> None:
    cfg = _cfg(qkv_bias=qkv_bias)
    rng = np.random.default_rng(0)
    params = gpt_ref.random_params(gpt_ref.gpt_shapes(cfg), rng)
    idx = rng.integers(0, 50, (2, 7))
    np.testing.assert_allclose(
        ref.logits_np(params, cfg, idx), gpt_ref.gpt_forward(idx, params, cfg), atol=1e-10
    )


def test_it_averages_loader_losses_like_the_book() -> None:
    cfg = _cfg()
    rng = np.random.default_rng(1)
    p = ref.as_tensors(gpt_ref.random_params(gpt_ref.gpt_shapes(cfg), rng))
    x, y = rng.integers(0, 50, (5, 4)), rng.integers(0, 50, (5, 4))
    batches = ref.batches_of(x, y, 2)
    assert [len(b[0]) for b in batches] == [2, 2, 1]
    each = [float(ref.batch_loss(p, cfg, bx, by)) for bx, by in batches]
    assert ref.loader_loss(p, cfg, batches) == pytest.approx(sum(each) / 3)
    assert ref.loader_loss(p, cfg, batches, 2) == pytest.approx(sum(each[:2]) / 2)
    assert ref.loader_loss(p, cfg, batches, 9) == pytest.approx(sum(each) / 3)
    assert math.isnan(ref.loader_loss(p, cfg, []))


def test_it_follows_appendix_d_schedule() -> None:
    schedule = ref.Schedule(warmup_steps=2, initial_lr=1e-5, min_lr=1e-6)
    rates = [schedule.lr(step, 1e-3, 6) for step in range(6)]
    assert rates[0] == pytest.approx(1e-5)
    assert rates[1] == pytest.approx(1e-5 + (1e-3 - 1e-5) / 2)
    assert rates[2] == pytest.approx(1e-3)  # cosine starts at the peak
    assert rates[-1] > 1e-6 and rates == sorted(rates[:3]) + rates[3:]
    assert schedule.clips(2) and not ref.Schedule(2, 1e-5, 1e-6, ">").clips(2)


# --- Ops ---------------------------------------------------------------------------------------


def test_it_runs_the_checkpoint_op_in_a_private_directory_and_cleans_up(tmp_path: Path) -> None:
    import tempfile

    from grading.challenges.inprocess import import_source

    module = import_source(fixture_source("training", "book.py"), tmp_path)
    before = set(Path(tempfile.gettempdir()).glob("probe-*"))
    probe = checkpoint_probe(np.random.default_rng(4))
    value = ops_training.checkpoint_run(module, **probe.args)
    assert value["file"] == {"type": "dict", "keys": ["model_state_dict", "optimizer_state_dict"]}
    assert value["losses_a"] == pytest.approx(value["losses_b"], abs=1e-6)
    assert set(Path(tempfile.gettempdir()).glob("probe-*")) == before


def test_it_gives_train_model_simple_a_tokenizer_for_small_vocabularies() -> None:
    tokenizer = ops_training.SmallTokenizer(64)
    ids = tokenizer.encode("Every effort moves you", allowed_special={"<|endoftext|>"})
    assert all(0 <= i < 64 for i in ids) and isinstance(tokenizer.decode(ids), str)


def test_it_reports_weights_that_do_not_fit_the_learner_model(tmp_path: Path) -> None:
    from grading.challenges.inprocess import import_source

    module = import_source(fixture_source("training", "book.py"), tmp_path)
    cfg = _cfg()
    params = gpt_ref.random_params(gpt_ref.gpt_shapes(cfg), np.random.default_rng(0))
    params["out_head.weight"] = params["out_head.weight"][:, :5]
    value = ops_training.loss_batches(
        module,
        model={"cls": "GPTModel", "cfg": cfg, "tensors": params},
        batches=[[np.zeros((1, 3), np.int64), np.zeros((1, 3), np.int64)]],
    )
    assert ["out_head.weight", [50, 5], [50, 12]] in value["load_error"]["mismatched"]
    torch.manual_seed(0)
