"""Chapter 7 challenge ``instruction-finetune``: the Alpaca-style prompt, InstructionDataset,
the padding/masking collate function and response extraction.

Entries come from the project's own synthetic instruction set
(``grading.fixtures.instructions``: the book's JSON list of ``instruction``/``input``/
``output``). Expected strings and ids are computed here after the sandbox answered, with
tiktoken's GPT-2 encoding built offline (``grading.reference.tokenizer``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import as_array, as_int_list, failed, fmt_shape, passed, short
from grading.challenges.training_common import calls_of, raised_text, rint, seed_of, value_of
from grading.fixtures import instructions
from grading.reference import tokenizer as tok_ref

STARTERS = Path(__file__).parent / "starters"

VID_DATA = "epsaFNREHos"  # Preparing a dataset for instruction fine-tuning (7.2)
VID_BATCHES = "tDQ7Gbh9_3w"  # Organizing data into training batches (7.3)
VID_LOADERS = "nTp9AP2xra4"  # Creating data loaders for an instruction dataset (7.4)
VID_EXTRACT = "W7yaec7jCPY"  # Extracting and saving responses (7.7)
CARD_INSTRUCT, CARD_ALPACA, CARD_PREP, CARD_EVAL = 33, 34, 35, 36
PAD, IGNORE = 50256, -100
PREAMBLE = (
    "Below is an instruction that describes a task. Write a response that "
    "appropriately completes the request."
)
NAMES = ("format_input", "InstructionDataset", "custom_collate_fn", "extract_response")


def format_input(entry: dict[str, str]) -> str:
    """The book's Alpaca-style prompt (reference)."""
    text = f"{PREAMBLE}\n\n### Instruction:\n{entry['instruction']}"
    return text + (f"\n\n### Input:\n{entry['input']}" if entry["input"] else "")


def response_text(entry: dict[str, str]) -> str:
    return f"\n\n### Response:\n{entry['output']}"


def collate(
    batch: Sequence[Sequence[int]], allowed_max_length: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """custom_collate_fn (reference): one pad appended, pad to the longest + 1, shift, every
    pad but the first of each target row -> -100, truncate."""
    width = max(len(item) + 1 for item in batch)
    inputs, targets = [], []
    for item in batch:
        padded = list(item) + [PAD] * (width - len(item))
        x, y = padded[:-1], padded[1:]
        y = y[: len(item) - 1] + [PAD] + [IGNORE] * (len(y) - len(item))
        if allowed_max_length is not None:
            x, y = x[:allowed_max_length], y[:allowed_max_length]
        inputs.append(x)
        targets.append(y)
    return np.array(inputs, np.int64), np.array(targets, np.int64)


def _entries(rng: np.random.Generator, count: int) -> list[dict[str, str]]:
    pool = instructions.entries(seed_of(rng) % 10_000, n=40)
    with_input = [e for e in pool if e["input"]]
    without = [e for e in pool if not e["input"]]
    half = count // 2
    chosen = [with_input[int(i)] for i in rng.permutation(len(with_input))[:half]]
    chosen += [without[int(i)] for i in rng.permutation(len(without))[: count - half]]
    return [chosen[int(i)] for i in rng.permutation(len(chosen))]


def _first_diff(got: str, want: str) -> str:
    i = next(
        (i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b),
        min(len(got), len(want)),
    )
    return (
        f"they differ at character {i}: expected {short(want[max(0, i - 15) : i + 25], 70)}, "
        f"got {short(got[max(0, i - 15) : i + 25], 70)}"
    )


# --- format_input -------------------------------------------------------------------------------


def _format_build(rng: np.random.Generator) -> list[Probe]:
    entries = _entries(rng, 4)
    return [
        Probe("function_calls", {"name": "format_input", "calls": [[[e], {}] for e in entries]})
    ]


def _format_diagnosis(got: str, entry: dict[str, str]) -> str:
    want = format_input(entry)
    if not got.startswith(PREAMBLE):
        return f"the prompt must start with the book's sentence {PREAMBLE!r}."
    if not entry["input"] and "### Input:" in got:
        return "this entry's input is empty, so the '### Input:' section must be left out entirely."
    if entry["input"] and "### Input:" not in got:
        return "the input is missing: append '\\n\\n### Input:\\n' + entry['input']."
    if "### Response:" in got:
        return (
            "format_input stops before the response: '\\n\\n### Response:\\n' + output is "
            "added by InstructionDataset (and left out at inference time)."
        )
    if got.rstrip() == want:
        return "there is trailing whitespace after the prompt."
    return _first_diff(got, want) + " (sections are separated by a blank line: '\\n\\n')."


def _format_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    calls_in = probes[0].args["calls"]
    value = value_of(results[0], what="format_input(entry)")
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(calls_in), what="format_input")
    if isinstance(calls, CheckOutcome):
        return calls
    for (args, _), call in zip(calls_in, calls, strict=True):
        entry = args[0]
        what = (
            f"format_input({{'instruction': {short(entry['instruction'], 40)}, 'input': "
            f"{short(entry['input'], 30)}, ...}})"
        )
        error = raised_text(call)
        if error is not None:
            return failed(f"{what} raised {error}.")
        got = call.get("value")
        if not isinstance(got, str):
            return failed(f"{what} returned a {type(got).__name__}, expected a str.")
        if got != format_input(entry):
            return failed(
                f"{what}: {_format_diagnosis(got, entry)}",
                f"expected:\n{format_input(entry)!r}\ngot:\n{got!r}",
            )
    return passed(
        "format_input writes the book's Alpaca-style prompt exactly, with the Input "
        "section only when there is an input."
    )


