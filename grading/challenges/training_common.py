"""Shared pieces of the chapter 5-7 challenges (``training``, ``model-io``,
``classification-finetune``): small GPT configurations, model specs for the sandbox ops
(``grading.sandbox.ops_training``), the learner's GPTModel as a precondition, and the
checkpoint checks both ``training`` and ``model-io`` ask for.

Learners' files for these chapters hold their own ``GPTModel`` (chapter 4) next to the
chapter's functions; probes build it with *small* configurations and load weights the trusted
side drew, so every loss, gradient step and prediction can be recomputed here with
``grading.reference.training`` after the sandbox answered.

Device: ``GRADING_DEVICE`` (``cpu`` by default, ``cuda`` on GPU hosts; the runner's pool reads
the same variable) is passed to the learner's functions as ``device``, and on ``cuda`` the
configurations are twice as wide and long. That is the whole hook: the trusted side's
reference still runs on the CPU in float64.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grading.challenges.base import Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import (
    as_array,
    failed,
    fmt_shape,
    learner_param_listing,
    load_error_outcome,
    passed,
    probe_failure,
)
from grading.reference import gpt as gpt_ref
from grading.reference import training as ref

Cfg = dict[str, Any]
Params = dict[str, np.ndarray]

VID_SAVE = "i7QmQl2FK-g"  # Loading and saving model weights in PyTorch (5.4)
CARD_CHECKPOINT = 29

GPT_LAYOUT = (
    "The book's GPTModel has tok_emb, pos_emb, drop_emb, trf_blocks (nn.Sequential of "
    "TransformerBlock: att.W_query/W_key/W_value/out_proj, ff.layers.0/2, norm1, norm2), "
    "final_norm (scale, shift) and out_head (nn.Linear(emb_dim, vocab_size, bias=False))."
)
GPT_FIRST = (
    "The checks of this challenge run your GPTModel (chapter 4) in the same file: fix it "
    "first (the gpt-model challenge checks it piece by piece)."
)


# --- Sizes and device ----------------------------------------------------------------------------


def grading_device() -> str:
    """``GRADING_DEVICE`` (``cpu`` unless a GPU host sets ``cuda``)."""
    return os.environ.get("GRADING_DEVICE", "cpu").strip().lower() or "cpu"


def size_factor() -> int:
    return 2 if grading_device() == "cuda" else 1


def rint(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def seed_of(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def tiny_cfg(
    rng: np.random.Generator,
    *,
    vocab: tuple[int, int] = (64, 128),
    drop_rate: float = 0.0,
    qkv_bias: bool = False,
    layers: tuple[int, int] = (1, 2),
    min_context: int = 8,
) -> Cfg:
    """A GPT configuration whose training steps take milliseconds (the book's keys)."""
    f = size_factor()
    heads = int(rng.choice([2, 4]))
    return {
        "vocab_size": rint(rng, *vocab),
        "context_length": rint(rng, min_context, 16) * f,
        "emb_dim": heads * rint(rng, 4, 8) * f,
        "n_heads": heads,
        "n_layers": rint(rng, *layers),
        "drop_rate": drop_rate,
        "qkv_bias": qkv_bias,
    }


def cfg_text(cfg: Cfg) -> str:
    keys = (
        "vocab_size",
        "context_length",
        "emb_dim",
        "n_heads",
        "n_layers",
        "drop_rate",
        "qkv_bias",
    )
    return "{" + ", ".join(f'"{k}": {cfg[k]!r}' for k in keys if k in cfg) + "}"


def gpt_params(cfg: Cfg, rng: np.random.Generator, *, head: int | None = None) -> Params:
    """Random float32 weights by the book's names; ``head``: a classification ``out_head``
    (``(head, emb_dim)`` weight and a bias)."""
    params = gpt_ref.random_params(gpt_ref.gpt_shapes(cfg), rng)
    if head is not None:
        emb = int(cfg["emb_dim"])
        params["out_head.weight"] = rng.normal(0.0, 1.0 / math.sqrt(emb), (head, emb)).astype(
            np.float32
        )
        params["out_head.bias"] = rng.normal(0.0, 0.1, (head,)).astype(np.float32)
    return params


def model_spec(
    cfg: Cfg, params: Params | None, *, seed: int | None = None, head: int | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"cls": "GPTModel", "cfg": dict(cfg), "tensors": params}
    if seed is not None:
        spec["seed"] = seed
    if head is not None:
        spec["head"] = head
    return spec


def token_rows(
    rng: np.random.Generator, vocab: int, rows: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-token targets cut from random sequences (``targets = inputs`` shifted
    by one, as GPTDatasetV1 makes them)."""
    seq = rng.integers(0, vocab, (rows, n + 1)).astype(np.int64)
    return seq[:, :-1].copy(), seq[:, 1:].copy()


def loader_data(inputs: np.ndarray, targets: np.ndarray, batch_size: int) -> dict[str, Any]:
    return {"inputs": inputs, "targets": targets, "batch_size": int(batch_size)}


def batches_from(data: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    return ref.batches_of(data["inputs"], data["targets"], int(data["batch_size"]))


# --- Reading results -----------------------------------------------------------------------------


def value_of(result: ProbeResult, *, what: str, hint: str = "") -> dict[str, Any] | CheckOutcome:
    """The op's result dict, or the outcome that says why there is none (the learner's code
    raised, timed out, or the weights did not load into their GPTModel)."""
    failure = probe_failure(result, what=what, hint=hint)
    if failure is not None:
        return failure
    value = result.value
    if not isinstance(value, dict):
        return CheckOutcome("error", f"{what}: the sandbox returned no usable result.")
    if "load_error" in value:
        out = load_error_outcome(value["load_error"], what="your GPTModel", hint=GPT_LAYOUT)
        return CheckOutcome(
            "fail", out.message + " " + GPT_FIRST, learner_param_listing(value.get("param_shapes"))
        )
    return value


def number(value: Any) -> float | None:
    """A float from what a learner returned (a Python number or a 0-d/1-element tensor)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    arr = as_array(value)
    if arr is not None and arr.size == 1 and arr.dtype.kind == "f":
        return float(arr.reshape(()))
    return None


def close(a: float, b: float, *, atol: float = 1e-4, rtol: float = 1e-4) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= atol + rtol * abs(b)


def calls_of(
    value: dict[str, Any], count: int, *, what: str
) -> list[dict[str, Any]] | CheckOutcome:
    calls = value.get("results")
    if (
        not isinstance(calls, list)
        or len(calls) != count
        or not all(isinstance(c, dict) for c in calls)
    ):
        return CheckOutcome("error", f"{what}: the sandbox returned no usable results.")
    return calls


def raised_text(call: dict[str, Any]) -> str | None:
    kind = call.get("raised")
    if kind is None:
        return None
    return f"{str(kind)[:100]}: {str(call.get('message', ''))[:300]}"


@dataclass(frozen=True)
class LoaderRun:
    """What a ``loader_calls`` probe gave back, ready for a loss or accuracy judge."""

    cfg: Cfg
    weights: Any  # the model's weights as reference tensors
    batches: list[tuple[np.ndarray, np.ndarray]]
    calls: list[tuple[int | None, str, dict[str, Any]]]  # (num_batches, call text, result)


def loader_run(
    probes: Sequence[Probe], results: Sequence[ProbeResult], *, fn: str
) -> LoaderRun | CheckOutcome:
    """Unpack ``[gpt_probe, loader_calls]`` results; a broken GPTModel is reported first."""
    problem = gpt_problem(probes[0], results[0])
    if problem is not None:
        return problem
    args = probes[1].args
    cfg, params = args["model"]["cfg"], args["model"]["tensors"]
    value = value_of(results[1], what=f"{fn}(data_loader, model, device)")
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(args["calls"]), what=fn)
    if isinstance(calls, CheckOutcome):
        return calls
    batches = batches_from(args["data"])
    described = [
        (
            n,
            f"{fn}(loader of {len(batches)} batches, model, device"
            + ("" if n is None else f", num_batches={n}")
            + ")",
            call,
        )
        for n, call in zip(args["calls"], calls, strict=True)
    ]
    return LoaderRun(cfg=cfg, weights=ref.as_tensors(params), batches=batches, calls=described)


