"""The chapter 3 attention challenges: reference solutions pass, real mistakes fail by name.

Everything runs in-process (``grade_in_process``, development only) on the solution
fixtures under ``tests/grading/solutions/<slug>/``: ``book.py`` (the book's code),
``variant_*.py`` (equivalent code that must pass) and ``mistake_*.py`` (a realistic mistake
each, which must fail the named check with a message that names the mistake).
"""

from __future__ import annotations

import functools
import re
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grading.challenges import get_spec, gradable_slugs
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, ProbeError, ProbeResult
from grading.challenges.checks import compare_arrays
from grading.challenges.inprocess import grade_in_process, import_source, run_probe
from grading.sandbox import probes

SOLUTIONS = Path(__file__).parent / "solutions"
SLUGS = ("self-attention", "causal-attention", "multi-head-attention")
STARTERS = Path(__file__).resolve().parents[2] / "grading" / "challenges" / "starters"
SEEDS = (0, 1, 2)


def spec_for(slug: str) -> ChallengeSpec:
    spec = get_spec(slug)
    assert spec is not None
    return spec


@functools.cache
def report(slug: str, filename: str, seed: int) -> dict[str, CheckOutcome]:
    source = (SOLUTIONS / slug / filename).read_text()
    graded = grade_in_process(spec_for(slug), source, rng=np.random.default_rng(seed))
    return {check.name: outcome for check, outcome in graded}


def fixtures(prefix: str) -> list[tuple[str, str]]:
    return [
        (slug, p.name) for slug in SLUGS for p in sorted((SOLUTIONS / slug).glob(f"{prefix}*.py"))
    ]


def failures(outcomes: dict[str, CheckOutcome]) -> dict[str, str]:
    return {name: f"{o.status}: {o.message}" for name, o in outcomes.items() if o.status != "pass"}


# --- Correct code passes -------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("slug", "filename"), fixtures("book") + fixtures("variant_"))
def test_it_passes_the_book_code_and_equivalent_variants(
    slug: str, filename: str, seed: int
) -> None:
    assert failures(report(slug, filename, seed)) == {}


def test_it_has_enough_fixtures() -> None:
    for slug in SLUGS:
        assert (SOLUTIONS / slug / "book.py").exists()
        assert len(list((SOLUTIONS / slug).glob("variant_*.py"))) >= 3
        assert len(list((SOLUTIONS / slug).glob("mistake_*.py"))) >= 3


def test_it_passes_the_book_code_over_many_random_runs() -> None:
    # The checks are randomised per run; a correct solution must never be unlucky.
    for slug in SLUGS:
        source = (SOLUTIONS / slug / "book.py").read_text()
        for seed in range(100, 130):
            graded = grade_in_process(spec_for(slug), source, rng=np.random.default_rng(seed))
            bad = {c.name: o.message for c, o in graded if o.status != "pass"}
            assert bad == {}, (slug, seed)


# --- Real mistakes fail, by name -----------------------------------------------------------

