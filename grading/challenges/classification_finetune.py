"""Chapter 6 challenge ``classification-finetune``: SpamDataset, the classification head,
last-token loss and accuracy, classify_review.

Messages come from the project's own synthetic SMS collection (``grading.fixtures.sms_spam``:
the book's ``Label,Text`` CSV with labels 0/1); the sandbox writes the CSV the trusted side
sends into its private temp dir and the learner's ``SpamDataset`` reads it with pandas.
Models are the learner's GPTModel with a 2-class ``out_head`` whose weights are drawn here;
every expected id, loss, accuracy and label is recomputed with ``grading.reference`` after
the sandbox answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import as_array, as_int_list, failed, fmt_shape, passed, short
from grading.challenges.training_common import (
    Cfg,
    calls_of,
    close,
    gpt_params,
    gpt_probe,
    gpt_problem,
    grading_device,
    loader_data,
    loader_run,
    model_spec,
    number,
    raised_text,
    rint,
    seed_of,
    tiny_cfg,
    token_rows,
    value_of,
)
from grading.fixtures import sms_spam
from grading.reference import tokenizer as tok_ref
from grading.reference import training as ref

STARTERS = Path(__file__).parent / "starters"

VID_DATA = "t_0XAf_SZmo"  # Preparing the dataset (6.2)
VID_LOADERS = "m4qiVQHp9Do"  # Creating data loaders (6.3)
VID_INIT = "wq9VdwBHl0w"  # Initializing a model with pretrained weights (6.4): model-io
VID_HEAD = "PTzHj5UmP9Y"  # Adding a classification head (6.5)
VID_LOSS = "4Gjrtw2vQgU"  # Calculating the classification loss and accuracy (6.6)
VID_FINETUNE = "DfCbtGgY3cs"  # Fine-tuning the model on supervised data (6.7)
VID_CLASSIFY = "7Okki_IhSSw"  # Using the LLM as a spam classifier (6.8)
CARD_FINETUNE, CARD_HEAD, CARD_FREEZE, CARD_FORGET = 30, 31, 32, 44
PAD = 50256
NAMES = (
    "GPTModel",
    "SpamDataset",
    "add_classification_head",
    "calc_loss_batch",
    "calc_loss_loader",
    "calc_accuracy_loader",
    "classify_review",
)
LAST_TOKEN = (
    "the last token is the only one that has seen every other token (causal "
    "attention): use model(input_batch)[:, -1, :]."
)


def _precondition(rng: np.random.Generator) -> Probe:
    cfg = tiny_cfg(rng, layers=(1, 1))
    x, _ = token_rows(rng, int(cfg["vocab_size"]), 2, rint(rng, 3, int(cfg["context_length"])))
    return gpt_probe(cfg, gpt_params(cfg, rng), x)


# --- SpamDataset ------------------------------------------------------------------------------


def _csv_rows(rng: np.random.Generator, count: int) -> list[tuple[str, str]]:
    pool = sms_spam.messages(seed_of(rng) % 10_000, n_ham=count, n_spam=count)
    chosen = [pool[int(i)] for i in rng.permutation(len(pool))[:count]]
    if len({label for label, _ in chosen}) < 2:  # both labels appear
        chosen[-1] = next(r for r in pool if r[0] != chosen[0][0])
    return chosen


def _dataset_build(rng: np.random.Generator, *, truncate: bool) -> list[Probe]:
    rows = _csv_rows(rng, rint(rng, 5, 8))
    kwargs: dict[str, Any] = {}
    if truncate:
        lengths = sorted(len(tok_ref.bpe_encode(text)) for _, text in rows)
        kwargs["max_length"] = int(rng.integers(lengths[0] + 1, lengths[-1]))
    return [
        Probe(
            "spam_dataset_run",
            {
                "csv_text": sms_spam.csv_text(rows),
                "kwargs": kwargs,
                "indices": list(range(len(rows))),
            },
            timeout_s=10.0,
        )
    ]


def _expected_items(rows: list[tuple[str, str]], max_length: int | None) -> tuple[int, list[Any]]:
    encoded = [tok_ref.bpe_encode(text) for _, text in rows]
    m = max_length if max_length is not None else max(len(e) for e in encoded)
    return m, [
        (ref.pad_and_truncate(e, m), sms_spam.LABELS[label])
        for e, (label, _) in zip(encoded, rows, strict=True)
    ]


def _parse_csv(text: str) -> list[tuple[str, str]]:
    import csv
    import io

    reader = csv.reader(io.StringIO(text))
    next(reader)
    names = {v: k for k, v in sms_spam.LABELS.items()}
    return [(names[int(label)], body) for label, body in reader]


def _dataset_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    args = probes[0].args
    rows = _parse_csv(args["csv_text"])
    given = args["kwargs"].get("max_length")
    call = "SpamDataset(csv_file, tokenizer" + (f", max_length={given})" if given else ")")
    value = value_of(results[0], what=call, hint="(columns Text and Label; pd.read_csv)")
    if isinstance(value, CheckOutcome):
        return value
    m, want = _expected_items(rows, given)
    if value.get("len") != len(rows):
        return failed(
            f"{call}: len(dataset) is {value.get('len')!r}, the CSV has {len(rows)} rows."
        )
    if value.get("max_length") != m:
        return failed(
            f"{call}: dataset.max_length is {value.get('max_length')!r}, expected {m} ("
            + (
                "the max_length given"
                if given
                else "the longest encoded text: _longest_encoded_length()"
            )
            + ")."
        )
    items = value.get("items") if isinstance(value.get("items"), list) else []
    for i, ((ids_want, label_want), item) in enumerate(zip(want, items, strict=False)):
        text = rows[i][1]
        if not isinstance(item, list) or len(item) != 2:
            return failed(f"{call}: dataset[{i}] should be a pair (input_ids, label).")
        ids = as_array(item[0])
        got = as_int_list(ids) if ids is not None else None
        if got is None:
            return failed(
                f"{call}: dataset[{i}][0] should be a 1-D tensor of token ids (dtype torch.long)."
            )
        if got != ids_want:
            return failed(
                f"{call}: dataset[{i}] for {short(text)}: "
                + _dataset_diagnosis(got, ids_want, text, m)
            )
        label = _label(item[1])
        if label is None or label != label_want:
            return failed(
                f"{call}: dataset[{i}] has label {item[1]!r}, the CSV says "
                f"{label_want} ({rows[i][0]})."
            )
    if len(items) != len(want):
        return CheckOutcome("error", f"{call}: the sandbox returned no items.")
    return passed(
        "SpamDataset encodes each text, "
        + (f"truncates to max_length={given} and " if given else "")
        + f"pads with {PAD} to {m} tokens, with labels 0/1."
    )


def _label(value: Any) -> int | None:
    """A class label from an int or a one-element integer tensor."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    arr = as_array(value)
    if arr is not None and arr.size == 1 and arr.dtype.kind in "iu":
        return int(arr.reshape(()))
    return None