# --- InstructionDataset ---------------------------------------------------------------------------


def _dataset_build(rng: np.random.Generator) -> list[Probe]:
    entries = _entries(rng, rint(rng, 3, 5))
    return [
        Probe(
            "instruction_dataset_run",
            {"data": entries, "indices": list(range(len(entries)))},
            timeout_s=10.0,
        )
    ]


def _dataset_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    entries = probes[0].args["data"]
    value = value_of(results[0], what="InstructionDataset(data, tokenizer)")
    if isinstance(value, CheckOutcome):
        return value
    if value.get("len") != len(entries):
        return failed(
            f"len(InstructionDataset(data, tokenizer)) is {value.get('len')!r}, "
            f"data has {len(entries)} entries."
        )
    items = value.get("items") if isinstance(value.get("items"), list) else []
    if len(items) != len(entries):
        return CheckOutcome("error", "InstructionDataset: the sandbox returned no items.")
    for i, (entry, item) in enumerate(zip(entries, items, strict=True)):
        want_text = format_input(entry) + response_text(entry)
        want = tok_ref.bpe_encode(want_text)
        got = as_int_list(item)
        if got is None:
            return failed(
                f"InstructionDataset[{i}] should be the list of token ids of the "
                f"prompt plus response, got {type(item).__name__}."
            )
        if got != want:
            text = tok_ref.bpe_decode([t for t in got if 0 <= t < 50257])
            if text == format_input(entry):
                reason = (
                    "the response is missing: encode format_input(entry) + "
                    "f\"\\n\\n### Response:\\n{entry['output']}\"."
                )
            else:
                reason = _first_diff(text, want_text) + "."
            return failed(
                f"InstructionDataset[{i}]: {reason}",
                f"expected text:\n{want_text!r}\ndecoded from your ids:\n{text!r}",
            )
    return passed(
        "InstructionDataset pre-encodes prompt + '\\n\\n### Response:\\n' + output for every entry."
    )


# --- custom_collate_fn ----------------------------------------------------------------------------


def _batch(rng: np.random.Generator) -> list[list[int]]:
    size = rint(rng, 3, 4)
    lengths = rng.permutation([rint(rng, 2, 4)] + [rint(rng, 5, 9) for _ in range(size - 1)])
    return [[int(t) for t in rng.integers(0, 50000, int(n))] for n in lengths]


def _collate_build(rng: np.random.Generator, *, truncate: bool = False) -> list[Probe]:
    calls = []
    for _ in range(2):
        batch = _batch(rng)
        kwargs: dict[str, Any] = {"device": "cpu"}
        if truncate:
            kwargs["allowed_max_length"] = rint(rng, 2, max(len(b) for b in batch) - 1)
        calls.append([[batch], kwargs])
    return [Probe("function_calls", {"name": "custom_collate_fn", "calls": calls})]


def _collate_outputs(
    probes: Sequence[Probe], results: Sequence[ProbeResult]
) -> list[tuple[list[list[int]], dict[str, Any], np.ndarray, np.ndarray, str]] | CheckOutcome:
    calls_in = probes[0].args["calls"]
    value = value_of(results[0], what="custom_collate_fn(batch)")
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(calls_in), what="custom_collate_fn")
    if isinstance(calls, CheckOutcome):
        return calls
    out = []
    for (args, kwargs), call in zip(calls_in, calls, strict=True):
        batch = args[0]
        shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        what = (
            f"custom_collate_fn(batch of {len(batch)} items of lengths "
            f"{[len(b) for b in batch]}, {shown})"
        )
        error = raised_text(call)
        if error is not None:
            return failed(f"{what} raised {error}.")
        pair = call.get("value")
        arrays = [as_array(v) for v in pair] if isinstance(pair, list) and len(pair) == 2 else None
        if arrays is None or any(a is None or a.dtype.kind not in "iu" for a in arrays):
            return failed(f"{what} should return (inputs, targets), two integer tensors.")
        out.append((batch, kwargs, arrays[0], arrays[1], what))  # type: ignore[arg-type]
    return out


