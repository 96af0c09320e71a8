"""Chapter 5.2 and Appendix D checks of the ``training`` challenge: ``train_model_simple``
(losses step by step, tokens seen, the loss falls) and the optional ``train_model`` (warm-up,
cosine decay, gradient clipping). Split from ``training.py``, which registers the challenge.

Each probe trains the learner's GPTModel with AdamW on batches drawn here; the judge repeats
the run with ``grading.reference.training`` from the same weights and batches, and mistake
variants of that run (no ``zero_grad``, no ``step``, the step counter starting at 0, tokens
counted as rows ...) name the mistake.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from grading.challenges.base import CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import failed, passed
from grading.challenges.training_common import (
    Cfg,
    batches_from,
    close,
    gpt_params,
    gpt_probe,
    gpt_problem,
    grading_device,
    loader_data,
    model_spec,
    number,
    rint,
    tiny_cfg,
    token_rows,
    value_of,
)
from grading.reference import training as ref

# --- Shared probe pieces (also used by training.py) ------------------------------------------


def setup(rng: np.random.Generator, **cfg_opts: Any) -> tuple[Cfg, dict[str, np.ndarray]]:
    cfg = tiny_cfg(rng, **cfg_opts)
    return cfg, gpt_params(cfg, rng)


def data(rng: np.random.Generator, cfg: Cfg, rows: int, batch: int, n: int | None = None) -> Any:
    n = n or rint(rng, 4, int(cfg["context_length"]))
    x, y = token_rows(rng, int(cfg["vocab_size"]), rows, n)
    return loader_data(x, y, batch)


def precondition(cfg: Cfg, params: dict[str, np.ndarray], rng: np.random.Generator) -> Probe:
    x, _ = token_rows(rng, int(cfg["vocab_size"]), 2, rint(rng, 3, int(cfg["context_length"])))
    return gpt_probe(cfg, params, x)


# --- train_model_simple ---------------------------------------------------------------------------


def train_probe(
    rng: np.random.Generator,
    *,
    epochs: int,
    batches: int,
    repeat: bool = False,
    fn: str = "train_model_simple",
    kwargs: dict[str, Any] | None = None,
    lr: float | None = None,
) -> list[Probe]:
    cfg, params = setup(rng)
    batch = rint(rng, 2, 3)
    n = rint(rng, 4, int(cfg["context_length"]))
    if repeat:  # the same rows in every batch: the loss must fall fast
        x, y = token_rows(rng, int(cfg["vocab_size"]), batch, n)
        train = loader_data(np.concatenate([x] * batches), np.concatenate([y] * batches), batch)
    else:
        train = data(rng, cfg, batch * batches, batch, n=n)
    val = data(rng, cfg, batch * rint(rng, 1, 2), batch, n=n)
    args: dict[str, Any] = {
        "model": model_spec(cfg, params),
        "train_data": train,
        "val_data": val,
        "lr": lr if lr is not None else float(rng.choice([1e-3, 2e-3, 4e-3])),
        "weight_decay": 0.1,
        "num_epochs": epochs,
        "eval_freq": 1 if repeat else rint(rng, 2, 3),
        "eval_iter": 1 if repeat else rint(rng, 1, 2),
        "start_context": "Every effort moves",
        "fn": fn,
        "device": grading_device(),
    }
    if kwargs:
        args["kwargs"] = kwargs
    return [precondition(cfg, params, rng), Probe("train_run", args, timeout_s=30.0)]


def _trace(args: dict[str, Any], **opts: Any) -> ref.Trace:
    return ref.train(
        args["model"]["tensors"],
        args["model"]["cfg"],
        batches_from(args["train_data"]),
        batches_from(args["val_data"]),
        lr=float(args["lr"]),
        weight_decay=float(args["weight_decay"]),
        num_epochs=int(args["num_epochs"]),
        eval_freq=int(args["eval_freq"]),
        eval_iter=int(args["eval_iter"]),
        **opts,
    )


def _train_call(args: dict[str, Any]) -> str:
    return (
        f"{args['fn']}(model, train_loader, val_loader, AdamW(lr={args['lr']}, "
        f"weight_decay={args['weight_decay']}), device, {args['num_epochs']}, "
        f"eval_freq={args['eval_freq']}, eval_iter={args['eval_iter']}, ...)"
    )


def _train_value(
    probes: Sequence[Probe], results: Sequence[ProbeResult], size: int
) -> tuple[dict[str, Any], list[list[float]]] | CheckOutcome:
    problem = gpt_problem(probes[0], results[0])
    if problem is not None:
        return problem
    args = probes[1].args
    hint = ""
    error = results[1].error
    if error is not None and "index out of range" in error.message:
        hint = (
            f"The grader's model has vocab_size {args['model']['cfg']['vocab_size']} and it "
            "passes a matching tokenizer: use the tokenizer argument (not "
            "tiktoken.get_encoding) and model.pos_emb.weight.shape[0] as the context size."
        )
    value = value_of(results[1], what=_train_call(args), hint=hint)
    if isinstance(value, CheckOutcome):
        return value
    out = value.get("value")
    if not isinstance(out, list) or len(out) != size or not all(isinstance(v, list) for v in out):
        names = "train_losses, val_losses, track_tokens_seen" + (", track_lrs" if size == 4 else "")
        return failed(f"{_train_call(args)} should return ({names}): {size} lists.")
    lists = []
    for column in out:
        nums = [number(v) for v in column]
        if None in nums:
            return failed(
                f"{_train_call(args)} returned lists holding {column[:3]!r}...; "
                "expected plain numbers (use loss.item() / floats)."
            )
        lists.append([float(v) for v in nums])  # type: ignore[arg-type]
    if not all(math.isfinite(v) for column in lists for v in column):
        return failed(
            f"{_train_call(args)} reported a loss of nan or inf: training diverged or a loss was "
            "averaged over no batches."
        )
    if not len(lists[0]) == len(lists[1]) == len(lists[2]):
        return failed(
            f"{_train_call(args)} returned {len(lists[0])} train losses, {len(lists[1])} "
            f"validation losses and {len(lists[2])} token counts: record all three at every "
            "evaluation."
        )
    return value, lists


TRAIN_MISTAKES: list[tuple[str, dict[str, Any]]] = [
    (
        "the step counter starts at 0: the book starts global_step at -1 and adds 1 after each "
        "step, so the first evaluation comes right after the first step.",
        {"first_step": 0},
    ),
    (
        "optimizer.zero_grad() is missing, so gradients of earlier batches pile up: call it at "
        "the start of every batch.",
        {"zero_grad": False},
    ),
    ("the weights never change: call optimizer.step() after loss.backward().", {"step": False}),
    (
        "the train and validation losses are swapped: evaluate_model returns (train_loss, "
        "val_loss).",
        {"swap_loaders": True},
    ),
]


def _series_close(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(
        close(g, w, atol=5e-4, rtol=5e-4) for g, w in zip(got, want, strict=True)
    )


def _first_off(got: list[float], want: list[float]) -> int | None:
    for i, (g, w) in enumerate(zip(got, want, strict=False)):
        if not close(g, w, atol=5e-4, rtol=5e-4):
            return i
    return None


def losses_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    read = _train_value(probes, results, 3)
    if isinstance(read, CheckOutcome):
        return read
    value, (train_l, val_l, _) = read
    args = probes[1].args
    want = _trace(args)
    if _series_close(train_l, want.train_losses) and _series_close(val_l, want.val_losses):
        return passed(
            f"train_model_simple's losses match AdamW training step by step "
            f"({len(want.train_losses)} evaluations)."
        )
    for message, opts in TRAIN_MISTAKES:
        alt = _trace(args, **opts)
        if _series_close(train_l, alt.train_losses) and _series_close(val_l, alt.val_losses):
            return failed(f"{_train_call(args)}: {message}")
    if value.get("params_changed") is False:
        return failed(
            f"{_train_call(args)}: the weights never changed -- call loss.backward() "
            "and optimizer.step() for every batch."
        )
    if len(train_l) != len(want.train_losses):
        return failed(
            f"{_train_call(args)} evaluated {len(train_l)} times; with "
            f"{len(batches_from(args['train_data']))} batches per epoch it should evaluate "
            f"{len(want.train_losses)} times (whenever global_step % eval_freq == 0, "
            "global_step counting from 0 after the first step)."
        )
    i = _first_off(train_l, want.train_losses)
    if i is None:
        i = _first_off(val_l, want.val_losses) or 0
    return failed(
        f"{_train_call(args)}: evaluation {i + 1} gives train/val loss "
        f"{train_l[i]:.5f}/{val_l[i]:.5f}, expected "
        f"{want.train_losses[i]:.5f}/{want.val_losses[i]:.5f}. For every batch: "
        "optimizer.zero_grad(), calc_loss_batch, loss.backward(), optimizer.step(); evaluate "
        "with evaluate_model(..., eval_iter)."
    )


def tokens_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    read = _train_value(probes, results, 3)
    if isinstance(read, CheckOutcome):
        return read
    _, (_, _, tokens) = read
    args = probes[1].args
    want = _trace(args).tokens_seen
    if tokens == want:
        return passed(
            "track_tokens_seen adds input_batch.numel() (batch size x context length) per step."
        )
    if tokens == _trace(args, tokens="rows").tokens_seen:
        return failed(
            "track_tokens_seen counts rows (input_batch.shape[0]): count tokens, "
            "tokens_seen += input_batch.numel()."
        )
    if tokens == _trace(args, tokens="batches").tokens_seen:
        return failed(
            "track_tokens_seen counts batches: count tokens, tokens_seen += input_batch.numel()."
        )
    shown = [int(t) if float(t).is_integer() else t for t in tokens[:6]]
    return failed(
        f"{_train_call(args)} returned track_tokens_seen {shown}, expected "
        f"{want[:6]}: tokens_seen += input_batch.numel() after every step, "
        "recorded at each evaluation."
    )


def falls_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    read = _train_value(probes, results, 3)
    if isinstance(read, CheckOutcome):
        return read
    value, (train_l, _, _) = read
    args = probes[1].args
    want = _trace(args).train_losses
    if len(train_l) < 2:
        return failed(
            f"{_train_call(args)} returned {len(train_l)} train losses; with "
            f"eval_freq=1 it evaluates after every step ({len(want)} times)."
        )
    drop, want_drop = train_l[0] - train_l[-1], want[0] - want[-1]
    if drop < 0.5 * want_drop:
        tail = (
            " The weights never changed: optimizer.step() is missing."
            if value.get("params_changed") is False
            else ""
        )
        return failed(
            f"Training on the same batch again and again, the loss should fall (reference: "
            f"{want[0]:.3f} -> {want[-1]:.3f}); yours went {train_l[0]:.3f} -> "
            f"{train_l[-1]:.3f}.{tail}"
        )
    return passed(
        f"A few AdamW steps on one batch bring the loss down ({train_l[0]:.2f} -> "
        f"{train_l[-1]:.2f})."
    )


# --- Appendix D: train_model (optional) -----------------------------------------------------------


def appendix_d_build(rng: np.random.Generator) -> list[Probe]:
    epochs, per_epoch = 2, rint(rng, 2, 3)
    warmup = rint(rng, 1, per_epoch)
    return train_probe(
        rng,
        epochs=epochs,
        batches=per_epoch,
        fn="train_model",
        lr=float(rng.choice([4e-3, 8e-3])),
        kwargs={
            "warmup_steps": warmup,
            "initial_lr": float(rng.choice([1e-5, 3e-5])),
            "min_lr": float(rng.choice([1e-6, 1e-5])),
        },
    )


def appendix_d_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    if (
        results[1].ok
        and isinstance(results[1].value, dict)
        and results[1].value.get("defined") is False
    ):
        return passed("Appendix D's train_model is optional and not defined: skipped.")
    read = _train_value(probes, results, 4)
    if isinstance(read, CheckOutcome):
        return read
    _, (train_l, val_l, tokens, lrs) = read
    args = probes[1].args
    kw = args["kwargs"]
    base = {
        "warmup_steps": int(kw["warmup_steps"]),
        "initial_lr": float(kw["initial_lr"]),
        "min_lr": float(kw["min_lr"]),
    }
    want = _trace(args, schedule=ref.Schedule(**base))
    if len(lrs) != len(want.lrs) or not all(
        close(g, w, atol=1e-9, rtol=1e-6) for g, w in zip(lrs, want.lrs, strict=True)
    ):
        return failed(
            f"train_model's track_lrs {[round(v, 7) for v in lrs[:6]]} differ from the schedule "
            f"{[round(v, 7) for v in want.lrs[:6]]}: linear warm-up from initial_lr to the "
            "optimizer's lr over warmup_steps, then cosine decay to min_lr, one value per step."
        )
    for clip in (">=", ">"):
        alt = _trace(args, schedule=ref.Schedule(**base, clip_from=clip))
        if (
            _series_close(train_l, alt.train_losses)
            and _series_close(val_l, alt.val_losses)
            and tokens == alt.tokens_seen
        ):
            return passed(
                "train_model follows the warm-up and cosine schedule and clips "
                "gradients to norm 1.0 after the warm-up."
            )
    never = _trace(args, schedule=ref.Schedule(**base, clip_from="never"))
    if _series_close(train_l, never.train_losses):
        return failed(
            "train_model never clips the gradients: after the warm-up call "
            "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0) "
            "between loss.backward() and optimizer.step()."
        )
    return failed(
        "train_model's losses differ from warm-up + cosine decay + gradient "
        "clipping (max_norm=1.0) training with the learning rates it reported."
    )
