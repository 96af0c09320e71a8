"""Shared helpers for the chapter 5-7 challenge tests (training, sampling, model-io,
classification-finetune, instruction-finetune).

Solution fixtures live in ``tests/grading/solutions/<slug>/``: ``book.py`` is a complete
learner file (the book's code, with its chapter 4 GPTModel where the chapter needs one);
``variant_*.py`` and ``mistake_*.py`` hold only the functions they change and are graded
*appended to* ``book.py`` (later definitions win), so every fixture is one realistic edit of
the book's code. Grading runs in-process (``grade_in_process``: development only).
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import get_spec
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, ProbeError, ProbeResult
from grading.challenges.inprocess import grade_in_process, import_source, run_probe
from grading.sandbox import probes

SOLUTIONS = Path(__file__).parent / "solutions"
STARTERS = Path(__file__).resolve().parents[2] / "grading" / "challenges" / "starters"
STARTER_FILES = {
    "training": "training.py",
    "sampling": "sampling.py",
    "model-io": "model_io.py",
    "classification-finetune": "classification_finetune.py",
    "instruction-finetune": "instruction_finetune.py",
}
OPTIONAL_CHECKS = {"appendix_d_train_model"}  # pass (skipped) when the name is not defined
# The seed's id for "Temperature Scaling in Text Generation", used as given (DESIGN.md §3
# reports it; the curriculum page links the playlist instead of a broken player).
MALFORMED_VIDEO_IDS = {"ORUMDP3fEQ"}


def spec_for(slug: str) -> ChallengeSpec:
    spec = get_spec(slug)
    assert spec is not None
    return spec


def source(slug: str, filename: str) -> str:
    """The learner file a fixture stands for: ``book.py``, or ``book.py`` + the override."""
    book = (SOLUTIONS / slug / "book.py").read_text()
    if filename == "book.py":
        return book
    return book + "\n\n# --- " + filename + "\n" + (SOLUTIONS / slug / filename).read_text()


@functools.cache
def report(slug: str, filename: str, seed: int) -> dict[str, CheckOutcome]:
    with contextlib.redirect_stdout(io.StringIO()):  # train_model_simple prints
        graded = grade_in_process(
            spec_for(slug), source(slug, filename), rng=np.random.default_rng(seed)
        )
    return {check.name: outcome for check, outcome in graded}


def fixtures(slugs: tuple[str, ...], prefix: str) -> list[tuple[str, str]]:
    return [
        (slug, p.name) for slug in slugs for p in sorted((SOLUTIONS / slug).glob(f"{prefix}*.py"))
    ]


def failures(outcomes: dict[str, CheckOutcome]) -> dict[str, str]:
    return {name: f"{o.status}: {o.message}" for name, o in outcomes.items() if o.status != "pass"}


def all_checks(slugs: tuple[str, ...]) -> list[tuple[str, Check]]:
    return [(slug, check) for slug in slugs for check in spec_for(slug).checks]


# --- Generic assertions (called from each test module) -------------------------------------------


def assert_starter_fails_helpfully(slug: str, tmp_path: Path) -> None:
    spec = spec_for(slug)
    starter = (STARTERS / STARTER_FILES[slug]).read_text()
    assert spec.starter == starter
    import_source(starter, tmp_path)  # imports cleanly
    graded = grade_in_process(spec, starter, rng=np.random.default_rng(0))
    for check, outcome in graded:
        if check.name in OPTIONAL_CHECKS:
            assert outcome.status == "pass" and "optional" in outcome.message.lower()
            continue
        assert outcome.status != "pass", check.name
        assert len(outcome.message) > 20, check.name


def fingerprint(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return tuple(sorted((k, fingerprint(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(fingerprint(v) for v in value)
    return value


def plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf"
    return isinstance(value, str | int | float | bool) or value is None


def assert_randomised_plain_probes(check: Check) -> None:
    one = [(p.op, fingerprint(p.args)) for p in check.build(np.random.default_rng(1))]
    two = [(p.op, fingerprint(p.args)) for p in check.build(np.random.default_rng(2))]
    assert one != two
    for probe in check.build(np.random.default_rng(3)):
        assert probe.op in probes.OPS
        assert plain(probe.args), probe.op


def assert_video_and_card(check: Check) -> None:
    assert check.video is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]{11}", check.video) or check.video in MALFORMED_VIDEO_IDS, (
        check.video
    )
    assert check.card is not None and 1 <= check.card <= 50
    assert check.needs


JUNK: list[Any] = [
    None,
    "text",
    3,
    [],
    {},
    {"results": "x"},
    {"results": [None, 1, "a"]},
    {"results": [{"value": "x"}] * 8},
    {"results": [{"raised": 5, "message": None}] * 8},
    {"results": [{"kind": "tensor", "shape": [], "value": np.float32(np.nan)}] * 8},
    {"outputs": [np.zeros((0,), np.float32)]},
    {"outputs": [np.full((2, 3, 4), np.nan, np.float32)]},
    {"load_error": "bad"},
    {"value": [[1.0], ["x"], [None]], "defined": True},
    {"value": [[np.nan] * 3, [np.nan] * 3, [1, 2, 3]], "defined": True},
    {"file": {"refused": 3}, "loaded": {"x": 1}, "optimizer_state": [], "losses_a": "x"},
    {"before": {}, "after": {"tok_emb.weight": "x"}, "logits": 1},
    {"len": -1, "max_length": "x", "items": [[1, 2], "x"]},
    {"returned": "same", "trainable": {"a": 1}, "shapes": {"out_head.weight": [2, 3]}},
    {"forwards": [[False, False]], "training_after": True, "value": ["a", "b"]},
]


def _good_gpt(probe: Any) -> ProbeResult | None:
    """The right answer to a GPTModel precondition probe (``training_common.gpt_probe``)."""
    from grading.reference import training as ref

    if probe.op != "module_forward" or probe.args.get("cls") != "GPTModel":
        return None
    cfg, idx = probe.args["args"][0], probe.args["calls"][0][0]
    logits = ref.logits_np(probe.args["tensors"], cfg, idx).astype(np.float32)
    return ProbeResult(ok=True, value={"outputs": [logits]})


def assert_judges_survive_junk(slug: str) -> None:
    """A compromised sandbox child can send anything back; judges answer, never raise."""
    rng = np.random.default_rng(0)
    for check in spec_for(slug).checks:
        built = list(check.build(rng))
        for value in JUNK:
            junk = ProbeResult(ok=True, value=value)
            # Once with junk everywhere, once behind a GPTModel that answered correctly.
            for results in ([junk] * len(built), [_good_gpt(p) or junk for p in built]):
                outcome = check.judge(built, results)
                assert outcome.status in ("fail", "error") or (
                    check.name in OPTIONAL_CHECKS and outcome.status == "pass"
                ), (check.name, value)
        error = ProbeResult(ok=False, error=ProbeError("RuntimeError", "boom", ""))
        assert check.judge(built, [error] * len(built)).status in ("fail", "error")
        timeout = ProbeResult(ok=False, timed_out=True)
        assert check.judge(built, [timeout] * len(built)).status in ("fail", "error")


def probe_seconds(slug: str, tmp_path: Path, seed: int = 0) -> float:
    """Wall time of every probe of one grading run, in-process, with one torch thread (as in
    a sandbox slot); the book's code."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        module = import_source(source(slug, "book.py"), tmp_path)
        rng = np.random.default_rng(seed)
        elapsed = 0.0
        for check in spec_for(slug).checks:
            built = list(check.build(rng))
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                for probe in built:
                    run_probe(module, probe)
            elapsed += time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    return elapsed
