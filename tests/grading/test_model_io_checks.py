"""The ``model-io`` challenge (chapter 5.4-5.5): checkpoints, ``assign`` and
``load_weights_into_gpt`` with generated checkpoints in OpenAI's GPT-2 layout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grading.challenges.base import Check
from grading.fixtures import openai_checkpoint
from grading.reference import gpt as gpt_ref
from grading.reference import training as ref
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

SLUGS = ("model-io",)
SEEDS = (0, 1, 2)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("slug", "filename"), fixtures(SLUGS, "book") + fixtures(SLUGS, "variant_")
)
def test_it_passes_the_book_code_and_equivalent_variants(
    slug: str, filename: str, seed: int
) -> None:
    assert failures(report(slug, filename, seed)) == {}


def test_it_has_enough_fixtures() -> None:
    assert len(list((SOLUTIONS / "model-io").glob("variant_*.py"))) >= 3
    assert len(list((SOLUTIONS / "model-io").glob("mistake_*.py"))) >= 3


MISTAKES = [
    ("mistake_no_transpose_qkv", "load_weights_parameters", "without the transpose"),
    ("mistake_no_transpose_qkv", "loaded_logits_match_reference", "logits differ"),
    ("mistake_no_transpose_proj", "load_weights_parameters", "without the transpose"),
    ("mistake_no_weight_tying", "load_weights_parameters", "ties its output head"),
    ("mistake_split_axis0", "load_weights_parameters", "axis=-1"),
    ("mistake_qkv_order", "load_weights_parameters", "(query, key, value)"),
    ("mistake_qkv_bias_not_loaded", "load_weights_parameters", "was never loaded"),
    ("mistake_assign_no_check", "assign_checks_shapes", "raise ValueError"),
    ("mistake_checkpoint_new_optimizer", "checkpoint_resume_same_losses", "optimizer passed in"),
    ("mistake_checkpoint_other_keys", "checkpoint_file_keys", "book's keys"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("fixture", "check", "keyword"), MISTAKES)
def test_it_fails_a_real_mistake_with_a_message_that_names_it(
    fixture: str, check: str, keyword: str, seed: int
) -> None:
    outcome = report("model-io", f"{fixture}.py", seed)[check]
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
    assert_starter_fails_helpfully("model-io", tmp_path)


@pytest.mark.parametrize(("slug", "check"), all_checks(SLUGS), ids=lambda v: getattr(v, "name", v))
def test_it_randomises_the_probes_and_sends_plain_data(slug: str, check: Check) -> None:
    assert_randomised_plain_probes(check)
    assert_video_and_card(check)


def test_it_never_crashes_on_malformed_sandbox_results() -> None:
    assert_judges_survive_junk("model-io")


def test_it_keeps_the_probe_compute_small(tmp_path: Path) -> None:
    # Measured in-process with one torch thread: about 0.1 s.
    assert probe_seconds("model-io", tmp_path) < 2.0


# --- The generated OpenAI-layout checkpoints ------------------------------------------------


@pytest.mark.parametrize("size", sorted(openai_checkpoint.SIZES))
def test_it_generates_checkpoints_in_openai_layout(size: str) -> None:
    settings, params = openai_checkpoint.generate(7, **openai_checkpoint.SIZES[size])
    e, v, c = settings["n_embd"], settings["n_vocab"], settings["n_ctx"]
    assert params["wte"].shape == (v, e) and params["wpe"].shape == (c, e)
    assert params["g"].shape == params["b"].shape == (e,)
    assert len(params["blocks"]) == settings["n_layer"]
    block = params["blocks"][0]
    assert block["attn"]["c_attn"]["w"].shape == (e, 3 * e)
    assert block["attn"]["c_attn"]["b"].shape == (3 * e,)
    assert block["attn"]["c_proj"]["w"].shape == (e, e)
    assert block["mlp"]["c_fc"]["w"].shape == (e, 4 * e)
    assert block["mlp"]["c_proj"]["w"].shape == (4 * e, e)
    assert block["ln_1"]["g"].dtype == np.float32


def test_it_generates_the_same_checkpoint_for_the_same_seed() -> None:
    a = openai_checkpoint.generate(3)[1]
    b = openai_checkpoint.generate(3)[1]
    c = openai_checkpoint.generate(4)[1]
    np.testing.assert_array_equal(
        a["blocks"][1]["mlp"]["c_fc"]["w"], b["blocks"][1]["mlp"]["c_fc"]["w"]
    )
    assert not np.array_equal(a["wte"], c["wte"])


def test_it_maps_openai_names_to_the_book_and_gives_a_working_model() -> None:
    settings, params = openai_checkpoint.generate(5, **openai_checkpoint.SIZES["tiny-2"])
    cfg = openai_checkpoint.book_config(settings)
    mapped = ref.from_openai(params, cfg["n_layers"])
    assert set(mapped) == set(gpt_ref.gpt_shapes(cfg))
    assert all(mapped[n].shape == s for n, s in gpt_ref.gpt_shapes(cfg).items())
    q, k, v = np.split(params["blocks"][1]["attn"]["c_attn"]["w"], 3, axis=-1)
    np.testing.assert_array_equal(mapped["trf_blocks.1.att.W_key.weight"], k.T)
    np.testing.assert_array_equal(mapped["out_head.weight"], params["wte"])
    idx = np.array([[1, 2, 3]])
    assert np.isfinite(gpt_ref.gpt_forward(idx, mapped, cfg)).all()
    assert ref.openai_source("trf_blocks.0.ff.layers.2.weight") == (
        'params["blocks"][0]["mlp"]["c_proj"]["w"].T'
    )