def _dataset_diagnosis(got: list[int], want: list[int], text: str, m: int) -> str:
    ids = tok_ref.bpe_encode(text)
    if len(got) != m:
        if len(got) > m:
            return f"{len(got)} ids, longer than max_length={m}: truncate to ids[:max_length]."
        if len(got) == len(ids):
            return (
                f"{len(got)} ids, not padded to {m}: append [pad_token_id] * "
                "(max_length - len(ids))."
            )
        return f"{len(got)} ids, expected {m} (truncated to max_length, then padded)."
    real = min(len(ids), m)
    if got[:real] == want[:real] and got[real:] != want[real:]:
        pads = sorted(set(got[real:]))
        return (
            f"padded with {pads[0] if len(pads) == 1 else pads}: pad with pad_token_id="
            f"{PAD} (<|endoftext|>)."
        )
    if got[m - real :] == ids[:real] or got[-real:] == ids[:real]:
        return "the padding goes in front: append it after the text's ids."
    if len(ids) > m and got == ids[-m:]:
        return "keeps the last max_length ids: truncate with ids[:max_length]."
    return f"ids {got[:8]}..., expected {want[:8]}... (tokenizer.encode(text))."


# --- The classification head -------------------------------------------------------------------


def _head_build(rng: np.random.Generator) -> list[Probe]:
    probes = []
    for classes in (None, 3):
        cfg = tiny_cfg(rng, layers=(2, 2))
        x, _ = token_rows(rng, int(cfg["vocab_size"]), 2, rint(rng, 3, int(cfg["context_length"])))
        probes.append(
            Probe(
                "head_run",
                {
                    "model": model_spec(cfg, None, seed=seed_of(rng)),
                    "num_classes": classes,
                    "idx": x,
                },
            )
        )
    return probes


