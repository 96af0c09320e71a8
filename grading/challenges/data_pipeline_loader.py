"""The create_dataloader_v1 checks of the ``data-pipeline`` challenge: batches in order,
drop_last, shuffling and the book's defaults (``probes.loader_batches`` / ``signature``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grading.challenges.base import Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import failed, first_difference, passed, probe_failure
from grading.challenges.data_pipeline_dataset import (
    CARD_CONTEXT,
    DEFAULTS,
    EOT,
    LOADER,
    VIDEO,
    hidden_text,
    ids_pair,
    randint,
    window_variants,
)
from grading.reference import data as ref
from grading.reference import tokenizer as tok

# --- create_dataloader_v1 ------------------------------------------------------------------------


def _loader_probe(txt: str, passes: int = 1, seed: int | None = None, **kwargs: Any) -> Probe:
    args: dict[str, Any] = {
        "name": LOADER,
        "args": [txt],
        "kwargs": {**kwargs, "num_workers": 0},
        "passes": passes,
    }
    if seed is not None:
        args["seed"] = seed
    return Probe("loader_batches", args)


def _loader_what(probe: Probe) -> str:
    kw = probe.args["kwargs"]
    shown = ", ".join(
        f"{k}={kw[k]}"
        for k in ("batch_size", "max_length", "stride", "shuffle", "drop_last")
        if k in kw
    )
    return f"{LOADER}(txt, {shown}, num_workers=0)"


def _loader_passes(
    probe: Probe, result: ProbeResult
) -> tuple[dict[str, Any], list[list[tuple[list[list[int]], list[list[int]]]]]] | CheckOutcome:
    what = _loader_what(probe)
    hint = ""
    if result.error is not None and "special token" in result.error.message:
        hint = f"The text holds {EOT}: the dataset must encode with allowed_special={{'{EOT}'}}."
    failure = probe_failure(result, what=what, hint=hint)
    if failure is not None:
        return failure
    value = result.value
    if not isinstance(value, dict) or not isinstance(value.get("passes"), list):
        return CheckOutcome("error", f"{what}: the sandbox returned no batches.")
    passes = []
    for one in value["passes"]:
        if not isinstance(one, list):
            return CheckOutcome("error", f"{what}: the sandbox returned no batches.")
        batches = []
        for k, batch in enumerate(one):
            pair = ids_pair(batch)
            if pair is None:
                return failed(
                    f"{what}: batch {k} should be (inputs, targets), two integer tensors of "
                    "shape (batch_size, max_length): return torch.utils.data.DataLoader(...)."
                )
            batches.append(pair)
        passes.append(batches)
    return value, passes


def _expected_windows(probe: Probe) -> list[ref.Window]:
    kw = probe.args["kwargs"]
    ids = tok.bpe_encode(probe.args["args"][0], allowed_special={EOT})
    return ref.windows(ids, kw["max_length"], kw["stride"])


def _flat(batches: Sequence[ref.Batch]) -> list[ref.Window]:
    return [(x, y) for b in batches for x, y in zip(b[0], b[1], strict=False)]


def _batches_problem(
    probe: Probe, what: str, expected: list[ref.Batch], got: list[ref.Batch]
) -> CheckOutcome:
    """Why the learner's batches differ: the windows, their order, or the batch sizes."""
    kw = probe.args["kwargs"]
    flat, expected_flat = _flat(got), _flat(expected)
    sizes = [len(b[0]) for b in got]
    expected_sizes = [len(b[0]) for b in expected]
    if flat == expected_flat:
        return failed(f"{what}: expected batches of {expected_sizes} rows, got {sizes}.")
    every = {(tuple(x), tuple(y)) for x, y in _expected_windows(probe)}
    drawn = [(tuple(x), tuple(y)) for x, y in flat]
    if sorted(flat) == sorted(expected_flat) or (
        len(flat) == len(expected_flat) and len(set(drawn)) == len(drawn) and set(drawn) <= every
    ):
        return failed(
            f"{what}: the windows are right but shuffled: pass shuffle=shuffle to the DataLoader."
        )
    ids = tok.bpe_encode(probe.args["args"][0], allowed_special={EOT})
    drop = bool(kw["drop_last"])
    for windows, message in window_variants(ids, kw["max_length"], kw["stride"]):
        if flat == _flat(ref.batches(windows, kw["batch_size"], drop_last=drop)):
            return failed(f"{what}: the windows in the batches are wrong. {message}")
    k = first_difference(expected_flat, flat) or 0
    exp = (
        f"input {expected_flat[k][0]} -> target {expected_flat[k][1]}"
        if k < len(expected_flat)
        else "no more windows"
    )
    found = f"input {flat[k][0]} -> target {flat[k][1]}" if k < len(flat) else "no more windows"
    return failed(f"{what}: window {k} of the batches should be {exp}, got {found}.")


