"""Chapter 5.4-5.5 challenge ``model-io``: checkpoints, ``assign`` and
``load_weights_into_gpt`` with OpenAI's GPT-2 parameter layout.

Pretrained GPT-2 weights cannot be downloaded: the trusted side generates small random models
in OpenAI's layout (``grading.fixtures.openai_checkpoint``), the sandbox loads them into the
learner's GPTModel (``qkv_bias=True``) with their ``load_weights_into_gpt`` and returns every
parameter and the logits. The judge maps the same params to the book's names
(``grading.reference.training.from_openai``) and names what went wrong per parameter: a
missing ``.T``, Q/K/V in the wrong order, a weight never loaded, ``out_head`` not tied to
``wte``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import as_array, failed, fmt_shape, passed
from grading.challenges.training_common import (
    GPT_FIRST,
    calls_of,
    cfg_text,
    checkpoint_checks,
    raised_text,
    rint,
    seed_of,
    size_factor,
    value_of,
)
from grading.fixtures import openai_checkpoint
from grading.reference import gpt as gpt_ref
from grading.reference import training as ref

STARTERS = Path(__file__).parent / "starters"

VID_SAVE = "i7QmQl2FK-g"  # Loading and saving model weights in PyTorch (5.4)
VID_OPENAI = "glpWXw9dHWY"  # Loading pretrained weights from OpenAI (5.5)
CARD_CHECKPOINT, CARD_VERIFY = 29, 50
NAMES = ("GPTModel", "assign", "load_weights_into_gpt", "save_checkpoint", "load_checkpoint")
LOAD_CALL = "load_weights_into_gpt(gpt, params)"
TRANSPOSE = (
    "OpenAI's Conv1D weights are stored (in, out) while nn.Linear.weight is (out, in): "
    "transpose c_attn's Q/K/V parts, attn.c_proj, mlp.c_fc and mlp.c_proj weights with .T."
)
SPLIT = (
    "c_attn's w is (emb_dim, 3 * emb_dim) with Q, K and V side by side: "
    "np.split(w, 3, axis=-1), and the bias b the same way."
)


# --- assign ---------------------------------------------------------------------------------------


def _assign_build(rng: np.random.Generator) -> list[Probe]:
    def arr(shape: tuple[int, ...]) -> np.ndarray:
        return rng.normal(0.0, 1.0, shape).astype(np.float32)

    rows, cols = rint(rng, 2, 5), rint(rng, 6, 9)
    cases = [
        [arr((rows, cols)), arr((rows, cols))],
        [arr((cols,)), arr((cols,))],
        [arr((rows, cols)), arr((cols, rows))],  # a transposed weight
        [arr((cols,)), arr((cols + 1,))],
    ]
    return [Probe("assign_calls", {"cases": cases})]


def _assign_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    cases = probes[0].args["cases"]
    value = value_of(results[0], what="assign(left, right)")
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(cases), what="assign")
    if isinstance(calls, CheckOutcome):
        return calls
    for (left, right), call in zip(cases, calls, strict=True):
        what = (
            f"assign(left of shape {fmt_shape(left.shape)}, right of shape "
            f"{fmt_shape(right.shape)})"
        )
        if left.shape != right.shape:
            kind = call.get("raised")
            if kind is None:
                return failed(
                    f"{what} returned instead of raising: check left.shape != "
                    "right.shape and raise ValueError, so a transposed or wrong-size "
                    "weight cannot slip into the model."
                )
            if kind != "ValueError":
                return failed(
                    f'{what} raised {kind}; the book raises ValueError(f"Shape '
                    'mismatch. Left: {left.shape}, Right: {right.shape}").'
                )
            continue
        error = raised_text(call)
        if error is not None:
            return failed(f"{what} raised {error}.")
        if not call.get("is_parameter"):
            return failed(
                f"{what} returned a {call.get('type')}: return "
                "torch.nn.Parameter(torch.tensor(right)), so the model keeps "
                "training it."
            )
        got = as_array(call.get("value"))
        if got is None or got.shape != right.shape or not np.array_equal(got, right):
            return failed(
                f"{what} does not hold right's values: return "
                "torch.nn.Parameter(torch.tensor(right))."
            )
    return passed(
        "assign copies matching arrays into new parameters and refuses a shape "
        "mismatch with ValueError."
    )


# --- load_weights_into_gpt -----------------------------------------------------------------------


def _openai_probe(rng: np.random.Generator) -> Probe:
    f = size_factor()
    heads = rint(rng, 2, 4)
    settings, params = openai_checkpoint.generate(
        seed_of(rng),
        n_vocab=rint(rng, 40, 96),
        n_ctx=rint(rng, 8, 16) * f,
        n_embd=heads * rint(rng, 3, 6) * f,
        n_head=heads,
        n_layer=rint(rng, 1, 2),
    )
    cfg = openai_checkpoint.book_config(settings)
    idx = rng.integers(0, cfg["vocab_size"], (2, rint(rng, 3, int(cfg["context_length"]))))
    return Probe(
        "load_openai_run",
        {"cfg": cfg, "params": params, "seed": seed_of(rng), "idx": idx},
        timeout_s=10.0,
    )


def _load_value(probe: Probe, result: ProbeResult) -> dict[str, Any] | CheckOutcome:
    what = f"{LOAD_CALL} for GPTModel(cfg={cfg_text(probe.args['cfg'])})"
    error = result.error
    message = (error.message if error is not None else "").lower()
    if "split" in message or "equal division" in message:
        hint = SPLIT
    elif error is not None and error.type == "KeyError":
        hint = (
            "params uses OpenAI's names: wte, wpe, blocks[i]['attn']['c_attn']['w'], "
            "['mlp']['c_fc'], ['ln_1']['g'], ... and g, b for the final norm."
        )
    else:
        hint = TRANSPOSE + " " + SPLIT
    return value_of(result, what=what, hint=hint)


def _diagnose(
    name: str, got: np.ndarray, want: np.ndarray, before: Any, expected: dict[str, np.ndarray]
) -> str:
    source = ref.openai_source(name)
    if name == "out_head.weight":
        return (
            "out_head.weight is not params['wte']: GPT-2 ties its output head to the token "
            "embeddings -- gpt.out_head.weight = assign(gpt.out_head.weight, params['wte'])."
        )
    if isinstance(before, np.ndarray) and before.shape == got.shape and np.array_equal(got, before):
        return (
            f"{name} was never loaded (it still holds GPTModel's initial values); it comes "
            f"from {source}."
        )
    if want.ndim == 2 and want.shape[0] == want.shape[1] and np.allclose(got, want.T):
        return f"{name} holds {source.removesuffix('.T')} without the transpose. {TRANSPOSE}"
    for other, value in expected.items():
        if other != name and value.shape == got.shape and np.allclose(got, value):
            return (
                f"{name} holds the values meant for {other}: Q, K and V are the first, "
                f"second and last thirds of c_attn (query, key, value). {SPLIT}"
            )
    return f"{name} differs from {source}."


def _parameters_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    for probe, result in zip(probes, results, strict=True):
        value = _load_value(probe, result)
        if isinstance(value, CheckOutcome):
            return value
        cfg = probe.args["cfg"]
        expected = ref.from_openai(probe.args["params"], int(cfg["n_layers"]))
        after = value.get("after") if isinstance(value.get("after"), dict) else {}
        before = value.get("before") if isinstance(value.get("before"), dict) else {}
        what = f"After {LOAD_CALL} (GPTModel(cfg={cfg_text(cfg)}))"
        for name, want in expected.items():
            got = as_array(after.get(name))
            if got is None:
                return failed(f"{what} the model has no parameter {name}. {GPT_FIRST}")
            if got.shape != want.shape:
                return failed(
                    f"{what} {name} has shape {fmt_shape(got.shape)}, expected "
                    f"{fmt_shape(want.shape)} (from {ref.openai_source(name)})."
                )
            if not np.allclose(got.astype(np.float64), want, atol=1e-6, rtol=1e-6):
                return failed(f"{what}: " + _diagnose(name, got, want, before.get(name), expected))
    return passed(
        "Every GPTModel parameter holds its OpenAI counterpart: Q, K, V split from "
        "c_attn, Conv1D weights transposed, out_head tied to wte."
    )


def _logits_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    for probe, result in zip(probes, results, strict=True):
        value = _load_value(probe, result)
        if isinstance(value, CheckOutcome):
            return value
        cfg = probe.args["cfg"]
        idx = probe.args["idx"]
        expected = ref.from_openai(probe.args["params"], int(cfg["n_layers"]))
        want = gpt_ref.gpt_forward(idx, expected, cfg)
        got = as_array(value.get("logits"))
        what = (
            f"GPTModel(cfg={cfg_text(cfg)}) after {LOAD_CALL}, on ids of shape "
            f"{fmt_shape(idx.shape)}"
        )
        if got is None or got.shape != want.shape:
            shape = fmt_shape(got.shape) if got is not None else "no tensor"
            return failed(f"{what} returned logits of {shape}, expected {fmt_shape(want.shape)}.")
        diff = np.abs(got.astype(np.float64) - want)
        if not np.all(diff <= 1e-4 + 1e-4 * np.abs(want)):
            return failed(
                f"{what}: the logits differ from GPT-2's for these weights (max abs diff "
                f"{float(np.nanmax(diff)):.3g}). Compare with the per-parameter check; if that "
                f"passes, the model itself differs from the book's (qkv_bias=True must add "
                f"biases to W_query, W_key and W_value). {GPT_FIRST}"
            )
    return passed(
        "The loaded model's logits equal GPT-2's for the same weights: the "
        "verification the book does by generating text."
    )


# --- The challenge --------------------------------------------------------------------------------


MODEL_IO = register(
    ChallengeSpec(
        slug="model-io",
        names=NAMES,
        starter=(STARTERS / "model_io.py").read_text(encoding="utf-8"),
        wall_s=40.0,
        checks=(
            *checkpoint_checks(video=VID_SAVE, card=CARD_CHECKPOINT),
            Check(
                "assign_checks_shapes",
                "assign(left, right) returns torch.nn.Parameter(torch.tensor(right)) and "
                "raises ValueError when the shapes differ.",
                _assign_build,
                _assign_judge,
                video=VID_OPENAI,
                card=CARD_VERIFY,
                needs=("assign",),
            ),
            Check(
                "load_weights_parameters",
                "load_weights_into_gpt(gpt, params) puts every weight of an OpenAI-layout "
                "checkpoint (two random sizes, qkv_bias=True) where the book does: c_attn "
                "split into Q, K, V, Conv1D weights transposed, out_head = wte.",
                lambda rng: [_openai_probe(rng), _openai_probe(rng)],
                _parameters_judge,
                video=VID_OPENAI,
                card=CARD_VERIFY,
                needs=("GPTModel", "assign", "load_weights_into_gpt"),
            ),
            Check(
                "loaded_logits_match_reference",
                "After load_weights_into_gpt the model's logits equal the reference GPT-2's "
                "for the same weights.",
                lambda rng: [_openai_probe(rng)],
                _logits_judge,
                video=VID_OPENAI,
                card=CARD_VERIFY,
                needs=("GPTModel", "assign", "load_weights_into_gpt"),
            ),
        ),
    )
)