def _head_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    for probe, result in zip(probes, results, strict=True):
        cfg: Cfg = probe.args["model"]["cfg"]
        classes = probe.args["num_classes"]
        n = 2 if classes is None else int(classes)
        call = (
            "add_classification_head(model"
            + ("" if classes is None else f", num_classes={classes}")
            + ")"
        )
        value = value_of(result, what=call)
        if isinstance(value, CheckOutcome):
            return value
        if value.get("returned") not in ("same", "GPTModel"):
            return failed(f"{call} returned {value.get('returned')!r}: return the model.")
        shapes = value.get("shapes") if isinstance(value.get("shapes"), dict) else {}
        emb = int(cfg["emb_dim"])
        if shapes.get("out_head.weight") != [n, emb]:
            got = shapes.get("out_head.weight")
            return failed(
                f"{call}: out_head.weight has shape {fmt_shape(got) if got else 'none'}, "
                f"expected ({n}, {emb}): model.out_head = torch.nn.Linear(emb_dim, num_classes)"
                + (" -- use num_classes, not a fixed 2." if got and got[0] == 2 else ".")
            )
        if shapes.get("out_head.bias") != [n]:
            return failed(
                f"{call}: out_head has no bias: torch.nn.Linear(emb_dim, "
                "num_classes) keeps its default bias=True."
            )
        trainable = value.get("trainable") if isinstance(value.get("trainable"), dict) else {}
        want = ref.trainable_after_head(list(trainable), int(cfg["n_layers"]))
        last = f"trf_blocks.{int(cfg['n_layers']) - 1}."
        extra = [k for k, v in trainable.items() if v and not want[k]]
        frozen = [k for k, v in trainable.items() if not v and want[k]]
        if extra:
            return failed(
                f"{call}: {extra[0]} is still trainable ({len(extra)} parameters "
                "should be frozen): set requires_grad = False on every parameter "
                "before adding the head."
            )
        if any(k.startswith(last) for k in frozen):
            return failed(
                f"{call}: the last transformer block ({last[:-1]}) is frozen: make "
                "model.trf_blocks[-1] trainable again (requires_grad = True)."
            )
        if any(k.startswith("final_norm.") for k in frozen):
            return failed(
                f"{call}: final_norm is frozen: make model.final_norm trainable "
                "again (requires_grad = True)."
            )
        if frozen:
            return failed(f"{call}: {frozen[0]} is frozen but should be trainable.")
        if value.get("logits_shape", [])[-1:] != [n]:
            return failed(
                f"{call}: the model's output should end in {n} classes, got "
                f"{value.get('logits_shape')}."
            )
    return passed(
        "add_classification_head freezes the model, adds a fresh Linear(emb_dim, "
        "num_classes) head and unfreezes the last block and final_norm."
    )


# --- Loss and accuracy ----------------------------------------------------------------------------


def _class_setup(rng: np.random.Generator) -> tuple[Cfg, dict[str, np.ndarray]]:
    cfg = tiny_cfg(rng, layers=(1, 2))
    return cfg, gpt_params(cfg, rng, head=2)


def _class_rows(rng: np.random.Generator, cfg: Cfg, rows: int) -> np.ndarray:
    n = rint(rng, 3, int(cfg["context_length"]))
    return rng.integers(0, int(cfg["vocab_size"]), (rows, n)).astype(np.int64)


def _loss_build(rng: np.random.Generator) -> list[Probe]:
    cfg, params = _class_setup(rng)
    batches = []
    for _ in range(2):
        b = rint(rng, 2, 4)
        batches.append([_class_rows(rng, cfg, b), rng.integers(0, 2, b).astype(np.int64)])
    return [
        _precondition(rng),
        Probe(
            "loss_batches",
            {
                "model": model_spec(cfg, params, head=2),
                "batches": batches,
                "device": grading_device(),
            },
        ),
    ]


CLASS_LOSS_MISTAKES: list[tuple[str, ref.LossKind]] = [
    ("the loss uses the first token's logits: " + LAST_TOKEN, "first"),
    ("the loss averages the logits over all tokens: " + LAST_TOKEN, "mean_tokens"),
]