def batches_check(name: str, *, drop_last: bool) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        max_length = randint(rng, 3, 8)
        stride = randint(rng, 1, max_length)
        txt = hidden_text(rng, randint(rng, 40, 70))
        n = len(ref.windows(tok.bpe_encode(txt, allowed_special={EOT}), max_length, stride))
        # A batch size that does not divide the number of windows: the last batch is partial.
        batch_size = next(b for b in (3, 4, 5, 6, 7) if n % b) if n > 2 else 2
        return [
            _loader_probe(
                txt,
                batch_size=batch_size,
                max_length=max_length,
                stride=stride,
                shuffle=False,
                drop_last=drop_last,
            )
        ]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        probe = probes[0]
        read = _loader_passes(probe, results[0])
        if isinstance(read, CheckOutcome):
            return read
        value, passes = read
        what = _loader_what(probe)
        kw = probe.args["kwargs"]
        windows = _expected_windows(probe)
        expected = ref.batches(windows, kw["batch_size"], drop_last=drop_last)
        got = passes[0]
        if got != expected:
            partial = ref.batches(windows, kw["batch_size"], drop_last=not drop_last)
            if got == partial:
                return failed(
                    f"{what}: the last, smaller batch was "
                    + ("kept" if drop_last else "dropped")
                    + ": pass drop_last=drop_last to the DataLoader."
                )
            return _batches_problem(probe, what, expected, got)
        if value.get("len") != len(expected):
            return failed(f"{what}: len(loader) is {value.get('len')}, expected {len(expected)}.")
        return passed(
            f"The batches are the windows in order, {kw['batch_size']} per batch"
            + (", the partial last batch dropped." if drop_last else ", the last one partial.")
        )

    setting = "drop_last=True drops" if drop_last else "drop_last=False keeps"
    return Check(
        name,
        f"{LOADER}(txt, batch_size, max_length, stride, shuffle=False, ...) gives the GPT-2 "
        f"windows in order as (inputs, targets) batches of shape (batch_size, max_length); "
        f"{setting} the smaller last batch.",
        build,
        judge,
        video=VIDEO,
        card=CARD_CONTEXT,
        needs=(LOADER,),
    )


def shuffle_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        max_length = randint(rng, 3, 5)
        txt = hidden_text(rng, 16 * max_length)
        kwargs = {"batch_size": randint(rng, 1, 3), "max_length": max_length, "stride": max_length}
        return [
            _loader_probe(
                txt,
                passes=2,
                seed=int(rng.integers(2**31 - 1)),
                shuffle=True,
                drop_last=False,
                **kwargs,
            )
        ]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        probe = probes[0]
        read = _loader_passes(probe, results[0])
        if isinstance(read, CheckOutcome):
            return read
        _, passes = read
        what = _loader_what(probe)
        windows = _expected_windows(probe)
        expected = sorted((tuple(x), tuple(y)) for x, y in windows)
        orders = []
        for one in passes:
            rows = [(tuple(x), tuple(y)) for b in one for x, y in zip(b[0], b[1], strict=False)]
            if sorted(rows) != expected:
                dropped = len(rows) < len(expected) and set(rows) <= set(expected)
                hint = (
                    " The last partial batch was dropped: pass drop_last=drop_last."
                    if dropped
                    else ""
                )
                return failed(
                    f"{what}: one pass over the loader should hold every window exactly once "
                    f"({len(expected)} windows, {len(rows)} found), shuffled.{hint}"
                )
            orders.append(rows)
        sequential = [(tuple(x), tuple(y)) for x, y in windows]
        if all(order == sequential for order in orders):
            return failed(
                f"{what}: the windows come out in order: pass shuffle=shuffle to the DataLoader."
            )
        return passed(
            "shuffle=True shuffles the windows; every window still appears once per pass."
        )

    return Check(
        name,
        f"{LOADER}(..., shuffle=True) returns every window once per pass, in shuffled order.",
        build,
        judge,
        video=VIDEO,
        card=CARD_CONTEXT,
        needs=(LOADER,),
    )


def defaults_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        return [Probe("signature", {"name": LOADER})]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        failure = probe_failure(results[0], what=f"inspect.signature({LOADER})")
        if failure is not None:
            return failure
        value = results[0].value
        params = value.get("parameters") if isinstance(value, dict) else None
        if not isinstance(params, list) or not all(
            isinstance(p, list) and len(p) == 4 for p in params
        ):
            return CheckOutcome("error", "The sandbox returned no signature.")
        found = {p[0]: (p[2], p[3]) for p in params}
        book = (
            "create_dataloader_v1(txt, batch_size=4, max_length=256, stride=128, "
            "shuffle=True, drop_last=True, num_workers=0)"
        )
        if not params or params[0][0] != "txt" or params[0][2]:
            return failed(f"The first parameter should be txt, without a default: {book}.")
        for key, default in DEFAULTS.items():
            if key not in found:
                return failed(f"{LOADER} has no parameter {key}: {book}.")
            has, value_ = found[key]
            if not has or value_ != default or type(value_) is not type(default):
                shown = repr(value_) if has else "no default"
                return failed(
                    f"{LOADER}'s {key} defaults to {shown}; the book's is {default!r}: {book}."
                )
        return passed("create_dataloader_v1 has the book's parameters and defaults.")

    return Check(
        name,
        f"{LOADER}(txt, batch_size=4, max_length=256, stride=128, shuffle=True, drop_last=True, "
        "num_workers=0): the book's parameters and defaults.",
        build,
        judge,
        video=VIDEO,
        card=CARD_CONTEXT,
        needs=(LOADER,),
    )
