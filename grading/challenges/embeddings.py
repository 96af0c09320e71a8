"""Chapter 2 challenge ``embeddings``: token and position embeddings and their sum.

Two parts (BOOK.md, "Names the book leaves open"): the notebook's module-level names
(``vocab_size``, ``output_dim``, ``context_length``, ``inputs``, ``token_embedding_layer``,
``pos_embedding_layer``, ``input_embeddings``), judged against the learner's own weights --
the op returns only the embedding rows the learner's ``inputs`` use -- and a module
``InputEmbedding(vocab_size, output_dim, context_length)``, judged with weights we send and
with its own, against ``grading.reference.gpt.input_embeddings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import (
    as_array,
    compare_arrays,
    degenerate,
    failed,
    fmt_shape,
    forward_outputs,
    learner_param_listing,
    load_error_outcome,
    params_of,
    passed,
    probe_failure,
    shape_problems,
)
from grading.reference import gpt as ref

STARTERS = Path(__file__).parent / "starters"
ATOL = RTOL = 1e-5

VID_TOKENS = "x2tYF_DHpgc"  # Creating token embeddings
VID_POSITIONS = "EOU366BvhuA"  # Encoding word positions
CARD_TOKENS, CARD_POSITIONS, CARD_DIMS = 5, 6, 49

CLS = "InputEmbedding"
GPT2_VOCAB = 50257
LAYOUT = (
    "self.token_embedding_layer = nn.Embedding(vocab_size, output_dim) and "
    "self.pos_embedding_layer = nn.Embedding(context_length, output_dim)."
)
HOW = (
    "input embeddings = token_embedding_layer(inputs) + "
    "pos_embedding_layer(torch.arange(num_tokens)), with num_tokens = inputs.shape[1]"
)
INDEX_HINT = (
    "Token ids index token_embedding_layer; the positions torch.arange(num_tokens) index "
    "pos_embedding_layer (it has only context_length rows)."
)
MODULE_NAMES = (
    "vocab_size",
    "output_dim",
    "context_length",
    "inputs",
    "token_embedding_layer",
    "pos_embedding_layer",
    "input_embeddings",
)


def _int(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def _shapes(v: int, d: int, c: int) -> dict[str, tuple[int, ...]]:
    return {"token_embedding_layer.weight": (v, d), "pos_embedding_layer.weight": (c, d)}


def _sig(args: Sequence[Any]) -> str:
    v, d, c = args
    return f"{CLS}(vocab_size={v}, output_dim={d}, context_length={c})"


def _forward_probe(
    rng: np.random.Generator,
    *,
    shorter: bool = False,
    small_ids: bool = False,
    own: bool = False,
) -> Probe:
    c = _int(rng, 4, 8)
    v, d = _int(rng, max(c, 20), 60), _int(rng, 3, 8)
    n = _int(rng, 1, c - 1) if shorter else c
    b = _int(rng, 2, 3)
    if b == n:
        b += 1  # a batch as long as the sequence would hide arange(batch) for positions
    ids = rng.integers(0, c if small_ids else v, size=(b, n)).astype(np.int64)
    args: dict[str, Any] = {"cls": CLS, "args": [v, d, c], "calls": [[ids]]}
    if own:
        args.update(seed=int(rng.integers(2**31 - 1)), return_params=True)
    else:
        args["tensors"] = ref.random_params(_shapes(v, d, c), rng)
    return Probe("module_forward", args)


def _judge_forward(
    probe: Probe, result: ProbeResult, *, context: str = "", hint: str = ""
) -> CheckOutcome | None:
    v, d, c = probe.args["args"]
    ids = probe.args["calls"][0][0]
    what = f"{_sig(probe.args['args'])} on ids of shape {fmt_shape(ids.shape)}{context}"
    value = forward_outputs(probe, result, what=what, hint=hint, layout_hint=LAYOUT)
    if isinstance(value, CheckOutcome):
        return value
    params = probe.args.get("tensors")
    if params is None:
        params = params_of(value, _shapes(v, d, c))
        if params is None:
            return failed(
                f"{_sig(probe.args['args'])} does not have exactly the parameters "
                f"token_embedding_layer.weight and pos_embedding_layer.weight: {LAYOUT}",
                learner_param_listing(value.get("param_shapes")),
            )
        for name, weight in params.items():
            problem = degenerate(weight)
            if problem is not None:
                return failed(
                    f"{what}: the initial {name} is {problem}; nn.Embedding initialises "
                    "its weights randomly (normal distribution)."
                )
    tok, pos = params["token_embedding_layer.weight"], params["pos_embedding_layer.weight"]
    got = value["outputs"][0]
    arr = as_array(got)
    if arr is not None and arr.shape == (*ids.shape, 2 * d):
        return failed(
            f"{what}: your output has 2 * output_dim = {2 * d} features: the token and "
            f"position embeddings are concatenated. Add them: {HOW}."
        )
    expected = ref.input_embeddings(ids, tok, pos)
    outcome = compare_arrays(expected, got, atol=ATOL, rtol=RTOL, dtype="float32")
    if outcome is None:
        return None
    mistakes = [("none", "the position embeddings are not added")]
    if ids.max() < c:
        mistakes.append(("ids", "the position embeddings are looked up with the token ids"))
    for positions, mistake in mistakes:
        candidate = ref.input_embeddings(ids, tok, pos, positions=positions)  # type: ignore[arg-type]
        if (
            arr is not None
            and arr.shape == candidate.shape
            and np.allclose(arr, candidate, atol=ATOL)
        ):
            return failed(f"{what}: {mistake}: {HOW}.", outcome.output)
    return failed(f"{what}: {outcome.message} Expected {HOW}.", outcome.output)


def _each(*probes_fn: Any, context: str = "", hint: str = "", success: str) -> tuple[Any, Any]:
    def build(rng: np.random.Generator) -> list[Probe]:
        return [fn(rng) for fn in probes_fn]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        for probe, result in zip(probes, results, strict=True):
            outcome = _judge_forward(probe, result, context=context, hint=hint)
            if outcome is not None:
                return outcome
        return passed(success)

    return build, judge


# --- Checks of the InputEmbedding module ---------------------------------------------------------


def layers_check(name: str, *, video: str, card: int) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        c = _int(rng, 3, 9)
        args = [_int(rng, 10, 60), _int(rng, 2, 9), c]
        return [
            Probe(
                "inspect_module",
                {
                    "cls": CLS,
                    "args": args,
                    "attributes": ["token_embedding_layer", "pos_embedding_layer"],
                },
            )
        ]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        args = probes[0].args["args"]
        sig = _sig(args)
        failure = probe_failure(results[0], what=sig, hint="(while constructing it)")
        if failure is not None:
            return failure
        value = results[0].value if isinstance(results[0].value, dict) else {}
        attrs = value.get("attributes") if isinstance(value.get("attributes"), dict) else {}
        for attr in ("token_embedding_layer", "pos_embedding_layer"):
            info = attrs.get(attr) if isinstance(attrs.get(attr), dict) else {}
            if info.get("type") != "Embedding":
                found_type = info.get("type", "nothing")
                return failed(
                    f"{sig}: self.{attr} should be an nn.Embedding, found {found_type}. {LAYOUT}"
                )
        params = value.get("parameters") if isinstance(value.get("parameters"), dict) else {}
        found = {n: d.get("shape") for n, d in params.items() if isinstance(d, dict)}
        problems = shape_problems(found, _shapes(*args))
        if any(problems.values()):
            out = load_error_outcome(problems, what=sig, hint=LAYOUT)
            return failed(
                out.message.replace("Could not load weights into", "Wrong parameters in"),
                learner_param_listing(found),
            )
        v, d, c = args
        return passed(f"{sig} holds a ({v}, {d}) token table and a ({c}, {d}) position table.")

    return Check(
        name,
        f"{CLS}(vocab_size, output_dim, context_length) has token_embedding_layer = "
        "nn.Embedding(vocab_size, output_dim) and pos_embedding_layer = "
        "nn.Embedding(context_length, output_dim), and no other parameters.",
        build,
        judge,
        video=video,
        card=card,
        needs=(CLS,),
    )


def reference_check(name: str, *, video: str, card: int) -> Check:
    build, judge = _each(
        lambda rng: _forward_probe(rng, small_ids=True),
        lambda rng: _forward_probe(rng),
        hint=INDEX_HINT,
        success=f"{CLS} adds token and position embeddings with the grader's weights.",
    )
    return Check(
        name,
        f"With weights the grader loads, {CLS}(inputs) equals token embeddings plus the "
        "position embeddings of positions 0 .. num_tokens - 1, shape (batch, num_tokens, "
        "output_dim).",
        build,
        judge,
        video=video,
        card=card,
        needs=(CLS,),
    )


def shorter_check(name: str, *, video: str, card: int) -> Check:
    build, judge = _each(
        lambda rng: _forward_probe(rng, shorter=True),
        context=" (fewer tokens than context_length)",
        hint="Positions are torch.arange(num_tokens) with num_tokens = inputs.shape[1], not "
        "torch.arange(context_length).",
        success="Inputs shorter than context_length use positions 0 .. num_tokens - 1.",
    )
    return Check(
        name,
        f"{CLS} works for inputs shorter than context_length: the positions are "
        "torch.arange(num_tokens).",
        build,
        judge,
        video=video,
        card=card,
        needs=(CLS,),
    )


def own_weights_check(name: str, *, video: str, card: int) -> Check:
    build, judge = _each(
        lambda rng: _forward_probe(rng, own=True),
        context=" with its own initial weights",
        hint=INDEX_HINT,
        success=f"{CLS}'s output is consistent with its own random embedding tables.",
    )
    return Check(
        name,
        f"{CLS} initialises both tables randomly and its output matches the reference "
        "computed from those weights.",
        build,
        judge,
        video=video,
        card=card,
        needs=(CLS,),
    )


# --- Checks of the notebook's module-level names -----------------------------------------------


def _values(result: ProbeResult) -> dict[str, Any] | CheckOutcome:
    failure = probe_failure(
        result,
        what="Reading your module-level names",
        hint="token_embedding_layer and pos_embedding_layer must be torch.nn.Embedding layers "
        "and inputs a tensor of token ids.",
    )
    if failure is not None:
        return failure
    value = result.value
    if not isinstance(value, dict) or not isinstance(value.get("values"), dict):
        return CheckOutcome("error", "The sandbox returned no module-level values.")
    return value


def _info(values: dict[str, Any], name: str) -> dict[str, Any]:
    info = values.get(name)
    return info if isinstance(info, dict) else {}


def _int_value(info: Any) -> int | None:
    if isinstance(info, dict) and info.get("kind") == "value" and info.get("type") == "int":
        return int(info["value"])
    return None


def module_layers_check(name: str, *, video: str, card: int) -> Check:
    names = [
        "vocab_size",
        "output_dim",
        "context_length",
        "token_embedding_layer",
        "pos_embedding_layer",
        "token_embedding_layer.weight",
        "pos_embedding_layer.weight",
    ]

    def build(rng: np.random.Generator) -> list[Probe]:
        # Nothing to randomise: these values are the learner's own (see module docstring).
        return [Probe("module_values", {"names": names, "max_numel": 0})]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        value = _values(results[0])
        if isinstance(value, CheckOutcome):
            return value
        vals = value["values"]
        ints = {
            n: _int_value(_info(vals, n)) for n in ("vocab_size", "output_dim", "context_length")
        }
        for n, v in ints.items():
            if v is None or v <= 0:
                found_type = _info(vals, n).get("type", "nothing")
                return failed(f"{n} should be a positive int at module level, found {found_type}.")
        if ints["vocab_size"] != GPT2_VOCAB:
            return failed(
                f"vocab_size is {ints['vocab_size']}: the embedding table must have a row for "
                f"every GPT-2 BPE token id, vocab_size = {GPT2_VOCAB}."
            )
        v, d, c = ints["vocab_size"], ints["output_dim"], ints["context_length"]
        for layer, rows, row_name in (
            ("token_embedding_layer", v, "vocab_size"),
            ("pos_embedding_layer", c, "context_length"),
        ):
            info = _info(vals, layer)
            if info.get("type") != "Embedding":
                return failed(
                    f"{layer} should be a torch.nn.Embedding, found {info.get('type', 'nothing')}."
                )
            shape = _info(vals, f"{layer}.weight").get("shape")
            if shape != [rows, d]:
                ok = isinstance(shape, list) and all(isinstance(x, int) for x in shape)
                got = fmt_shape(shape) if ok and shape else "?"
                return failed(
                    f"{layer}.weight has shape {got}; expected ({rows}, {d}) = ({row_name}, "
                    f"output_dim): torch.nn.Embedding({row_name}, output_dim)."
                )
        return passed(
            f"token_embedding_layer is Embedding({v}, {d}) and pos_embedding_layer is "
            f"Embedding({c}, {d})."
        )

    return Check(
        name,
        "At module level, vocab_size = 50257 (GPT-2's BPE vocabulary), token_embedding_layer = "
        "torch.nn.Embedding(vocab_size, output_dim) and pos_embedding_layer = "
        "torch.nn.Embedding(context_length, output_dim).",
        build,
        judge,
        video=video,
        card=card,
        needs=(
            "vocab_size",
            "output_dim",
            "context_length",
            "token_embedding_layer",
            "pos_embedding_layer",
        ),
    )


def module_sum_check(name: str, *, video: str, card: int) -> Check:
    names = ["inputs", "input_embeddings", "pos_embedding_layer.weight", "output_dim"]

    def build(rng: np.random.Generator) -> list[Probe]:
        return [
            Probe(
                "module_values",
                {
                    "names": names,
                    "rows": {"token_embedding_layer.weight": "inputs"},
                    "max_numel": 1 << 20,
                },
            )
        ]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        value = _values(results[0])
        if isinstance(value, CheckOutcome):
            return value
        vals = value["values"]
        inputs = as_array(_info(vals, "inputs").get("value"))
        if inputs is None or inputs.ndim != 2 or inputs.dtype.kind not in "iu":
            return failed(
                "inputs should be a 2-D tensor of token ids, shape (batch, num_tokens) -- the "
                "book's first batch of create_dataloader_v1 (batch_size=8, max_length=4)."
            )
        pos = as_array(_info(vals, "pos_embedding_layer.weight").get("value"))
        rows = value.get("rows")
        rows = rows.get("token_embedding_layer.weight") if isinstance(rows, dict) else None
        ids = as_array(rows.get("ids")) if isinstance(rows, dict) else None
        tok_rows = as_array(rows.get("values")) if isinstance(rows, dict) else None
        lookup = {int(i): k for k, i in enumerate(ids)} if ids is not None else {}
        if (
            pos is None
            or pos.ndim != 2
            or tok_rows is None
            or tok_rows.ndim != 2
            or tok_rows.shape != (len(lookup), pos.shape[1])
            or not all(int(i) in lookup for i in inputs.reshape(-1))
        ):
            return CheckOutcome("error", "The embedding weights could not be read back.")
        n = inputs.shape[1]
        if n > pos.shape[0]:
            return failed(
                f"inputs has {n} tokens per row but pos_embedding_layer only {pos.shape[0]} "
                "positions: context_length should be the number of tokens per row."
            )
        tok = tok_rows[[lookup[int(i)] for i in inputs.reshape(-1)]].reshape(*inputs.shape, -1)
        expected = np.asarray(tok, np.float64) + np.asarray(pos[:n], np.float64)
        got = _info(vals, "input_embeddings").get("value")
        outcome = compare_arrays(expected, got, atol=ATOL, rtol=RTOL, what="input_embeddings")
        if outcome is None:
            return passed(
                f"input_embeddings {fmt_shape(expected.shape)} = token embeddings of inputs + "
                "position embeddings."
            )
        arr = as_array(got)
        if arr is not None and arr.shape == tok.shape and np.allclose(arr, tok, atol=ATOL):
            return failed(
                f"input_embeddings are only the token embeddings: add the positions ({HOW})."
            )
        return failed(f"{outcome.message} Expected {HOW}.", outcome.output)

    return Check(
        name,
        "At module level, input_embeddings = token_embedding_layer(inputs) + "
        "pos_embedding_layer(torch.arange(num_tokens)), shape (batch, num_tokens, output_dim), "
        "computed with your own layers.",
        build,
        judge,
        video=video,
        card=card,
        needs=("inputs", "input_embeddings", "token_embedding_layer", "pos_embedding_layer"),
    )


# --- The challenge ----------------------------------------------------------------------------

EMBEDDINGS = register(
    ChallengeSpec(
        slug="embeddings",
        names=(*MODULE_NAMES, CLS),
        starter=(STARTERS / "embeddings.py").read_text(encoding="utf-8"),
        checks=(
            module_layers_check("module_embedding_layers", video=VID_TOKENS, card=CARD_TOKENS),
            module_sum_check("module_input_embeddings", video=VID_POSITIONS, card=CARD_POSITIONS),
            layers_check("input_embedding_layers", video=VID_TOKENS, card=CARD_DIMS),
            reference_check(
                "input_embedding_matches_reference", video=VID_POSITIONS, card=CARD_POSITIONS
            ),
            shorter_check(
                "input_embedding_shorter_inputs", video=VID_POSITIONS, card=CARD_POSITIONS
            ),
            own_weights_check("input_embedding_own_weights", video=VID_TOKENS, card=CARD_TOKENS),
        ),
    )
)