def _loss_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    problem = gpt_problem(probes[0], results[0])
    if problem is not None:
        return problem
    args = probes[1].args
    cfg, params = args["model"]["cfg"], args["model"]["tensors"]
    value = value_of(
        results[1],
        what="calc_loss_batch(input_batch, target_batch, model, device)",
        hint=LAST_TOKEN,
    )
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(args["batches"]), what="calc_loss_batch")
    if isinstance(calls, CheckOutcome):
        return calls
    p = ref.as_tensors(params)
    for (x, y), call in zip(args["batches"], calls, strict=True):
        what = (
            f"calc_loss_batch on {len(y)} texts of {x.shape[1]} tokens with labels "
            f"{list(map(int, y))}"
        )
        error = raised_text(call)
        if error is not None:
            return failed(f"{what} raised {error}. The target is one label per text: " + LAST_TOKEN)
        got = number(call.get("value")) if call.get("kind") == "tensor" else None
        if call.get("kind") != "tensor" or call.get("shape") != []:
            return failed(
                f"{what} should return a scalar loss tensor, got "
                f"{call.get('kind')} {call.get('shape', '')}."
            )
        want = float(ref.batch_loss(p, cfg, x, y, "last").detach())
        if got is None or not close(got, want):
            for message, kind in CLASS_LOSS_MISTAKES:
                if got is not None and close(
                    got, float(ref.batch_loss(p, cfg, x, y, kind).detach())
                ):
                    return failed(f"{what}: {message}")
            return failed(
                f"{what} returned {got!r}; the cross-entropy of the last token's "
                f"logits is {want:.5f}."
            )
        if not call.get("requires_grad") or call.get("backward_ok") is False:
            return failed(f"{what}: loss.backward() does not work on your loss.")
    return passed("calc_loss_batch scores the last token's logits against the class labels.")