# (slug, fixture, the check that must fail, a keyword its message must contain)
MISTAKES = [
    ("self-attention", "mistake_no_scale", "scaled_by_sqrt_dk", "not scaled"),
    ("self-attention", "mistake_no_scale", "v1_matches_reference", "not scaled"),
    ("self-attention", "mistake_no_scale", "v2_matches_reference", "sqrt(d_k)"),
    ("self-attention", "mistake_scale_by_dk", "scaled_by_sqrt_dk", "instead of sqrt(d_k)"),
    ("self-attention", "mistake_scale_by_dk", "v2_matches_reference", "square root"),
    ("self-attention", "mistake_scale_by_d_in", "scaled_by_sqrt_dk", "sqrt(d_in)"),
    ("self-attention", "mistake_softmax_dim0", "attention_rows_sum_to_one", "dim=-1"),
    ("self-attention", "mistake_softmax_dim0", "v1_matches_reference", "wrong dim"),
    (
        "self-attention",
        "mistake_v1_linear",
        "v1_weight_shapes",
        "expected parameter W_query of shape",
    ),
    ("self-attention", "mistake_v1_linear", "v1_matches_reference", "nn.Parameter"),
    ("self-attention", "mistake_bias_ignored", "v2_qkv_bias", "W_query.bias"),
    ("self-attention", "mistake_bias_ignored", "v2_weight_shapes", "bias=qkv_bias"),
    (
        "causal-attention",
        "mistake_unsliced_mask",
        "shorter_than_context",
        "[:num_tokens, :num_tokens]",
    ),
    ("causal-attention", "mistake_diagonal_zero", "mask_buffer", "diagonal=1"),
    ("causal-attention", "mistake_diagonal_zero", "matches_reference", "diagonal"),
    ("causal-attention", "mistake_diagonal_zero", "causal_attention_weights", "diagonal"),
    ("causal-attention", "mistake_masked_fill_not_assigned", "no_future_leak", "sees the future"),
    ("causal-attention", "mistake_masked_fill_not_assigned", "matches_reference", "masked_fill_"),
    (
        "causal-attention",
        "mistake_masked_fill_not_assigned",
        "causal_attention_weights",
        "later token",
    ),
    ("causal-attention", "mistake_dropout_always", "eval_is_deterministic", "eval"),
    ("causal-attention", "mistake_no_dropout", "dropout_in_train_mode", "not applied"),
    (
        "causal-attention",
        "mistake_mask_after_softmax",
        "causal_attention_weights",
        "after the softmax",
    ),
    ("causal-attention", "mistake_mask_after_softmax", "matches_reference", "after the softmax"),
    ("causal-attention", "mistake_mask_after_softmax", "no_future_leak", "future"),
    ("causal-attention", "mistake_mask_not_buffer", "mask_buffer", "register_buffer"),
    (
        "causal-attention",
        "mistake_dropout_on_output",
        "dropout_in_train_mode",
        "not to the scores, values or output",
    ),
    ("multi-head-attention", "mistake_scale_d_out", "mha_scaled_by_sqrt_head_dim", "sqrt(d_out)"),
    ("multi-head-attention", "mistake_scale_d_out", "mha_matches_reference", "sqrt(head_dim)"),
    ("multi-head-attention", "mistake_no_out_proj", "mha_matches_reference", "out_proj"),
    (
        "multi-head-attention",
        "mistake_view_no_transpose",
        "mha_matches_reference",
        "transpose(1, 2)",
    ),
    ("multi-head-attention", "mistake_view_no_transpose", "heads_split_equals_wrapper", "split"),
    (
        "multi-head-attention",
        "mistake_combine_no_transpose",
        "mha_matches_reference",
        "transposing back",
    ),
    ("multi-head-attention", "mistake_concat_dim1", "wrapper_matches_reference", "dim=-1"),
    ("multi-head-attention", "mistake_concat_dim1", "wrapper_output_shape", "shape"),
    (
        "multi-head-attention",
        "mistake_no_divisibility_check",
        "mha_requires_divisible_d_out",
        "divisible",
    ),
    ("multi-head-attention", "mistake_qkv_bias_ignored", "mha_weight_shapes", "W_query.bias"),
    ("multi-head-attention", "mistake_qkv_bias_ignored", "mha_matches_reference", "W_query.bias"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("slug", "fixture", "check", "keyword"), MISTAKES)
def test_it_fails_a_real_mistake_with_a_message_that_names_it(
    slug: str, fixture: str, check: str, keyword: str, seed: int
) -> None:
    outcomes = report(slug, f"{fixture}.py", seed)
    assert outcomes[check].status != "pass"
    assert keyword in outcomes[check].message, outcomes[check].message


def test_it_lists_every_mistake_fixture_in_the_table() -> None:
    listed = {(slug, f"{fixture}.py") for slug, fixture, _, _ in MISTAKES}
    assert set(fixtures("mistake_")) == listed


@pytest.mark.parametrize(("slug", "filename"), fixtures("mistake_"))
def test_it_leaves_unrelated_checks_alone(slug: str, filename: str) -> None:
    # A mistake fails some checks, never every one: the report points at the mistake.
    outcomes = report(slug, filename, 0)
    assert 0 < len(failures(outcomes)) < len(outcomes)


# --- Starters ------------------------------------------------------------------------------

STARTER_FILES = {
    "self-attention": "self_attention.py",
    "causal-attention": "causal_attention.py",
    "multi-head-attention": "multi_head_attention.py",
}


@pytest.mark.parametrize("slug", SLUGS)
def test_it_fails_every_check_of_the_starter_with_a_message(slug: str, tmp_path: Path) -> None:
    spec = spec_for(slug)
    starter = (STARTERS / STARTER_FILES[slug]).read_text()
    assert spec.starter == starter
    import_source(starter, tmp_path)  # imports cleanly
    graded = grade_in_process(spec, starter, rng=np.random.default_rng(0))
    for check, outcome in graded:
        assert outcome.status != "pass", check.name
        assert len(outcome.message) > 20, check.name


def test_it_explains_missing_parameters_in_the_starter() -> None:
    graded = grade_in_process(
        spec_for("self-attention"), spec_for("self-attention").starter, rng=np.random.default_rng(0)
    )
    outcome = dict((c.name, o) for c, o in graded)["v1_matches_reference"]
    assert re.search(
        r"expected parameter W_query of shape \(\d+, \d+\), your module has none", outcome.message
    )


# --- Forgery -------------------------------------------------------------------------------

ZEROS = """
import torch
import torch.nn as nn


def _linear(d_in, d_out, bias):
    layer = nn.Linear(d_in, d_out, bias=bias)
    nn.init.zeros_(layer.weight)
    return layer


class SelfAttention_v1(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.d_out = d_out
        self.W_query = nn.Parameter(torch.zeros(d_in, d_out))
        self.W_key = nn.Parameter(torch.zeros(d_in, d_out))
        self.W_value = nn.Parameter(torch.zeros(d_in, d_out))

    def forward(self, x):
        return torch.zeros(*x.shape[:-1], self.d_out)


class SelfAttention_v2(nn.Module):
    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.d_out = d_out
        self.W_query = _linear(d_in, d_out, qkv_bias)
        self.W_key = _linear(d_in, d_out, qkv_bias)
        self.W_value = _linear(d_in, d_out, qkv_bias)

    def forward(self, x):
        return torch.zeros(*x.shape[:-1], self.d_out)


class CausalAttention(SelfAttention_v2):
    def __init__(self, d_in, d_out, context_length, dropout, qkv_bias=False):
        super().__init__(d_in, d_out, qkv_bias)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), 1))


class MultiHeadAttentionWrapper(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        self.heads = nn.ModuleList(
            [CausalAttention(d_in, d_out, context_length, dropout, qkv_bias)
             for _ in range(num_heads)])

    def forward(self, x):
        return torch.cat([head(x) for head in self.heads], dim=-1)


class MultiHeadAttention(CausalAttention):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        assert d_out % num_heads == 0
        super().__init__(d_in, d_out, context_length, dropout, qkv_bias)
        self.out_proj = _linear(d_out, d_out, True)
"""

# Checks a module that outputs zeros of the right shape must fail: every check about values.
VALUE_CHECKS = {
    "self-attention": {
        "v1_matches_reference",
        "v1_own_weights",
        "v2_matches_reference",
        "v2_qkv_bias",
        "v2_own_weights",
        "attention_rows_sum_to_one",
        "scaled_by_sqrt_dk",
    },
    "causal-attention": {
        "matches_reference",
        "qkv_bias",
        "own_weights",
        "causal_attention_weights",
        "scaled_by_sqrt_dk",
        "no_future_leak",
        "shorter_than_context",
        "eval_is_deterministic",
        "dropout_in_train_mode",
    },
    "multi-head-attention": {
        "wrapper_matches_reference",
        "wrapper_eval_is_deterministic",
        "mha_matches_reference",
        "mha_qkv_bias",
        "mha_own_weights",
        "mha_head_attention_weights",
        "mha_scaled_by_sqrt_head_dim",
        "mha_no_future_leak",
        "mha_shorter_than_context",
        "mha_eval_is_deterministic",
        "mha_dropout_in_train_mode",
        "heads_split_equals_wrapper",
    },
}


@pytest.mark.parametrize("slug", SLUGS)
def test_it_fails_a_forged_module_that_outputs_zeros(slug: str) -> None:
    graded = grade_in_process(spec_for(slug), ZEROS, rng=np.random.default_rng(5))
    failing = {c.name for c, o in graded if o.status != "pass"}
    assert VALUE_CHECKS[slug] <= failing
    own = [o for c, o in graded if c.name.endswith("own_weights")]
    assert own and all("constant" in o.message for o in own)


@pytest.mark.parametrize("slug", SLUGS)
def test_it_never_crashes_on_malformed_sandbox_results(slug: str) -> None:
    # A compromised sandbox child can send anything back; judges must answer, not raise.
    junk: list[Any] = [
        None,
        "text",
        3,
        [],
        {},
        {"outputs": "x"},
        {"outputs": [None, None, None, None]},
        {"outputs": [np.zeros((0,), np.float32)] * 8, "params": {"W_query": "x"}},
        {"outputs": [np.full((2, 3, 4), np.nan, np.float32)] * 8},
        {"load_error": "bad", "outputs": []},
        {"parameters": {"W_query": 1}, "buffers": {"mask": {"value": "x"}}, "attributes": 3},
        {"raised": 5, "message": None},
    ]
    rng = np.random.default_rng(0)
    for check in spec_for(slug).checks:
        built = list(check.build(rng))
        for value in junk:
            outcome = check.judge(built, [ProbeResult(ok=True, value=value)] * len(built))
            assert outcome.status in ("fail", "error"), (check.name, value)
        error = ProbeResult(ok=False, error=ProbeError("RuntimeError", "boom", ""))
        assert check.judge(built, [error] * len(built)).status in ("fail", "error")


# --- Probes --------------------------------------------------------------------------------


def _fingerprint(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return tuple(sorted((k, _fingerprint(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_fingerprint(v) for v in value)
    return value


def _plain(value: Any) -> Iterator[bool]:
    if isinstance(value, dict):
        yield all(isinstance(k, str) for k in value)
        for v in value.values():
            yield from _plain(v)
    elif isinstance(value, list):
        for v in value:
            yield from _plain(v)
    else:
        yield isinstance(value, np.ndarray | str | int | float | bool) or value is None


def all_checks() -> list[tuple[str, Check]]:
    return [(slug, check) for slug in SLUGS for check in spec_for(slug).checks]


@pytest.mark.parametrize(("slug", "check"), all_checks(), ids=lambda v: getattr(v, "name", v))
def test_it_randomises_the_probes_per_run(slug: str, check: Check) -> None:
    one = [(p.op, _fingerprint(p.args)) for p in check.build(np.random.default_rng(1))]
    two = [(p.op, _fingerprint(p.args)) for p in check.build(np.random.default_rng(2))]
    assert one != two


@pytest.mark.parametrize(("slug", "check"), all_checks(), ids=lambda v: getattr(v, "name", v))
def test_it_builds_probes_of_plain_data_only(slug: str, check: Check) -> None:
    for probe in check.build(np.random.default_rng(3)):
        assert probe.op in probes.OPS
        assert all(_plain(probe.args)), probe.args


def test_it_gives_every_check_a_video_and_a_card() -> None:
    for _slug, check in all_checks():
        assert check.video is not None and re.fullmatch(r"[A-Za-z0-9_-]{11}", check.video)
        assert check.card is not None and 1 <= check.card <= 50
        assert check.needs


def test_it_registers_the_three_attention_challenges() -> None:
    assert set(SLUGS) <= set(gradable_slugs())
    assert spec_for("self-attention").names == ("SelfAttention_v1", "SelfAttention_v2")
    assert spec_for("causal-attention").names == ("CausalAttention",)
    assert spec_for("multi-head-attention").names == (
        "MultiHeadAttentionWrapper",
        "MultiHeadAttention",
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_it_keeps_the_probe_compute_small(slug: str, tmp_path: Path) -> None:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in a sandbox slot
    try:
        module = import_source((SOLUTIONS / slug / "book.py").read_text(), tmp_path)
        rng = np.random.default_rng(0)
        start = time.perf_counter()
        for check in spec_for(slug).checks:
            for probe in check.build(rng):
                run_probe(module, probe)
        elapsed = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    assert elapsed < 1.0


def test_it_reports_a_missing_class_without_running_the_check() -> None:
    graded = grade_in_process(
        spec_for("self-attention"), "import torch\n", rng=np.random.default_rng(0)
    )
    assert all(o.status == "error" and "does not define" in o.message for _, o in graded)


def test_it_reports_a_module_that_fails_to_import() -> None:
    graded = grade_in_process(spec_for("causal-attention"), "raise ValueError('nope')\n")
    assert all(o.status == "error" and "failed to import" in o.message for _, o in graded)


# --- Ops -----------------------------------------------------------------------------------


@pytest.fixture
def book_module(tmp_path: Path) -> Any:
    return import_source((SOLUTIONS / "multi-head-attention" / "book.py").read_text(), tmp_path)


def test_it_reports_weights_that_do_not_load(book_module: Any) -> None:
    value = probes.OPS["module_forward"](
        book_module,
        cls="MultiHeadAttention",
        args=[3, 4, 5, 0.0, 2],
        tensors={"W_query.weight": np.zeros((3, 4), np.float32), "nope": np.zeros(2)},
        calls=[[np.zeros((1, 5, 3), np.float32)]],
    )
    error = value["load_error"]
    assert ["W_query.weight", [3, 4], [4, 3]] in error["mismatched"]
    assert ["nope", [2]] in error["unknown"]
    assert ["out_proj.weight", [4, 4]] in error["not_given"]
    assert value["outputs"] == []


def test_it_runs_forward_with_given_weights_and_returns_state(book_module: Any) -> None:
    rng = np.random.default_rng(0)
    tensors = {
        n: rng.normal(size=s).astype(np.float32)
        for n, s in {
            "W_query.weight": (4, 3),
            "W_key.weight": (4, 3),
            "W_value.weight": (4, 3),
            "out_proj.weight": (4, 4),
            "out_proj.bias": (4,),
        }.items()
    }
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    value = probes.OPS["module_forward"](
        book_module,
        cls="MultiHeadAttention",
        args=[3, 4, 5, 0.5, 2],
        tensors=tensors,
        calls=[[x], [x]],
        train=True,
        forward_seed=1,
        return_params=True,
        return_buffers=True,
    )
    assert [o.shape for o in value["outputs"]] == [(2, 5, 4), (2, 5, 4)]
    assert not np.array_equal(value["outputs"][0], value["outputs"][1])  # dropout draws
    np.testing.assert_array_equal(value["params"]["out_proj.bias"], tensors["out_proj.bias"])
    assert value["buffers"]["mask"].shape == (5, 5)
    assert value["param_shapes"]["W_query.weight"] == [4, 3]
    x_before = x.copy()
    probes.OPS["module_forward"](
        book_module, cls="CausalAttention", args=[3, 4, 5, 0.0], calls=[[x]]
    )
    np.testing.assert_array_equal(x, x_before)  # the op works on copies


def test_it_inspects_and_constructs_modules(book_module: Any) -> None:
    info = probes.OPS["inspect_module"](
        book_module,
        cls="MultiHeadAttentionWrapper",
        args=[3, 2, 4, 0.0, 2],
        attributes=["heads", "missing"],
        buffer_values=True,
    )
    assert info["attributes"]["heads"] == {"kind": "module", "type": "ModuleList", "len": 2}
    assert info["attributes"]["missing"] == {"kind": "missing"}
    assert info["parameters"]["heads.1.W_key.weight"]["shape"] == [2, 3]
    assert info["buffers"]["heads.0.mask"]["persistent"] is True
    assert info["buffers"]["heads.0.mask"]["value"].shape == (4, 4)
    bad = probes.OPS["construct"](book_module, cls="MultiHeadAttention", args=[3, 5, 4, 0.0, 2])
    assert bad["raised"] == "AssertionError"
    good = probes.OPS["construct"](book_module, cls="MultiHeadAttention", args=[3, 4, 4, 0.0, 2])
    assert good == {"raised": None, "message": ""}


def test_it_keeps_the_call_op_working() -> None:
    module = types.ModuleType("m")
    module.add = lambda a, b: a + b  # type: ignore[attr-defined]
    assert probes.OPS["call"] is probes.call
    assert probes.call(module, name="add", args=[2, 3]) == 5


def test_it_compares_arrays_with_messages() -> None:
    expected = np.zeros((2, 6, 4))
    shape = compare_arrays(expected, np.zeros((2, 6, 3), np.float32), atol=1e-4, rtol=1e-4)
    assert (
        shape is not None
        and "expected output of shape (2, 6, 4), got (2, 6, 3)" in shape.message.lower()
    )
    got = np.zeros((2, 6, 4), np.float32)
    got[0, 3, 1] = 0.31
    diff = compare_arrays(expected, got, atol=1e-4, rtol=1e-4)
    assert diff is not None and "max abs diff 0.31 at position [0, 3, 1]" in diff.message
    assert compare_arrays(expected, got * 0, atol=1e-4, rtol=1e-4) is None
    dtype = compare_arrays(expected, got.astype(np.float64), atol=1, rtol=0, dtype="float32")
    assert dtype is not None and "dtype float32" in dtype.message
    nan = got.copy()
    nan[1, 0, 0] = np.nan
    bad = compare_arrays(expected, nan, atol=1, rtol=0)
    assert bad is not None and "nan" in bad.message.lower() and "[1, 0, 0]" in bad.message
    assert compare_arrays(expected, [1, 2], atol=1, rtol=0) is not None