# --- The learner's GPTModel as a precondition -----------------------------------------------------


def gpt_probe(cfg: Cfg, params: Params, idx: np.ndarray) -> Probe:
    """One eval-mode forward of the learner's GPTModel with the probe's weights."""
    return Probe(
        "module_forward",
        {"cls": "GPTModel", "args": [dict(cfg)], "tensors": params, "calls": [[idx]]},
    )


def gpt_problem(probe: Probe, result: ProbeResult) -> CheckOutcome | None:
    """None when the learner's GPTModel gives the reference logits for the probe's weights;
    otherwise the outcome that says the chapter 4 model must be fixed first."""
    cfg = probe.args["args"][0]
    what = f"GPTModel(cfg={cfg_text(cfg)})"
    value = value_of(result, what=what, hint="(in your GPTModel)")
    if isinstance(value, CheckOutcome):
        return value
    outputs = value.get("outputs")
    if not isinstance(outputs, list) or len(outputs) != 1:
        return CheckOutcome("error", f"{what}: the sandbox returned no outputs.")
    idx = probe.args["calls"][0][0]
    want = ref.logits_np(probe.args["tensors"], cfg, idx)
    got = as_array(outputs[0])
    if got is None or got.shape != want.shape:
        shape = fmt_shape(got.shape) if got is not None else type(outputs[0]).__name__
        return failed(
            f"{what} on ids of shape {fmt_shape(idx.shape)} should return logits of shape "
            f"{fmt_shape(want.shape)}, got {shape}. {GPT_FIRST}"
        )
    diff = np.abs(got.astype(np.float64) - want)
    if not np.all(diff <= 1e-4 + 1e-4 * np.abs(want)):
        return failed(
            f"{what} gives other logits than the book's GPTModel for the same weights (max "
            f"abs diff {float(np.nanmax(diff)):.3g}). {GPT_FIRST}"
        )
    return None