def _shape_problem(
    what: str, x: np.ndarray, y: np.ndarray, want: np.ndarray, batch: list[list[int]]
) -> CheckOutcome | None:
    if x.shape == want.shape and y.shape == want.shape:
        return None
    longest = max(len(b) for b in batch)
    hint = (
        f" Pad every item to the longest + 1 ({longest + 1}) -- one extra {PAD} -- then "
        "inputs = padded[:-1] and targets = padded[1:]."
    )
    if x.shape[-1:] == (longest + 1,):
        hint = " Inputs drop the last token of the padded item: padded[:-1]." + hint
    return failed(
        f"{what}: inputs have shape {fmt_shape(x.shape)} and targets "
        f"{fmt_shape(y.shape)}, expected {fmt_shape(want.shape)} each.{hint}"
    )


def _pads_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    outs = _collate_outputs(probes, results)
    if isinstance(outs, CheckOutcome):
        return outs
    for batch, kwargs, x, y, what in outs:
        want_x, want_y = collate(batch, kwargs.get("allowed_max_length"))
        problem = _shape_problem(what, x, y, want_x, batch)
        if problem is not None:
            return problem
        if not np.array_equal(x, want_x):
            r, c = (int(v) for v in np.argwhere(x != want_x)[0])
            return failed(
                f"{what}: inputs[{r}, {c}] is {int(x[r, c])}, expected "
                f"{int(want_x[r, c])} (the item's ids, then pad_token_id {PAD})."
            )
        keep = (want_y != IGNORE) & (want_y != PAD)  # the padding: collate_masks_padding
        if not np.array_equal(y[keep], want_y[keep]):
            r, c = (int(v) for v in np.argwhere((y != want_y) & keep)[0])
            return failed(
                f"{what}: targets[{r}, {c}] is {int(y[r, c])}, expected "
                f"{int(want_y[r, c])}: targets are the padded item shifted left by "
                "one (padded[1:])."
            )
    return passed(
        f"custom_collate_fn pads with {PAD} to the longest item + 1 and shifts the "
        "targets by one token."
    )


def _mask_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    outs = _collate_outputs(probes, results)
    if isinstance(outs, CheckOutcome):
        return outs
    for batch, kwargs, x, y, what in outs:
        want_x, want_y = collate(batch, kwargs.get("allowed_max_length"))
        problem = _shape_problem(what, x, y, want_x, batch)
        if problem is not None:
            return problem
        if np.array_equal(y, want_y):
            continue
        if np.any(x == IGNORE):
            return failed(f"{what}: the inputs hold {IGNORE}: only the targets are masked.")
        for r, item in enumerate(batch):
            row = y[r]
            first = len(item) - 1  # the first padding position of this target row
            if first < row.shape[0] and row[first] == IGNORE:
                return failed(
                    f"{what}: in target row {r} the first padding token is {IGNORE} too; "
                    f"keep it as {PAD} so the model learns to emit <|endoftext|> -- replace "
                    "only the pads after it (targets[indices[1:]] = ignore_index)."
                )
            rest = row[first + 1 :]
            if rest.size and np.any(rest == PAD):
                return failed(
                    f"{what}: target row {r} still has {PAD} after the first padding token: "
                    f"replace every padding token but the first with ignore_index ({IGNORE}), "
                    "so cross_entropy skips them."
                )
        return failed(
            f"{what}: the targets' masking differs from the book's.",
            f"expected:\n{want_y}\ngot:\n{y}",
        )
    return passed(
        f"custom_collate_fn replaces every padding token but the first with {IGNORE} "
        "in the targets."
    )


def _truncate_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    outs = _collate_outputs(probes, results)
    if isinstance(outs, CheckOutcome):
        return outs
    for batch, kwargs, x, y, what in outs:
        limit = int(kwargs["allowed_max_length"])
        want_x, want_y = collate(batch, limit)
        if x.shape != want_x.shape or y.shape != want_y.shape:
            full, _ = collate(batch)
            hint = (
                " allowed_max_length is ignored: inputs = inputs[:allowed_max_length], "
                "targets likewise."
                if x.shape == full.shape
                else ""
            )
            return failed(
                f"{what}: inputs have shape {fmt_shape(x.shape)}, targets "
                f"{fmt_shape(y.shape)}, expected {fmt_shape(want_x.shape)}.{hint}"
            )
        if not (np.array_equal(x, want_x) and np.array_equal(y, want_y)):
            return failed(
                f"{what}: truncate after padding and masking, keeping the first "
                "allowed_max_length positions of inputs and targets."
            )
    return passed("custom_collate_fn truncates inputs and targets to allowed_max_length.")


