"""The GPTDatasetV1 checks of the ``data-pipeline`` challenge, and helpers shared with the
DataLoader checks (``data_pipeline_loader``): hidden text, the book's windows, known windowing
mistakes. See ``data_pipeline`` for the challenge as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grading.challenges.base import Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import failed, first_difference, passed, probe_failure
from grading.challenges.tokenizer_bpe import bpe_text
from grading.reference import data as ref
from grading.reference import tokenizer as tok

VIDEO = "KA02GeM0pv4"  # Data sampling with a sliding window
CARD_WINDOW, CARD_CONTEXT = 4, 37
DATASET, LOADER = "GPTDatasetV1", "create_dataloader_v1"
EOT = tok.ENDOFTEXT
RANGE = "for i in range(0, len(token_ids) - max_length, stride)"
DEFAULTS = {
    "batch_size": 4,
    "max_length": 256,
    "stride": 128,
    "shuffle": True,
    "drop_last": True,
    "num_workers": 0,
}


def randint(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def hidden_text(rng: np.random.Generator, min_tokens: int, *, special: bool = False) -> str:
    """Hidden text with at least ``min_tokens`` GPT-2 tokens (and <|endoftext|> if asked)."""
    text = ""
    while len(tok.bpe_encode(text, allowed_special="all")) < min_tokens:
        part = bpe_text(rng, randint(rng, 8, 16))
        text += (f" {EOT} " if special and rng.random() < 0.5 else " ") + part if text else part
    if special and EOT not in text:
        text += f" {EOT} " + bpe_text(rng, 6)
    return text


def _ids(probe: Probe) -> list[int]:
    if probe.args.get("tokenizer") == "chars":
        return [ord(c) for c in probe.args["txt"]]
    return tok.bpe_encode(probe.args["txt"], allowed_special={EOT})


def _rows(value: Any) -> list[list[int]] | None:
    """A tensor of ids as a list of rows (1-D -> one row), or None when it is not one."""
    if (
        not isinstance(value, np.ndarray)
        or value.dtype.kind not in "iu"
        or value.ndim not in (1, 2)
    ):
        return None
    return [[int(v) for v in row] for row in np.atleast_2d(value)]


def ids_pair(item: Any) -> tuple[list[list[int]], list[list[int]]] | None:
    if not isinstance(item, list) or len(item) != 2:
        return None
    x, y = _rows(item[0]), _rows(item[1])
    return None if x is None or y is None else (x, y)


def _describe_windows(items: Sequence[ref.Window], limit: int = 4) -> str:
    lines = [f"input {x} -> target {y}" for x, y in items[:limit]]
    return "\n".join(lines) + ("\n..." if len(items) > limit else "")


def window_variants(
    ids: list[int], max_length: int, stride: int
) -> list[tuple[list[ref.Window], str]]:
    """Windows cut with a known mistake, each with the message that names it."""
    variants = [
        (
            ref.windows(ids, max_length, stride, target_shift=0),
            "The targets equal the inputs: a target is its input shifted by one token, "
            "token_ids[i + 1 : i + max_length + 1].",
        ),
        (
            ref.windows(ids, max_length, stride, end_offset=1),
            f"There is one window too many: the last target runs past the text. Use {RANGE}.",
        ),
        (
            ref.windows(ids, max_length, stride, end_offset=max_length),
            f"The last windows run past the end of the text and are shorter. Use {RANGE}.",
        ),
        (
            ref.windows(ids, max_length, max_length),
            f"The windows start max_length apart: step by stride ({RANGE}).",
        ),
        (
            ref.windows(ids, max_length, 1),
            f"The windows start one token apart: step by stride ({RANGE}).",
        ),
    ]
    correct = ref.windows(ids, max_length, stride)
    return [(w, message) for w, message in variants if w != correct]


def _name_window_mistake(
    ids: list[int],
    max_length: int,
    stride: int,
    got: list[ref.Window],
    *,
    length: Any = None,
    indices: list[int] | None = None,
) -> str | None:
    """The message of a known windowing mistake that reproduces the learner's windows (all of
    them, or ``len`` plus the items at ``indices``), else None."""
    for windows, message in window_variants(ids, max_length, stride):
        if length is not None and len(windows) != length:
            continue
        try:
            picked = windows if indices is None else [windows[i] for i in indices]
        except IndexError:
            continue
        if picked == got:
            return message
    return None


def _judge_dataset(probe: Probe, result: ProbeResult) -> CheckOutcome | None:
    a = probe.args
    what = f"{DATASET}(txt, tokenizer, max_length={a['max_length']}, stride={a['stride']})"
    hint = ""
    if result.error is not None and "special token" in result.error.message:
        hint = f"The text holds {EOT}: encode with allowed_special={{'{EOT}'}}."
    failure = probe_failure(result, what=what, hint=hint)
    if failure is not None:
        return failure
    value = result.value
    if not isinstance(value, dict) or not isinstance(value.get("items"), list):
        return CheckOutcome("error", f"{what}: the sandbox returned no items.")
    ids = _ids(probe)
    expected = ref.windows(ids, a["max_length"], a["stride"])
    indices = a.get("indices")
    wanted = expected if indices is None else [expected[i] for i in indices]
    got: list[ref.Window] = []
    for k, item in enumerate(value["items"]):
        pair = ids_pair(item)
        if pair is None or len(pair[0]) != 1 or len(pair[1]) != 1:
            return failed(
                f"{what}: item {k} should be a pair (input_ids, target_ids) of 1-D integer "
                "tensors, e.g. (torch.tensor(input_chunk), torch.tensor(target_chunk))."
            )
        got.append((pair[0][0], pair[1][0]))
    n = value.get("len")
    named = _name_window_mistake(
        ids, a["max_length"], a["stride"], got, length=n if indices else None, indices=indices
    )
    tail = f" {named}" if named else ""
    if n != len(expected):
        return failed(
            f"{what}: expected {len(expected)} windows for {len(ids)} tokens ({RANGE}), "
            f"len(dataset) is {n}.{tail}",
            "expected:\n" + _describe_windows(expected),
        )
    if got != wanted:
        k = first_difference(wanted, got) or 0
        if k >= len(got) or k >= len(wanted):
            return CheckOutcome("error", f"{what}: the sandbox returned {len(got)} items.")
        index = k if indices is None else indices[k]
        return failed(
            f"{what}: item {index} should be input {wanted[k][0]} -> target {wanted[k][1]}, "
            f"got input {got[k][0]} -> target {got[k][1]}.{tail}",
            "expected:\n" + _describe_windows(expected),
        )
    return None


def _dataset_probe(txt: str, max_length: int, stride: int, **extra: Any) -> Probe:
    return Probe(
        "dataset_items",
        {"cls": DATASET, "txt": txt, "max_length": max_length, "stride": stride, **extra},
    )


def _dataset_check(
    name: str,
    description: str,
    build: Any,
    success: str,
    *,
    card: int,
) -> Check:
    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        for probe, result in zip(probes, results, strict=True):
            outcome = _judge_dataset(probe, result)
            if outcome is not None:
                return outcome
        return passed(success)

    return Check(name, description, build, judge, video=VIDEO, card=card, needs=(DATASET,))


def windows_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for k in range(2):
            max_length = randint(rng, 3, 8)
            txt = hidden_text(rng, randint(rng, 30, 60))
            stride = randint(rng, 1, max_length)
            if k == 1:
                # A stride that divides len(ids) - max_length: then an off-by-one range end
                # adds a window (the last target would run past the text).
                n = len(tok.bpe_encode(txt, allowed_special={EOT})) - max_length
                stride = int(rng.choice([d for d in range(1, max_length + 1) if n % d == 0]))
            probes.append(_dataset_probe(txt, max_length, stride))
        return probes

    return _dataset_check(
        name,
        f"{DATASET}(txt, tokenizer, max_length, stride) holds exactly the book's windows: input "
        "token_ids[i : i + max_length], target token_ids[i + 1 : i + max_length + 1], for "
        f"{RANGE}.",
        build,
        "Every input and target window is exactly right.",
        card=CARD_WINDOW,
    )


def strides_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        max_length = randint(rng, 4, 8)
        txt = hidden_text(rng, randint(rng, 40, 70))
        strides = [1, randint(rng, 2, max_length - 1), max_length, max_length + randint(rng, 1, 3)]
        return [_dataset_probe(txt, max_length, s, indices=[0, -1]) for s in strides]

    return _dataset_check(
        name,
        f"len({DATASET}) is len(range(0, len(token_ids) - max_length, stride)) for strides "
        "1, < max_length, = max_length and > max_length (first and last windows checked).",
        build,
        "The number of windows is right for every stride.",
        card=CARD_WINDOW,
    )


def tokenizer_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        max_length = randint(rng, 3, 6)
        txt = bpe_text(rng, randint(rng, 8, 14))
        return [_dataset_probe(txt, max_length, randint(rng, 1, max_length), tokenizer="chars")]

    return _dataset_check(
        name,
        f"{DATASET} encodes the text with the tokenizer it is given (here one whose ids are "
        "the characters' code points), not a tokenizer of its own.",
        build,
        f"{DATASET} uses the tokenizer it is given.",
        card=CARD_WINDOW,
    )


def endoftext_check(name: str) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        max_length = randint(rng, 3, 8)
        txt = hidden_text(rng, randint(rng, 30, 50), special=True)
        return [_dataset_probe(txt, max_length, randint(rng, 1, max_length))]

    return _dataset_check(
        name,
        f"Text holding {EOT} is encoded with allowed_special={{'{EOT}'}}: the windows hold its "
        f"id {tok.ENDOFTEXT_ID}.",
        build,
        f"{EOT} becomes id {tok.ENDOFTEXT_ID} inside the windows.",
        card=CARD_CONTEXT,
    )