# --- Checkpoints (training and model-io) ----------------------------------------------------------


def checkpoint_probe(rng: np.random.Generator) -> Probe:
    cfg = tiny_cfg(rng)
    params = gpt_params(cfg, rng)
    n = rint(rng, 4, int(cfg["context_length"]))
    b = rint(rng, 2, 3)
    steps_before, steps_after = rint(rng, 2, 3), rint(rng, 2, 3)
    rows = [
        token_rows(rng, int(cfg["vocab_size"]), b, n) for _ in range(steps_before + steps_after)
    ]
    return Probe(
        "checkpoint_run",
        {
            "model": model_spec(cfg, params, seed=seed_of(rng)),
            "fresh_seed": seed_of(rng),
            "lr": float(rng.choice([1e-3, 2e-3, 5e-3])),
            "weight_decay": 0.1,
            "before": [[x, y] for x, y in rows[:steps_before]],
            "after": [[x, y] for x, y in rows[steps_before:]],
            "device": grading_device(),
        },
        timeout_s=20.0,
    )


CHECKPOINT_WHAT = "save_checkpoint(model, optimizer, path) then load_checkpoint into a new model"


def _checkpoint_value(result: ProbeResult) -> dict[str, Any] | CheckOutcome:
    return value_of(
        result,
        what=CHECKPOINT_WHAT,
        hint="save_checkpoint writes torch.save({'model_state_dict': model.state_dict(), "
        "'optimizer_state_dict': optimizer.state_dict()}, path); load_checkpoint reads it "
        "with torch.load(path, weights_only=True) and calls load_state_dict on both.",
    )


def checkpoint_file_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    value = _checkpoint_value(results[0])
    if isinstance(value, CheckOutcome):
        return value
    info = value.get("file") if isinstance(value.get("file"), dict) else {}
    if "refused" in info:
        return failed(
            "torch.load(path, weights_only=True) cannot read your checkpoint "
            f"({str(info['refused'])[:200]}). Save plain state dicts -- "
            "torch.save({'model_state_dict': model.state_dict(), 'optimizer_state_dict': "
            "optimizer.state_dict()}, path) -- not the model or optimizer objects."
        )
    keys = info.get("keys") if isinstance(info.get("keys"), list) else []
    wanted = {"model_state_dict", "optimizer_state_dict"}
    if info.get("type") != "dict" or not wanted <= set(keys):
        shown = ", ".join(repr(k) for k in keys[:6]) or "none"
        if "model_state_dict" in keys:
            lead = "Your checkpoint has no 'optimizer_state_dict'"
        else:
            lead = "Your checkpoint does not use the book's keys"
        return failed(
            f"{lead} (found keys: {shown}). The book saves "
            "torch.save({'model_state_dict': model.state_dict(), 'optimizer_state_dict': "
            "optimizer.state_dict()}, path): AdamW's moment estimates are needed to resume."
        )
    return passed(
        "The checkpoint holds model_state_dict and optimizer_state_dict and loads "
        "with weights_only=True."
    )