# --- extract_response -----------------------------------------------------------------------------


def _extract_build(rng: np.random.Generator) -> list[Probe]:
    calls = []
    for entry in _entries(rng, 3):
        prompt = format_input(entry)
        tail = str(rng.choice(["", " ", "\n", "  \n"]))
        generated = prompt + response_text(entry) + tail
        calls.append([[generated, prompt], {}])
    # A model that does not write the Response header.
    entry = _entries(rng, 1)[0]
    calls.append([[format_input(entry) + "\n" + entry["output"] + " ", format_input(entry)], {}])
    return [Probe("function_calls", {"name": "extract_response", "calls": calls})]


def extract_response(generated_text: str, input_text: str) -> str:
    return generated_text[len(input_text) :].replace("### Response:", "").strip()


def _extract_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    calls_in = probes[0].args["calls"]
    value = value_of(results[0], what="extract_response(generated_text, input_text)")
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(calls_in), what="extract_response")
    if isinstance(calls, CheckOutcome):
        return calls
    for (args, _), call in zip(calls_in, calls, strict=True):
        generated, prompt = args
        want = extract_response(generated, prompt)
        what = f"extract_response(prompt + {short(generated[len(prompt) :], 60)}, prompt)"
        error = raised_text(call)
        if error is not None:
            return failed(f"{what} raised {error}.")
        got = call.get("value")
        if got == want:
            continue
        if not isinstance(got, str):
            return failed(f"{what} returned a {type(got).__name__}, expected a str.")
        if got.strip() == want:
            return failed(f"{what} returned {short(got)}: strip() the surrounding whitespace.")
        if "### Response:" in got:
            return failed(
                f"{what} returned {short(got)}: remove the '### Response:' header "
                "(.replace('### Response:', ''))."
            )
        if PREAMBLE[:20] in got:
            return failed(
                f"{what} returned {short(got)}: drop the prompt -- "
                "generated_text[len(input_text):]."
            )
        return failed(f"{what} returned {short(got)}, expected {short(want)}.")
    return passed(
        "extract_response returns the generated text after the prompt, without the "
        "'### Response:' header, stripped."
    )


# --- The challenge --------------------------------------------------------------------------------


INSTRUCTION_FINETUNE = register(
    ChallengeSpec(
        slug="instruction-finetune",
        names=NAMES,
        starter=(STARTERS / "instruction_finetune.py").read_text(encoding="utf-8"),
        wall_s=30.0,
        checks=(
            Check(
                "format_input_template",
                "format_input(entry) writes the book's Alpaca-style prompt exactly: the "
                "preamble, '### Instruction:' and, only for a non-empty input, "
                "'### Input:'.",
                _format_build,
                _format_judge,
                video=VID_DATA,
                card=CARD_ALPACA,
                needs=("format_input",),
            ),
            Check(
                "instruction_dataset_encoding",
                "InstructionDataset(data, tokenizer) holds, per entry, the ids of "
                "format_input(entry) + '\\n\\n### Response:\\n' + output.",
                _dataset_build,
                _dataset_judge,
                video=VID_DATA,
                card=CARD_INSTRUCT,
                needs=("InstructionDataset",),
            ),
            Check(
                "collate_pads_and_shifts",
                "custom_collate_fn(batch, device='cpu') appends one 50256, pads to the "
                "longest item + 1, and returns inputs = all but the last token, targets = "
                "all but the first.",
                _collate_build,
                _pads_judge,
                video=VID_BATCHES,
                card=CARD_PREP,
                needs=("custom_collate_fn",),
            ),
            Check(
                "collate_masks_padding",
                "custom_collate_fn replaces every padding token of the targets but the "
                "first with -100 (ignore_index).",
                _collate_build,
                _mask_judge,
                video=VID_BATCHES,
                card=CARD_PREP,
                needs=("custom_collate_fn",),
            ),
            Check(
                "collate_allowed_max_length",
                "custom_collate_fn(batch, allowed_max_length=k) truncates inputs and targets "
                "to k positions.",
                lambda rng: _collate_build(rng, truncate=True),
                _truncate_judge,
                video=VID_LOADERS,
                card=CARD_PREP,
                needs=("custom_collate_fn",),
            ),
            Check(
                "extract_response",
                "extract_response(generated_text, input_text) returns the text after the "
                "prompt without '### Response:', stripped.",
                _extract_build,
                _extract_judge,
                video=VID_EXTRACT,
                card=CARD_EVAL,
                needs=("extract_response",),
            ),
        ),
    )
)
