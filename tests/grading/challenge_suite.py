"""Shared test helpers for the chapter 2 and 4 challenge checks (test_<slug>_checks.py).

Each slug's fixtures live under ``tests/grading/solutions/<slug>/``: ``book.py`` (the book's
code, unchanged in substance), ``variant_*.py`` (equivalent code that must pass) and
``mistake_*.py`` (one realistic mistake each, which must fail a named check with a message
that names it). Grading runs in-process (``grade_in_process``, development only) with the
offline GPT-2 encoding registered, as the sandbox does before importing a submission.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import get_spec
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, ProbeError, ProbeResult
from grading.challenges.inprocess import grade_in_process, import_source, run_probe

__all__ = ["ProbeResult", "grade_in_process", "import_source"]
from grading.sandbox import offline_tiktoken, probes

SOLUTIONS = Path(__file__).parent / "solutions"
STARTERS = Path(__file__).resolve().parents[2] / "grading" / "challenges" / "starters"
SEEDS = (0, 1, 2)

# Learner code calls tiktoken.get_encoding("gpt2"); the sandbox registers it offline first.
offline_tiktoken.register()


def spec_for(slug: str) -> ChallengeSpec:
    spec = get_spec(slug)
    assert spec is not None
    return spec


@functools.cache
def report(slug: str, filename: str, seed: int) -> dict[str, CheckOutcome]:
    source = (SOLUTIONS / slug / filename).read_text()
    graded = grade_in_process(spec_for(slug), source, rng=np.random.default_rng(seed))
    return {check.name: outcome for check, outcome in graded}


def fixtures(slug: str, prefix: str) -> list[str]:
    return [p.name for p in sorted((SOLUTIONS / slug).glob(f"{prefix}*.py"))]


def failures(outcomes: dict[str, CheckOutcome]) -> dict[str, str]:
    return {name: f"{o.status}: {o.message}" for name, o in outcomes.items() if o.status != "pass"}


def assert_enough_fixtures(slug: str) -> None:
    assert (SOLUTIONS / slug / "book.py").exists()
    assert len(fixtures(slug, "variant_")) >= 3
    assert len(fixtures(slug, "mistake_")) >= 3


def assert_passes_many_runs(slug: str, seeds: Sequence[int]) -> None:
    source = (SOLUTIONS / slug / "book.py").read_text()
    for seed in seeds:
        graded = grade_in_process(spec_for(slug), source, rng=np.random.default_rng(seed))
        bad = {c.name: o.message for c, o in graded if o.status != "pass"}
        assert bad == {}, (slug, seed)


def assert_mistake_named(slug: str, fixture: str, check: str, keyword: str, seed: int) -> None:
    outcome = report(slug, f"{fixture}.py", seed)[check]
    assert outcome.status != "pass", (fixture, check)
    assert keyword in outcome.message, outcome.message


def assert_table_lists_every_mistake(slug: str, table: Sequence[tuple[str, str, str]]) -> None:
    assert {f"{fixture}.py" for fixture, _, _ in table} == set(fixtures(slug, "mistake_"))


def assert_leaves_unrelated_checks_alone(
    slug: str, filename: str, *, everywhere: dict[str, str] | None = None
) -> None:
    """A mistake fails some checks, not all -- unless it breaks every check (weights that do
    not load, an output of the wrong shape): then every message must name it (``everywhere``:
    fixture -> keyword)."""
    outcomes = report(slug, filename, 0)
    failed = failures(outcomes)
    keyword = (everywhere or {}).get(filename)
    if keyword is not None:
        assert failed and all(keyword in message for message in failed.values()), failed
    else:
        assert 0 < len(failed) < len(outcomes)


def assert_starter_fails_helpfully(
    slug: str, filename: str, tmp_path: Path, *, may_pass: frozenset[str] = frozenset()
) -> None:
    spec = spec_for(slug)
    starter = (STARTERS / filename).read_text()
    assert spec.starter == starter
    import_source(starter, tmp_path)  # imports cleanly
    graded = grade_in_process(spec, starter, rng=np.random.default_rng(0))
    for check, outcome in graded:
        if check.name not in may_pass:
            assert outcome.status != "pass", check.name
            assert len(outcome.message) > 20, check.name


# Values a compromised sandbox child could send back instead of an op's result.
JUNK: list[Any] = [
    None,
    "text",
    3,
    [],
    {},
    {"outputs": "x"},
    {"outputs": [None, None, None, None]},
    {"outputs": [np.zeros((0,), np.float32)] * 4, "params": {"scale": "x"}},
    {"outputs": [np.full((2, 3, 4), np.nan, np.float32)] * 4},
    {"load_error": "bad", "outputs": []},
    {"results": "x", "round_trips": 3},
    {"results": [None] * 4},
    {"results": [{"value": "x"}] * 4, "round_trips": [None, None]},
    {"results": [{"raised": 5, "message": None}] * 4},
    {"results": [{"value": [1, 2, 3]}] * 4, "round_trips": [{"text": 5}] * 2},
    {"values": 3, "rows": "x"},
    {"values": {"inputs": {"value": np.zeros((2, 2), np.int64)}}, "rows": {}},
    {
        "values": {"inputs": {"value": np.zeros((2, 2), np.int64)}},
        "rows": {"token_embedding_layer.weight": {"ids": np.zeros(3, np.int64), "values": "x"}},
    },
    {"items": [None], "len": 1},
    {"items": [[np.zeros(3, np.int64), np.zeros(3, np.int64)]] * 3, "len": 3},
    {"passes": [[None]], "len": 1},
    {"passes": [[[np.zeros((2, 3), np.int64), np.zeros((2, 3), np.int64)]]], "len": 1},
    {"parameters": {"x": 1}, "attributes": 3, "params": {"a": [1, "x"]}},
    {"parameters": [[1, 2]]},
    {"params": {"out_head.weight": [50257, 768]}, "total": 5},
    {"output": np.zeros((2, 3), np.float32), "seen_lengths": "x"},
    {"output": np.zeros((9, 9), np.int64)},
    {"raised": 5, "message": None},
]


def assert_never_crashes_on_junk(slug: str) -> None:
    rng = np.random.default_rng(0)
    for check in spec_for(slug).checks:
        built = list(check.build(rng))
        for value in JUNK:
            outcome = check.judge(built, [ProbeResult(ok=True, value=value)] * len(built))
            assert outcome.status in ("fail", "error"), (check.name, value)
        error = ProbeResult(ok=False, error=ProbeError("RuntimeError", "boom", ""))
        assert check.judge(built, [error] * len(built)).status in ("fail", "error")
        timeout = ProbeResult(ok=False, timed_out=True)
        assert check.judge(built, [timeout] * len(built)).status in ("fail", "error")


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


def assert_probes_randomised(check: Check, *, fixed: frozenset[str] = frozenset()) -> None:
    one = [(p.op, _fingerprint(p.args)) for p in check.build(np.random.default_rng(1))]
    two = [(p.op, _fingerprint(p.args)) for p in check.build(np.random.default_rng(2))]
    if check.name in fixed:
        assert one == two  # reads the learner's own values or fixed book numbers
    else:
        assert one != two


def assert_probes_plain(check: Check) -> None:
    for probe in check.build(np.random.default_rng(3)):
        assert probe.op in probes.OPS
        assert all(_plain(probe.args)), probe.args


def assert_video_and_card(slug: str) -> None:
    for check in spec_for(slug).checks:
        assert check.video is not None and re.fullmatch(r"[A-Za-z0-9_-]{11}", check.video)
        assert check.card is not None and 1 <= check.card <= 50
        assert check.needs


def probe_seconds(slug: str, tmp_path: Path, *, skip: frozenset[str] = frozenset()) -> float:
    """In-process probe time of the book's code with one torch thread (a sandbox slot)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        module = import_source((SOLUTIONS / slug / "book.py").read_text(), tmp_path)
        rng = np.random.default_rng(0)
        built = [list(c.build(rng)) for c in spec_for(slug).checks if c.name not in skip]
        start = time.perf_counter()
        for probes_ in built:
            for probe in probes_:
                assert run_probe(module, probe).ok, probe.op
        return time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