def checkpoint_resume_judge(
    probes: Sequence[Probe], results: Sequence[ProbeResult]
) -> CheckOutcome:
    value = _checkpoint_value(results[0])
    if isinstance(value, CheckOutcome):
        return value
    args = probes[0].args
    spec = args["model"]
    cfg = spec["cfg"]
    lr, wd = float(args["lr"]), float(args["weight_decay"])
    before = ref.plain_steps(
        spec["tensors"], cfg, [tuple(b) for b in args["before"]], lr=lr, weight_decay=wd
    )
    loaded = value.get("loaded") if isinstance(value.get("loaded"), dict) else {}
    for name, want in before.params.items():
        got = as_array(loaded.get(name))
        if got is None or got.shape != want.shape:
            return failed(
                f"After load_checkpoint the new model has no parameter {name} of shape "
                f"{fmt_shape(want.shape)}: call model.load_state_dict(checkpoint["
                "'model_state_dict']) on the model you were given."
            )
        if not np.allclose(got.astype(np.float64), want, atol=1e-4, rtol=1e-3):
            return failed(
                f"After load_checkpoint the new model's {name} differs from the saved model's "
                "(it still holds its own initial weights?): load_checkpoint must call "
                "model.load_state_dict(checkpoint['model_state_dict']) on the model passed in."
            )
    state = value.get("optimizer_state") if isinstance(value.get("optimizer_state"), dict) else {}
    if not state:
        return failed(
            "After load_checkpoint the optimizer you passed in has no state: AdamW's moment "
            "estimates were not restored. Call optimizer.load_state_dict(checkpoint["
            "'optimizer_state_dict']) on the optimizer passed in (not on a new one)."
        )
    for name, want in before.adam.items():
        got = state.get(name) if isinstance(state.get(name), dict) else {}
        avg = as_array(got.get("exp_avg"))
        if (
            avg is None
            or avg.shape != want["exp_avg"].shape
            or not np.allclose(avg.astype(np.float64), want["exp_avg"], atol=1e-5, rtol=1e-3)
        ):
            return failed(
                f"After load_checkpoint AdamW's exp_avg for {name} is not the saved one: "
                "restore the optimizer with optimizer.load_state_dict(checkpoint["
                "'optimizer_state_dict'])."
            )
    rates = value.get("optimizer_lr")
    if not (
        isinstance(rates, list)
        and rates
        and all(isinstance(r, float) and close(r, lr) for r in rates)
    ):
        return failed(
            f"After load_checkpoint the optimizer's learning rate is {rates!r}, expected {lr}: "
            "load the optimizer's state dict as it was saved."
        )
    after = ref.plain_steps(
        before.params,
        cfg,
        [tuple(b) for b in args["after"]],
        lr=lr,
        weight_decay=wd,
        resume=(before.params, before.adam),
    )
    for key, who in (("losses_b", "resumed"), ("losses_a", "uninterrupted")):
        got_losses = value.get(key)
        if not isinstance(got_losses, list) or len(got_losses) != len(after.step_losses):
            return CheckOutcome("error", f"The sandbox returned no {who} losses.")
        for i, (g, w) in enumerate(zip(got_losses, after.step_losses, strict=True)):
            if not isinstance(g, float) or not close(g, w, atol=2e-4, rtol=2e-4):
                return failed(
                    f"Training resumed from your checkpoint gives loss {g!r} at step {i + 1}, "
                    f"uninterrupted training {w:.5f}: save and restore both state dicts."
                )
    return passed(
        "A new model and optimizer loaded from your checkpoint continue training with exactly "
        "the losses of uninterrupted training."
    )


def checkpoint_checks(
    *, video: str = VID_SAVE, card: int = CARD_CHECKPOINT, prefix: str = "checkpoint"
) -> tuple[Check, Check]:
    needs = ("GPTModel", "save_checkpoint", "load_checkpoint")

    def build(rng: np.random.Generator) -> list[Probe]:
        return [checkpoint_probe(rng)]

    return (
        Check(
            f"{prefix}_file_keys",
            "save_checkpoint(model, optimizer, path) writes a dict with the book's keys "
            "model_state_dict and optimizer_state_dict that torch.load(path, "
            "weights_only=True) can read.",
            build,
            checkpoint_file_judge,
            video=video,
            card=card,
            needs=needs,
        ),
        Check(
            f"{prefix}_resume_same_losses",
            "load_checkpoint(model, optimizer, path) restores the weights and AdamW's state "
            "into a new model and optimizer; training resumed from it gives the same losses "
            "as uninterrupted training.",
            build,
            checkpoint_resume_judge,
            video=video,
            card=card,
            needs=needs,
        ),
    )
