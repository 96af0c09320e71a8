"""Chapter 5 challenge ``training``: losses, evaluation, the training loop, checkpoints.

The learner's ``GPTModel`` runs with weights drawn here (``training_common``); losses, AdamW
trajectories and tokens-seen are recomputed with ``grading.reference.training`` from the same
weights and batches after the sandbox answered, and mistake variants of the reference (no
``zero_grad``, no ``step``, the step counter starting at 0, tokens counted as rows ...) name
the mistake. Appendix D's ``train_model`` is optional: checked only when defined. The
training-loop checks live in ``training_loop.py``, the checkpoint checks in
``training_common.py`` (``model-io`` asks for them too).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges import training_loop as loop
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import as_int_list, failed, fmt_shape, passed
from grading.challenges.training_common import (
    Cfg,
    batches_from,
    calls_of,
    checkpoint_checks,
    close,
    gpt_problem,
    grading_device,
    loader_data,
    loader_run,
    model_spec,
    number,
    raised_text,
    rint,
    token_rows,
    value_of,
)
from grading.reference import tokenizer as tok_ref
from grading.reference import training as ref

STARTERS = Path(__file__).parent / "starters"

VID_GENERATE = "qfKfX0CZyw0"  # Using GPT to generate text (5.1.1)
VID_LOSS = "8WrV0I7sfpk"  # Calculating the text generation loss (5.1.2)
VID_VAL = "A2N6djHKzfI"  # Calculating the training and validation set losses (5.1.3)
VID_TRAIN = "117SQ2vf6dg"  # Training an LLM (5.2)
CARD_CE, CARD_SPLIT, CARD_WARMUP, CARD_ADAMW, CARD_PPL = 25, 26, 27, 28, 43
ATOL = RTOL = 1e-4
LOSS_HINT = (
    "cross_entropy wants logits of shape (N, vocab_size) and targets of shape (N,): use "
    "torch.nn.functional.cross_entropy(logits.flatten(0, 1), target_batch.flatten())."
)
NAMES = (
    "GPTModel",
    "calc_loss_batch",
    "calc_loss_loader",
    "evaluate_model",
    "train_model_simple",
    "text_to_token_ids",
    "token_ids_to_text",
    "save_checkpoint",
    "load_checkpoint",
)


# --- calc_loss_batch ---------------------------------------------------------------------------

LOSS_MISTAKES: list[tuple[str, ref.LossKind]] = [
    (
        "the logits go through softmax before cross_entropy, which applies log-softmax itself: "
        "pass the raw logits.",
        "double_softmax",
    ),
    (
        "nll_loss on raw logits is not the cross-entropy: use torch.nn.functional.cross_entropy "
        "(log-softmax + negative log-likelihood).",
        "nll_raw",
    ),
    (
        "the loss is summed over the tokens: cross_entropy's default reduction='mean' averages it.",
        "sum",
    ),
]


def _loss_batch_build(rng: np.random.Generator) -> list[Probe]:
    cfg, params = loop.setup(rng)
    n = rint(rng, 3, int(cfg["context_length"]))
    batches = [list(token_rows(rng, int(cfg["vocab_size"]), rint(rng, 2, 4), n)) for _ in range(2)]
    return [
        loop.precondition(cfg, params, rng),
        Probe(
            "loss_batches",
            {"model": model_spec(cfg, params), "batches": batches, "device": grading_device()},
        ),
    ]


def _loss_batch_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    problem = gpt_problem(probes[0], results[0])
    if problem is not None:
        return problem
    args = probes[1].args
    cfg, params = args["model"]["cfg"], args["model"]["tensors"]
    value = value_of(
        results[1], what="calc_loss_batch(input_batch, target_batch, model, device)", hint=LOSS_HINT
    )
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(args["batches"]), what="calc_loss_batch")
    if isinstance(calls, CheckOutcome):
        return calls
    p = ref.as_tensors(params)
    for (x, y), call in zip(args["batches"], calls, strict=True):
        what = (
            f"calc_loss_batch on a batch of shape {fmt_shape(x.shape)} (vocab_size "
            f"{cfg['vocab_size']})"
        )
        error = raised_text(call)
        if error is not None:
            return failed(f"{what} raised {error}. {LOSS_HINT}")
        if call.get("kind") == "number":
            return failed(
                f"{what} returned a Python number: return the loss tensor itself (not "
                "loss.item()), so train_model_simple can call loss.backward()."
            )
        if call.get("kind") != "tensor":
            return failed(f"{what} returned a {call.get('kind')}, expected a loss tensor.")
        if call.get("shape") != []:
            return failed(
                f"{what} returned a tensor of shape {fmt_shape(call.get('shape') or [])}: the "
                "loss is one number, the mean cross-entropy over every token of the batch."
            )
        got = number(call.get("value"))
        want = float(ref.batch_loss(p, cfg, x, y).detach())
        if got is None or not close(got, want, atol=ATOL, rtol=RTOL):
            for message, kind in LOSS_MISTAKES:
                if got is not None and close(
                    got, float(ref.batch_loss(p, cfg, x, y, kind).detach()), atol=ATOL, rtol=RTOL
                ):
                    return failed(f"{what}: {message}")
            return failed(
                f"{what} returned {got!r}; the cross-entropy of the model's logits is "
                f"{want:.5f}. {LOSS_HINT}"
            )
        if not call.get("requires_grad") or call.get("backward_ok") is False:
            return failed(
                f"{what}: loss.backward() does not work on your loss -- compute it from the "
                "model's logits with torch operations (no .detach(), no torch.no_grad(), no "
                "numpy)."
            )
    return passed(
        "calc_loss_batch returns the mean cross-entropy over every token, ready for backward()."
    )


# --- calc_loss_loader ----------------------------------------------------------------------------


def _loader_build(rng: np.random.Generator) -> list[Probe]:
    cfg, params = loop.setup(rng)
    batch = rint(rng, 2, 3)
    count = rint(rng, 3, 5)
    rows = batch * count - rint(rng, 0, batch - 1)  # the last batch may be shorter
    data = loop.data(rng, cfg, rows, batch)
    return [
        loop.precondition(cfg, params, rng),
        Probe(
            "loader_calls",
            {
                "model": model_spec(cfg, params),
                "data": data,
                "calls": [None, rint(rng, 1, count - 1), count + rint(rng, 1, 3)],
                "device": grading_device(),
            },
        ),
    ]


def _loader_messages(
    got: float, p: Any, cfg: Cfg, batches: Any, n: int | None, want: float
) -> str | None:
    if n is not None and close(got, ref.loader_loss(p, cfg, batches, None)):
        return (
            "num_batches is ignored: average only the first num_batches batches "
            "(num_batches = min(num_batches, len(data_loader)))."
        )
    if close(got, ref.loader_loss(p, cfg, batches, n, divide_by="all")):
        return (
            "the summed loss is divided by len(data_loader) instead of the number of "
            "batches used (num_batches)."
        )
    if n is not None and n > len(batches) and close(got, want * len(batches) / n):
        return (
            f"with num_batches={n} larger than the loader's {len(batches)} batches, use "
            "num_batches = min(num_batches, len(data_loader)) before dividing."
        )
    return None


def _loader_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    run = loader_run(probes, results, fn="calc_loss_loader")
    if isinstance(run, CheckOutcome):
        return run
    cfg, p, batches = run.cfg, run.weights, run.batches
    for n, what, call in run.calls:
        error = raised_text(call)
        if error is not None:
            return failed(f"{what} raised {error}.")
        got = number(call.get("value"))
        want = ref.loader_loss(p, cfg, batches, n)
        if got is None:
            return failed(f"{what} returned {call.get('value')!r}, expected a float.")
        if not close(got, want):
            message = _loader_messages(got, p, cfg, batches, n, want)
            return failed(
                f"{what} returned {got:.5f}, expected {want:.5f} (the mean batch loss over the "
                f"first min(num_batches, len(data_loader)) batches)."
                + (f" Likely: {message}" if message else "")
            )
    return passed(
        "calc_loss_loader averages the batch losses over min(num_batches, "
        "len(data_loader)) batches."
    )


def _empty_build(rng: np.random.Generator) -> list[Probe]:
    cfg, params = loop.setup(rng)
    n = rint(rng, 3, int(cfg["context_length"]))
    data = loader_data(np.zeros((0, n), np.int64), np.zeros((0, n), np.int64), rint(rng, 2, 4))
    return [
        Probe(
            "loader_calls",
            {
                "model": model_spec(cfg, params),
                "data": data,
                "calls": [None, rint(rng, 1, 3)],
                "device": grading_device(),
            },
        )
    ]


def _empty_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    value = value_of(results[0], what="calc_loss_loader on an empty data loader")
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(probes[0].args["calls"]), what="calc_loss_loader")
    if isinstance(calls, CheckOutcome):
        return calls
    for n, call in zip(probes[0].args["calls"], calls, strict=True):
        what = "calc_loss_loader on an empty data loader" + (
            "" if n is None else f" with num_batches={n}"
        )
        error = raised_text(call)
        if error is not None:
            return failed(
                f"{what} raised {error}: return float('nan') when len(data_loader) == 0 "
                "(a validation split can be empty when the text is short)."
            )
        got = number(call.get("value"))
        if got is None or not math.isnan(got):
            return failed(
                f"{what} returned {call.get('value')!r}: the book returns "
                "float('nan') for an empty loader."
            )
    return passed("An empty data loader gives a loss of nan instead of a division by zero.")


def _uniform_build(rng: np.random.Generator) -> list[Probe]:
    cfg, params = loop.setup(rng)
    params["out_head.weight"] = np.zeros_like(params["out_head.weight"])
    data = loop.data(rng, cfg, rint(rng, 4, 8), rint(rng, 2, 4))
    return [
        Probe(
            "loader_calls",
            {
                "model": model_spec(cfg, params),
                "data": data,
                "calls": [None],
                "device": grading_device(),
            },
        )
    ]


def _uniform_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    vocab = int(probes[0].args["model"]["cfg"]["vocab_size"])
    what = f"calc_loss_loader with an all-zero out_head (vocab_size {vocab})"
    value = value_of(results[0], what=what)
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, 1, what=what)
    if isinstance(calls, CheckOutcome):
        return calls
    error = raised_text(calls[0])
    if error is not None:
        return failed(f"{what} raised {error}.")
    got = number(calls[0].get("value"))
    want = math.log(vocab)
    if got is None or not close(got, want):
        return failed(
            f"{what} returned {calls[0].get('value')!r}. Zero logits give every token "
            f"probability 1/{vocab}, so the loss must be ln({vocab}) = {want:.4f} and the "
            f"perplexity exp(loss) = {vocab}."
        )
    return passed(
        f"A model that knows nothing scores ln(vocab_size) = {want:.3f}: perplexity "
        f"exp(loss) = {vocab}, as unsure as a uniform choice among {vocab} tokens."
    )


# --- evaluate_model ------------------------------------------------------------------------------


def _evaluate_build(rng: np.random.Generator) -> list[Probe]:
    cfg, params = loop.setup(rng, drop_rate=float(rng.choice([0.3, 0.5])))
    batch = rint(rng, 2, 3)
    train = loop.data(rng, cfg, batch * rint(rng, 3, 4), batch)
    val = loop.data(rng, cfg, batch * rint(rng, 2, 3), batch, n=train["inputs"].shape[1])
    return [
        Probe(
            "evaluate_run",
            {
                "model": model_spec(cfg, params, seed=rint(rng, 0, 10**6)),
                "train_data": train,
                "val_data": val,
                "eval_iter": rint(rng, 1, 2),
                "device": grading_device(),
            },
        )
    ]


def _evaluate_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    args = probes[0].args
    what = f"evaluate_model(model, train_loader, val_loader, device, eval_iter={args['eval_iter']})"
    value = value_of(results[0], what=what)
    if isinstance(value, CheckOutcome):
        return value
    forwards = value.get("forwards") if isinstance(value.get("forwards"), list) else []
    if not forwards:
        return failed(f"{what} never ran the model.")
    if any(isinstance(f, list) and f and f[0] is True for f in forwards):
        return failed(
            f"{what} ran the model in train mode: call model.eval() first, so "
            "dropout is off while measuring the loss."
        )
    if any(isinstance(f, list) and len(f) > 1 and f[1] is True for f in forwards):
        return failed(
            f"{what} tracked gradients: wrap the loss computation in "
            "torch.no_grad() (faster, less memory)."
        )
    if value.get("training_after") is not True:
        return failed(
            f"{what} left the model in eval mode: call model.train() before "
            "returning, so training continues with dropout."
        )
    pair = value.get("value")
    cfg, params = args["model"]["cfg"], args["model"]["tensors"]
    p = ref.as_tensors(params)
    train_b, val_b = batches_from(args["train_data"]), batches_from(args["val_data"])
    n = int(args["eval_iter"])
    want = (ref.loader_loss(p, cfg, train_b, n), ref.loader_loss(p, cfg, val_b, n))
    got = [number(v) for v in pair] if isinstance(pair, list) and len(pair) == 2 else None
    if got is None or None in got:
        return failed(f"{what} returned {pair!r}: return (train_loss, val_loss), two floats.")
    if all(close(g, w) for g, w in zip(got, want, strict=True)):  # type: ignore[arg-type]
        return passed(
            "evaluate_model measures both losses in eval mode without gradients, "
            "then switches back to train mode."
        )
    if close(got[0], want[1]) and close(got[1], want[0]):  # type: ignore[arg-type]
        return failed(f"{what}: the two losses are swapped -- return (train_loss, val_loss).")
    full = (ref.loader_loss(p, cfg, train_b, None), ref.loader_loss(p, cfg, val_b, None))
    if all(close(g, w) for g, w in zip(got, full, strict=True)):  # type: ignore[arg-type]
        return failed(
            f"{what}: eval_iter is ignored -- pass num_batches=eval_iter to calc_loss_loader."
        )
    return failed(
        f"{what} returned ({got[0]:.5f}, {got[1]:.5f}); expected ({want[0]:.5f}, "
        f"{want[1]:.5f}), the losses over the first eval_iter batches."
    )


# --- text_to_token_ids / token_ids_to_text --------------------------------------------------------

TEXTS = [
    "Every effort moves you",
    "Hello, do you like tea?",
    "In the sunlit terraces",
    "I HAD always thought Jack Gisburn",
    "the 3 quick brown foxes",
    "Is this-- a test?",
]


def _token_build(rng: np.random.Generator) -> list[Probe]:
    texts = [TEXTS[i] for i in rng.permutation(len(TEXTS))[:3]]
    return [Probe("token_helpers", {"texts": texts})]


def _token_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    texts = probes[0].args["texts"]
    value = value_of(results[0], what="text_to_token_ids(text, tokenizer)")
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(texts), what="text_to_token_ids")
    if isinstance(calls, CheckOutcome):
        return calls
    for text, call in zip(texts, calls, strict=True):
        error = raised_text(call)
        if error is not None:
            return failed(f"text_to_token_ids({text!r}, tokenizer) raised {error}.")
        ids = call.get("value")
        want = tok_ref.bpe_encode(text)
        shape = getattr(ids, "shape", None)
        if shape != (1, len(want)):
            return failed(
                f"text_to_token_ids({text!r}, tokenizer) returned "
                f"{'shape ' + fmt_shape(shape) if shape is not None else type(ids).__name__}; "
                f"expected a tensor of shape (1, {len(want)}): "
                "torch.tensor(encoded).unsqueeze(0) adds the batch dimension."
            )
        got = as_int_list(ids.reshape(-1)) if hasattr(ids, "reshape") else None
        if got != want:
            return failed(
                f"text_to_token_ids({text!r}, tokenizer) gave ids {got}, expected "
                f"{want} (tokenizer.encode(text))."
            )
        back = call.get("text") if isinstance(call.get("text"), dict) else {}
        if raised_text(back) is not None:
            return failed(f"token_ids_to_text(ids, tokenizer) raised {raised_text(back)}.")
        if back.get("value") != text:
            return failed(
                f"token_ids_to_text(text_to_token_ids({text!r})) returned "
                f"{back.get('value')!r}: squeeze(0) the batch dimension and "
                "tokenizer.decode(flat.tolist())."
            )
    return passed("text_to_token_ids adds a batch dimension and token_ids_to_text removes it.")


# --- The challenge --------------------------------------------------------------------------------


def _check(
    name: str,
    description: str,
    build: Callable[[np.random.Generator], list[Probe]],
    judge: Any,
    *,
    video: str,
    card: int,
    needs: tuple[str, ...],
) -> Check:
    return Check(name, description, build, judge, video=video, card=card, needs=needs)


TRAINING = register(
    ChallengeSpec(
        slug="training",
        names=NAMES,
        optional_names=("train_model",),
        starter=(STARTERS / "training.py").read_text(encoding="utf-8"),
        wall_s=60.0,
        checks=(
            _check(
                "loss_batch_matches_reference",
                "calc_loss_batch(input_batch, target_batch, model, device) is the mean "
                "cross-entropy of logits.flatten(0, 1) against target_batch.flatten(), a "
                "tensor loss.backward() accepts.",
                _loss_batch_build,
                _loss_batch_judge,
                video=VID_LOSS,
                card=CARD_CE,
                needs=("GPTModel", "calc_loss_batch"),
            ),
            _check(
                "loss_loader_num_batches",
                "calc_loss_loader(data_loader, model, device, num_batches=None) averages "
                "the batch losses over the first min(num_batches, len(data_loader)) "
                "batches.",
                _loader_build,
                _loader_judge,
                video=VID_VAL,
                card=CARD_SPLIT,
                needs=("GPTModel", "calc_loss_batch", "calc_loss_loader"),
            ),
            _check(
                "loss_loader_empty_is_nan",
                "calc_loss_loader returns float('nan') for an empty data loader.",
                _empty_build,
                _empty_judge,
                video=VID_VAL,
                card=CARD_SPLIT,
                needs=("GPTModel", "calc_loss_loader"),
            ),
            _check(
                "uniform_model_loss_is_ln_vocab",
                "With an all-zero output head every token is equally likely: the loss is "
                "ln(vocab_size) and the perplexity exp(loss) is vocab_size.",
                _uniform_build,
                _uniform_judge,
                video=VID_LOSS,
                card=CARD_PPL,
                needs=("GPTModel", "calc_loss_loader"),
            ),
            _check(
                "evaluate_model_modes",
                "evaluate_model computes (train_loss, val_loss) over eval_iter batches in "
                "eval mode under torch.no_grad(), then puts the model back in train mode.",
                _evaluate_build,
                _evaluate_judge,
                video=VID_VAL,
                card=CARD_SPLIT,
                needs=("GPTModel", "evaluate_model"),
            ),
            _check(
                "train_losses_match_reference",
                "train_model_simple with AdamW reports the same train and validation "
                "losses as the reference training, evaluation by evaluation.",
                lambda rng: loop.train_probe(rng, epochs=2, batches=rint(rng, 2, 3)),
                loop.losses_judge,
                video=VID_TRAIN,
                card=CARD_ADAMW,
                needs=("GPTModel", "train_model_simple"),
            ),
            _check(
                "tokens_seen_bookkeeping",
                "track_tokens_seen records input_batch.numel() summed over the steps so "
                "far, at every evaluation.",
                lambda rng: loop.train_probe(rng, epochs=1, batches=rint(rng, 3, 4)),
                loop.tokens_judge,
                video=VID_TRAIN,
                card=CARD_ADAMW,
                needs=("GPTModel", "train_model_simple"),
            ),
            _check(
                "training_reduces_loss",
                "A few AdamW steps on one repeated batch bring the training loss down.",
                lambda rng: loop.train_probe(rng, epochs=3, batches=2, repeat=True, lr=1e-2),
                loop.falls_judge,
                video=VID_TRAIN,
                card=CARD_ADAMW,
                needs=("GPTModel", "train_model_simple"),
            ),
            *checkpoint_checks(),
            _check(
                "appendix_d_train_model",
                "Optional (Appendix D): train_model warms the learning rate up linearly, "
                "decays it with a cosine, clips gradients to norm 1.0 after the warm-up and "
                "returns track_lrs.",
                loop.appendix_d_build,
                loop.appendix_d_judge,
                video=VID_TRAIN,
                card=CARD_WARMUP,
                needs=("GPTModel",),
            ),
            _check(
                "text_token_helpers",
                "text_to_token_ids(text, tokenizer) returns a (1, n) tensor of the "
                "tokenizer's ids and token_ids_to_text turns it back into the text.",
                _token_build,
                _token_judge,
                video=VID_GENERATE,
                card=CARD_CE,
                needs=("text_to_token_ids", "token_ids_to_text"),
            ),
        ),
    )
)