def _accuracy_build(rng: np.random.Generator) -> list[Probe]:
    cfg, params = _class_setup(rng)
    batch = rint(rng, 3, 4)
    x = _class_rows(rng, cfg, batch * rint(rng, 3, 4))
    # Labels: the reference's last-token prediction for most rows, the other class for some,
    # so the accuracy is neither 0 nor 1 and reading another token shows.
    predicted = ref.logits_np(params, cfg, x)[:, -1, :].argmax(axis=-1)
    flip = rng.random(len(x)) < 0.3
    flip[int(rng.integers(len(x)))] = True
    y = np.where(flip, 1 - predicted, predicted).astype(np.int64)
    data = loader_data(x, y, batch)
    count = -(-len(x) // batch)
    return [
        _precondition(rng),
        Probe(
            "loader_calls",
            {
                "model": model_spec(cfg, params, head=2),
                "data": data,
                "fn": "calc_accuracy_loader",
                "calls": [None, rint(rng, 1, count - 1)],
                "device": grading_device(),
            },
        ),
    ]


def _loader_judge(
    probes: Sequence[Probe], results: Sequence[ProbeResult], *, fn: str
) -> CheckOutcome:
    run = loader_run(probes, results, fn=fn)
    if isinstance(run, CheckOutcome):
        return run
    cfg, p, batches = run.cfg, run.weights, run.batches
    for n, what, call in run.calls:
        error = raised_text(call)
        if error is not None:
            return failed(f"{what} raised {error}.")
        got = number(call.get("value"))
        if fn == "calc_accuracy_loader":
            want = ref.loader_accuracy(p, cfg, batches, n)
            variants: list[tuple[str, float]] = [
                (
                    "predictions come from the first token: " + LAST_TOKEN,
                    ref.loader_accuracy(p, cfg, batches, n, position="first"),
                ),
                (
                    "predictions come from logits averaged over the tokens: " + LAST_TOKEN,
                    ref.loader_accuracy(p, cfg, batches, n, position="mean"),
                ),
                (
                    "the correct predictions are divided by the number of batches: divide by the "
                    "number of examples (num_examples += predicted_labels.shape[0]).",
                    ref.loader_accuracy(p, cfg, batches, n, per_batch=True),
                ),
            ]
            if n is not None:
                variants.append(
                    (
                        "num_batches is ignored: stop after min(num_batches, "
                        "len(data_loader)) batches.",
                        ref.loader_accuracy(p, cfg, batches, None),
                    )
                )
        else:
            want = ref.loader_loss(p, cfg, batches, n, kind="last")
            variants = [
                (
                    "the loss uses the first token's logits: " + LAST_TOKEN,
                    ref.loader_loss(p, cfg, batches, n, kind="first"),
                ),
                (
                    "the loss averages the logits over all tokens: " + LAST_TOKEN,
                    ref.loader_loss(p, cfg, batches, n, kind="mean_tokens"),
                ),
            ]
            if n is not None:
                variants.append(
                    (
                        "num_batches is ignored: average the first min(num_batches, "
                        "len(data_loader)) batches.",
                        ref.loader_loss(p, cfg, batches, None, kind="last"),
                    )
                )
        if got is None or not close(got, want):
            for message, alt in variants:
                if got is not None and close(got, alt) and not close(alt, want):
                    return failed(f"{what}: {message}")
            shown = f"{got:.5f}" if got is not None else repr(call.get("value"))
            return failed(f"{what} returned {shown}, expected {want:.5f}.")
    if fn == "calc_accuracy_loader":
        return passed(
            "calc_accuracy_loader compares the argmax of the last token's logits "
            "with the labels over min(num_batches, len) batches."
        )
    return passed("calc_loss_loader averages the last-token loss over the batches.")


def _loss_loader_build(rng: np.random.Generator) -> list[Probe]:
    cfg, params = _class_setup(rng)
    batch = rint(rng, 2, 3)
    x = _class_rows(rng, cfg, batch * rint(rng, 3, 4))
    y = rng.integers(0, 2, len(x)).astype(np.int64)
    count = -(-len(x) // batch)
    return [
        _precondition(rng),
        Probe(
            "loader_calls",
            {
                "model": model_spec(cfg, params, head=2),
                "data": loader_data(x, y, batch),
                "calls": [None, rint(rng, 1, count - 1)],
                "device": grading_device(),
            },
        ),
    ]


# --- classify_review -----------------------------------------------------------------------------


def _classify_build(rng: np.random.Generator) -> list[Probe]:
    heads = int(rng.choice([2, 4]))
    cfg = {
        "vocab_size": 50257,
        "context_length": 16,
        "emb_dim": heads * rint(rng, 4, 6),
        "n_heads": heads,
        "n_layers": 1,
        "drop_rate": 0.0,
        "qkv_bias": False,
    }
    params = gpt_params(cfg, rng, head=2)
    max_length = rint(rng, 6, min(12, int(cfg["emb_dim"])))
    rows = _csv_rows(rng, 8)
    texts = [text for _, text in rows]
    ids = np.array([ref.pad_and_truncate(tok_ref.bpe_encode(t), max_length) for t in texts])
    hidden = ref.logits_np(params, cfg, ids)[:, -1, :]
    margin = hidden[:, 1] - hidden[:, 0]
    # Centre the bias so both answers occur; drop texts too close to the boundary.
    params["out_head.bias"][1] -= np.float32(np.median(margin))
    margin = margin - np.median(margin)
    texts = [t for t, mgn in zip(texts, margin, strict=True) if abs(mgn) > 1e-3][:6]
    return [
        _precondition(rng),
        Probe(
            "classify_runs",
            {
                "model": model_spec(cfg, params, head=2),
                "texts": texts,
                "max_length": max_length,
                "device": grading_device(),
            },
            timeout_s=10.0,
        ),
    ]


def _labels(params: dict[str, np.ndarray], cfg: Cfg, ids: list[list[int]]) -> list[str]:
    out = ref.logits_np(params, cfg, np.array(ids))[:, -1, :]
    return ["spam" if int(v) == 1 else "not spam" for v in out.argmax(axis=-1)]


def _classify_judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    problem = gpt_problem(probes[0], results[0])
    if problem is not None:
        return problem
    args = probes[1].args
    cfg, params, m = args["model"]["cfg"], args["model"]["tensors"], int(args["max_length"])
    value = value_of(
        results[1], what=f"classify_review(text, model, tokenizer, device, max_length={m})"
    )
    if isinstance(value, CheckOutcome):
        return value
    calls = calls_of(value, len(args["texts"]), what="classify_review")
    if isinstance(calls, CheckOutcome):
        return calls
    encoded = [tok_ref.bpe_encode(t) for t in args["texts"]]
    want = _labels(params, cfg, [ref.pad_and_truncate(e, m) for e in encoded])
    got = []
    for text, call in zip(args["texts"], calls, strict=True):
        error = raised_text(call)
        if error is not None:
            return failed(f"classify_review({short(text)}, ..., max_length={m}) raised {error}.")
        got.append(call.get("value"))
    if got == want:
        return passed(
            f"classify_review pads or truncates to max_length={m}, reads the last "
            "token's logits and answers 'spam' for class 1, 'not spam' for 0."
        )
    bad = [v for v in got if v not in ("spam", "not spam")]
    if bad:
        return failed(
            f'classify_review returned {bad[0]!r}: return exactly "spam" (class 1) '
            'or "not spam" (class 0).'
        )
    flipped = ["not spam" if w == "spam" else "spam" for w in want]
    if got == flipped:
        return failed(
            'classify_review swaps the answers: class 1 is "spam", class 0 is "not spam".'
        )
    unpadded = [_labels(params, cfg, [e[:m]])[0] for e in encoded]
    if got == unpadded:
        return failed(
            f"classify_review does not pad: append pad_token_id ({PAD}) up to "
            "max_length, so the last position is where training read it."
        )
    i = next(i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w)
    return failed(
        f"classify_review({short(args['texts'][i])}, ..., max_length={m}) returned "
        f"{got[i]!r}, expected {want[i]!r}: encode, truncate to max_length, pad with "
        f"{PAD}, take the argmax of model(input)[:, -1, :]."
    )


# --- The challenge --------------------------------------------------------------------------------


CLASSIFICATION_FINETUNE = register(
    ChallengeSpec(
        slug="classification-finetune",
        names=NAMES,
        starter=(STARTERS / "classification_finetune.py").read_text(encoding="utf-8"),
        wall_s=40.0,
        checks=(
            Check(
                "spam_dataset_pads_to_longest",
                "SpamDataset(csv_file, tokenizer) encodes every Text, pads with 50256 to the "
                "longest one (dataset.max_length) and returns (input_ids, label) pairs.",
                lambda rng: _dataset_build(rng, truncate=False),
                _dataset_judge,
                video=VID_DATA,
                card=CARD_FINETUNE,
                needs=("SpamDataset",),
            ),
            Check(
                "spam_dataset_truncates",
                "SpamDataset(csv_file, tokenizer, max_length=m) truncates longer texts to m "
                "tokens and pads shorter ones to m.",
                lambda rng: _dataset_build(rng, truncate=True),
                _dataset_judge,
                video=VID_LOADERS,
                card=CARD_FINETUNE,
                needs=("SpamDataset",),
            ),
            Check(
                "classification_head_trainable",
                "add_classification_head(model, num_classes=2) freezes every parameter, "
                "adds out_head = Linear(emb_dim, num_classes) and makes the last transformer "
                "block and final_norm trainable again.",
                _head_build,
                _head_judge,
                video=VID_HEAD,
                card=CARD_FREEZE,
                needs=("GPTModel", "add_classification_head"),
            ),
            Check(
                "last_token_loss",
                "calc_loss_batch is the cross-entropy of the last token's logits "
                "(model(input_batch)[:, -1, :]) against the class labels.",
                _loss_build,
                _loss_judge,
                video=VID_LOSS,
                card=CARD_HEAD,
                needs=("GPTModel", "calc_loss_batch"),
            ),
            Check(
                "loss_loader_last_token",
                "calc_loss_loader averages the last-token loss over min(num_batches, "
                "len(data_loader)) batches.",
                _loss_loader_build,
                lambda p, r: _loader_judge(p, r, fn="calc_loss_loader"),
                video=VID_FINETUNE,
                card=CARD_FORGET,
                needs=("GPTModel", "calc_loss_batch", "calc_loss_loader"),
            ),
            Check(
                "accuracy_loader",
                "calc_accuracy_loader is the share of examples whose last-token argmax is "
                "the label, over min(num_batches, len(data_loader)) batches.",
                _accuracy_build,
                lambda p, r: _loader_judge(p, r, fn="calc_accuracy_loader"),
                video=VID_LOSS,
                card=CARD_HEAD,
                needs=("GPTModel", "calc_accuracy_loader"),
            ),
            Check(
                "classify_review_labels",
                "classify_review(text, model, tokenizer, device, max_length) pads or "
                'truncates to max_length, reads the last token and answers "spam" or '
                '"not spam".',
                _classify_build,
                _classify_judge,
                video=VID_CLASSIFY,
                card=CARD_FINETUNE,
                needs=("GPTModel", "classify_review"),
            ),
        ),
    )
)
