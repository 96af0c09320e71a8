"""Probe operations for chapters 5-7: training, sampling, model I/O and fine-tuning.

Same rules as ``grading.sandbox.probes`` (whose ``OPS`` these join, through the import at
the end of that module): each op calls the learner's functions with plain data the trusted
side sent and reports raw results; nothing here knows an expected value.

The learner's ``GPTModel`` is built from a *model spec*
``{"cls", "cfg", "tensors", "seed", "head"}``: ``cls(cfg)`` after ``torch.manual_seed(seed)``;
``head`` replaces ``out_head`` by ``nn.Linear(emb_dim, head)`` (a classification model); then
``tensors`` are loaded by the book's parameter names (``probes.load_tensors``), so the trusted
side knows every weight. Data loaders are real ``DataLoader``s over ``TensorDataset``s,
unshuffled. Files (checkpoints, CSVs) live in a fresh directory under the sandbox's private
temp dir and are removed afterwards; only values travel back.

``device`` (default ``"cpu"``) is what a GPU host's trusted side asks for
(``GRADING_DEVICE``); the model and data are moved there and results come back on the CPU.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from grading.sandbox.probes import load_tensors, op, to_plain, to_torch


def _warm_optimizers() -> None:
    """The first ``torch.optim`` optimizer of a process imports ``torch._dynamo`` (about 2 s,
    70 MB, no threads). This module is imported by the sandbox's zygote after torch and before
    any fork, so paying it here once spares every training probe's child. Where torch is not
    loaded yet (a process that only wants the op names) nothing happens."""
    import sys

    if "torch" in sys.modules:
        import torch

        torch.optim.AdamW([torch.zeros(1, requires_grad=True)])


_warm_optimizers()


class _LoadError(Exception):
    def __init__(self, value: dict[str, Any]) -> None:
        super().__init__("weights did not load")
        self.value = value


def _shapes(model: Any) -> dict[str, list[int]]:
    return {name: list(p.shape) for name, p in model.named_parameters()}


def _build_model(module: ModuleType, spec: dict[str, Any], device: str = "cpu") -> Any:
    """The learner's model from a model spec; ``_LoadError`` when the weights do not fit."""
    import torch

    if spec.get("seed") is not None:
        torch.manual_seed(int(spec["seed"]))
    model = getattr(module, spec.get("cls", "GPTModel"))(dict(spec["cfg"]))
    if spec.get("head"):
        model.out_head = torch.nn.Linear(int(spec["cfg"]["emb_dim"]), int(spec["head"]))
    tensors = spec.get("tensors")
    if tensors is not None:
        error = load_tensors(model, tensors)
        if error is not None:
            raise _LoadError({"load_error": error, "param_shapes": _shapes(model)})
    return model.to(device)


def _loader(data: dict[str, Any]) -> Any:
    """``DataLoader(TensorDataset(inputs, targets), batch_size)``, unshuffled."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    inputs = torch.as_tensor(data["inputs"]).long()
    targets = torch.as_tensor(data["targets"]).long()
    return DataLoader(
        TensorDataset(inputs, targets),
        batch_size=int(data["batch_size"]),
        shuffle=False,
        drop_last=False,
    )


def _outcome(fn: Any) -> dict[str, Any]:
    """``{"value": ...}`` or what the learner's call raised (per call, so one failing input
    does not hide the others)."""
    try:
        return {"value": to_plain(fn())}
    except Exception as exc:  # reported; the judge writes the message
        return {"raised": type(exc).__name__, "message": str(exc)[:500]}


@contextmanager
def _workdir() -> Iterator[str]:
    """A fresh directory under the (sandbox-private) temp dir, removed afterwards."""
    path = tempfile.mkdtemp(prefix="probe-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class SmallTokenizer:
    """A character tokenizer for small vocabularies (ids ``ord(c) % vocab_size``), with
    tiktoken's call signature: lets ``train_model_simple`` print its samples with a model
    far smaller than GPT-2's 50,257 tokens."""

    def __init__(self, vocab_size: int) -> None:
        self.vocab_size = vocab_size
        self.n_vocab = vocab_size

    def encode(self, text: str, **kwargs: Any) -> list[int]:
        return [ord(c) % self.vocab_size for c in text]

    def decode(self, ids: Any) -> str:
        return "".join(chr(97 + int(i) % 26) for i in ids)


def _writable(value: Any) -> Any:
    """Writable copies of the arrays in a nested structure (the wire's are read-only)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_writable(v) for v in value]
    if isinstance(value, dict):
        return {k: _writable(v) for k, v in value.items()}
    return value


def _tokenizer(spec: Any) -> Any:
    if isinstance(spec, dict) and "small" in spec:
        return SmallTokenizer(int(spec["small"]))
    import tiktoken

    from grading.sandbox import offline_tiktoken

    offline_tiktoken.register()  # already done in the sandbox; needed in-process
    return tiktoken.get_encoding("gpt2")


# --- Chapter 5: losses, evaluation, training ------------------------------------------------


def _describe_loss(value: Any) -> dict[str, Any]:
    import torch

    if isinstance(value, torch.Tensor):
        return {
            "kind": "tensor",
            "shape": list(value.shape),
            "requires_grad": bool(value.requires_grad),
            "value": to_plain(value.detach().float()),
        }
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"kind": "number", "value": float(value)}
    return {"kind": type(value).__name__}


@op
def loss_batches(
    module: ModuleType,
    *,
    model: dict[str, Any],
    batches: list[list[Any]],
    fn: str = "calc_loss_batch",
    device: str = "cpu",
    train: bool = False,
) -> dict[str, Any]:
    """``fn(input_batch, target_batch, model, device)`` per batch; each result says whether
    the loss is a tensor that ``backward()`` accepts (``backward_ok``)."""
    try:
        net = _build_model(module, model, device)
    except _LoadError as exc:
        return exc.value
    net.train(train)
    results: list[dict[str, Any]] = []
    for inputs, targets in batches:
        try:
            loss = getattr(module, fn)(to_torch(inputs), to_torch(targets), net, device)
        except Exception as exc:  # reported per batch
            results.append({"raised": type(exc).__name__, "message": str(exc)[:500]})
            continue
        info = _describe_loss(loss)
        if info.get("requires_grad"):
            try:
                loss.backward()
                info["backward_ok"] = True
            except Exception as exc:  # reported
                info["backward_ok"] = False
                info["message"] = str(exc)[:300]
            net.zero_grad()
        results.append(info)
    return {"results": results}


@op
def loader_calls(
    module: ModuleType,
    *,
    model: dict[str, Any],
    data: dict[str, Any],
    calls: list[Any],
    fn: str = "calc_loss_loader",
    device: str = "cpu",
    train: bool = False,
) -> dict[str, Any]:
    """``fn(loader, model, device)`` (``num_batches=n`` when a call is an int, the default
    when it is None) for each of ``calls``; returns each value and the model's mode after."""
    try:
        net = _build_model(module, model, device)
    except _LoadError as exc:
        return exc.value
    loader = _loader(data)
    results = []
    for n in calls:
        net.train(train)

        def call(n: Any = n) -> Any:
            f = getattr(module, fn)
            return f(loader, net, device) if n is None else f(loader, net, device, num_batches=n)

        result = _outcome(call)
        result["training_after"] = bool(net.training)
        results.append(result)
    return {"results": results, "len": len(loader)}


@op
def evaluate_run(
    module: ModuleType,
    *,
    model: dict[str, Any],
    train_data: dict[str, Any],
    val_data: dict[str, Any],
    eval_iter: int,
    device: str = "cpu",
) -> dict[str, Any]:
    """``evaluate_model(model, train_loader, val_loader, device, eval_iter)`` from train mode;
    records the mode and grad state of every forward pass and the mode afterwards."""
    import torch

    try:
        net = _build_model(module, model, device)
    except _LoadError as exc:
        return exc.value
    forwards: list[list[bool]] = []
    net.register_forward_pre_hook(
        lambda m, _inputs: forwards.append([bool(m.training), torch.is_grad_enabled()])
    )
    net.train()
    value = module.evaluate_model(net, _loader(train_data), _loader(val_data), device, eval_iter)
    return {"value": to_plain(value), "forwards": forwards, "training_after": bool(net.training)}


@op
def train_run(
    module: ModuleType,
    *,
    model: dict[str, Any],
    train_data: dict[str, Any],
    val_data: dict[str, Any],
    lr: float,
    weight_decay: float,
    num_epochs: int,
    eval_freq: int,
    eval_iter: int,
    start_context: str,
    fn: str = "train_model_simple",
    kwargs: dict[str, Any] | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """``fn(model, train_loader, val_loader, optimizer, device, num_epochs, eval_freq,
    eval_iter, start_context, tokenizer, **kwargs)`` with ``AdamW(lr, weight_decay)`` and a
    small character tokenizer; ``{"defined": False}`` when ``fn`` is not defined (Appendix
    D's optional ``train_model``). Returns what it returned and whether weights changed."""
    import torch

    train_fn = getattr(module, fn, None)
    if train_fn is None:
        return {"defined": False}
    try:
        net = _build_model(module, model, device)
    except _LoadError as exc:
        return exc.value
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    tokenizer = SmallTokenizer(int(model["cfg"]["vocab_size"]))
    value = train_fn(
        net,
        _loader(train_data),
        _loader(val_data),
        optimizer,
        device,
        num_epochs,
        eval_freq,
        eval_iter,
        start_context,
        tokenizer,
        **(kwargs or {}),
    )
    changed = any(
        not torch.equal(before[n], p.detach()) for n, p in net.named_parameters() if n in before
    )
    return {"defined": True, "value": to_plain(value), "params_changed": changed}


def _own_steps(net: Any, optimizer: Any, batches: list[list[Any]], device: str) -> list[float]:
    """Plain AdamW steps with the book's loss (this op's own code, not the learner's)."""
    import torch

    losses = []
    net.train()
    for inputs, targets in batches:
        optimizer.zero_grad()
        logits = net(to_torch(inputs).to(device))
        loss = torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), to_torch(targets).to(device).flatten()
        )
        losses.append(float(loss.detach()))
        loss.backward()
        optimizer.step()
    return losses


@op
def checkpoint_run(
    module: ModuleType,
    *,
    model: dict[str, Any],
    fresh_seed: int,
    lr: float,
    weight_decay: float,
    before: list[list[Any]],
    after: list[list[Any]],
    device: str = "cpu",
) -> dict[str, Any]:
    """Train model A for the ``before`` batches, ``save_checkpoint(A, opt_A, path)``; build a
    fresh model B (``fresh_seed``) with a fresh AdamW, ``load_checkpoint(B, opt_B, path)``;
    then train A and B on the ``after`` batches.

    Returns the checkpoint's top-level keys as ``torch.load(path, weights_only=True)`` sees
    them (or why it refused), B's weights and AdamW state right after loading (by parameter
    name), and the losses of both continuations.
    """
    import torch

    try:
        net_a = _build_model(module, model, device)
    except _LoadError as exc:
        return exc.value
    opt_a = torch.optim.AdamW(net_a.parameters(), lr=lr, weight_decay=weight_decay)
    _own_steps(net_a, opt_a, before, device)
    out: dict[str, Any] = {}
    with _workdir() as work:
        path = os.path.join(work, "checkpoint.pth")
        module.save_checkpoint(net_a, opt_a, path)
        try:
            saved = torch.load(path, weights_only=True, map_location="cpu")
            out["file"] = {
                "type": type(saved).__name__,
                "keys": sorted(str(k) for k in saved) if isinstance(saved, dict) else [],
            }
        except Exception as exc:  # what weights_only refuses (a whole pickled model ...)
            out["file"] = {"refused": f"{type(exc).__name__}: {str(exc)[:300]}"}
        fresh = dict(model, seed=fresh_seed, tensors=None)
        net_b = _build_model(module, fresh, device)
        opt_b = torch.optim.AdamW(net_b.parameters(), lr=lr, weight_decay=weight_decay)
        module.load_checkpoint(net_b, opt_b, path)
    names = {id(p): n for n, p in net_b.named_parameters()}
    state: dict[str, Any] = {}
    for p, s in opt_b.state.items():
        if id(p) in names:
            state[names[id(p)]] = {k: to_plain(v) for k, v in s.items()}
    out["loaded"] = {n: to_plain(p) for n, p in net_b.named_parameters()}
    out["optimizer_state"] = state
    out["optimizer_lr"] = [float(g.get("lr", math.nan)) for g in opt_b.param_groups]
    out["losses_a"] = _own_steps(net_a, opt_a, after, device)
    out["losses_b"] = _own_steps(net_b, opt_b, after, device)
    return out


@op
def token_helpers(module: ModuleType, *, texts: list[str]) -> dict[str, Any]:
    """``text_to_token_ids(text, tokenizer)`` and ``token_ids_to_text(ids, tokenizer)`` with
    tiktoken's ``gpt2`` encoding, per text."""
    tokenizer = _tokenizer("gpt2")
    results = []
    for text in texts:
        try:
            ids = module.text_to_token_ids(text, tokenizer)
        except Exception as exc:  # reported per text
            results.append({"raised": type(exc).__name__, "message": str(exc)[:500]})
            continue
        entry: dict[str, Any] = {"value": to_plain(ids)}
        entry["text"] = _outcome(lambda ids=ids: module.token_ids_to_text(ids, tokenizer))
        results.append(entry)
    return {"results": results}


# --- Sampling (chapter 5.3) --------------------------------------------------------------------


def _table_model(table: Any, mix: Any, context: int) -> Any:
    """A tiny causal language model the trusted side can compute exactly:
    ``logits[:, t] = table[idx[:, t]] (+ mean(mix[idx[:, :t + 1]]))``; rows of ``table`` all
    equal give the same next-token distribution at every step. Inputs longer than
    ``context`` raise, like GPTModel's position embedding."""
    import torch

    class TableModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("table", torch.tensor(table))
            self.register_buffer("mix", None if mix is None else torch.tensor(mix))

        def forward(self, idx: Any) -> Any:
            n = idx.shape[1]
            if n > context:
                raise IndexError(f"input of {n} tokens is longer than the context ({context})")
            out = self.table[idx]
            if self.mix is not None:
                steps = torch.arange(1, n + 1, dtype=out.dtype).view(1, n, 1)
                out = out + torch.cumsum(self.mix[idx], dim=1) / steps
            return out

    return TableModel()


@op
def sample_runs(
    module: ModuleType,
    *,
    table: Any,
    context: int,
    runs: list[dict[str, Any]],
    mix: Any = None,
    fn: str = "generate",
) -> dict[str, Any]:
    """``fn(model, idx, max_new_tokens, context_size, **kwargs)`` on the table model, each run
    after ``torch.manual_seed(run["seed"])``; returns each output (or what was raised) and
    the longest input the model saw."""
    import torch

    net = _table_model(table, mix, int(context))
    net.eval()
    results = []
    for run in runs:
        seen: list[int] = []
        handle = net.register_forward_pre_hook(
            lambda _m, inputs, seen=seen: seen.append(int(inputs[0].shape[-1]))
        )
        torch.manual_seed(int(run.get("seed", 0)))
        result = _outcome(
            lambda run=run: getattr(module, fn)(
                net,
                torch.tensor(run["idx"]),
                int(run["max_new_tokens"]),
                int(run["context_size"]),
                **run.get("kwargs", {}),
            )
        )
        handle.remove()
        result["max_seen"] = max(seen, default=0)
        results.append(result)
    return {"results": results}


# --- Model I/O (chapter 5.4-5.5) -----------------------------------------------------------------


@op
def assign_calls(module: ModuleType, *, cases: list[list[Any]]) -> dict[str, Any]:
    """``assign(left, right)`` with ``left`` an ``nn.Parameter`` and ``right`` a numpy array
    (as ``load_weights_into_gpt`` calls it); reports type, value, requires_grad."""
    import torch

    results = []
    for left, right in cases:
        try:
            got = module.assign(torch.nn.Parameter(torch.tensor(left)), right.copy())
        except Exception as exc:  # the contract asks for a ValueError on a mismatch
            results.append({"raised": type(exc).__name__, "message": str(exc)[:300]})
            continue
        results.append(
            {
                "type": type(got).__name__,
                "is_parameter": isinstance(got, torch.nn.Parameter),
                "requires_grad": bool(getattr(got, "requires_grad", False)),
                "value": to_plain(got),
            }
        )
    return {"results": results}


@op
def load_openai_run(
    module: ModuleType,
    *,
    cfg: dict[str, Any],
    params: dict[str, Any],
    seed: int,
    idx: Any,
) -> dict[str, Any]:
    """``GPTModel(cfg)`` (after ``manual_seed(seed)``), then ``load_weights_into_gpt(gpt,
    params)`` with numpy arrays in OpenAI's layout; returns every parameter before and after
    and the eval-mode logits for ``idx``."""
    import torch

    torch.manual_seed(seed)
    gpt = module.GPTModel(dict(cfg))
    before = {n: to_plain(p) for n, p in gpt.named_parameters()}
    module.load_weights_into_gpt(gpt, _writable(params))
    gpt.eval()
    with torch.no_grad():
        logits = gpt(torch.as_tensor(idx).long())
    return {
        "before": before,
        "after": {n: to_plain(p) for n, p in gpt.named_parameters()},
        "logits": to_plain(logits),
    }


# --- Chapter 6: classification -------------------------------------------------------------------


@op
def head_run(
    module: ModuleType,
    *,
    model: dict[str, Any],
    num_classes: int | None,
    idx: Any,
) -> dict[str, Any]:
    """``add_classification_head(model)`` (or with ``num_classes``); returns which
    parameters are trainable, the head's shape, whether the same model came back, and the
    logits' shape for ``idx``."""
    import torch

    try:
        net = _build_model(module, model)
    except _LoadError as exc:
        return exc.value
    fn = module.add_classification_head
    returned = fn(net) if num_classes is None else fn(net, num_classes=num_classes)
    target = returned if isinstance(returned, torch.nn.Module) else net
    head = getattr(target, "out_head", None)
    info: dict[str, Any] = {
        "returned": "same" if returned is net else type(returned).__name__,
        "trainable": {n: bool(p.requires_grad) for n, p in target.named_parameters()},
        "shapes": _shapes(target),
        "head_type": type(head).__name__,
    }
    target.eval()
    with torch.no_grad():
        info["logits_shape"] = list(target(torch.as_tensor(idx).long()).shape)
    return info


@op
def spam_dataset_run(
    module: ModuleType,
    *,
    csv_text: str,
    kwargs: dict[str, Any],
    indices: list[int],
) -> dict[str, Any]:
    """Writes ``csv_text`` to a file in a private directory and builds ``SpamDataset(path,
    tokenizer, **kwargs)`` with tiktoken's ``gpt2``; returns ``len``, the ``max_length``
    attribute and the items at ``indices`` as ``[ids, label]``."""
    tokenizer = _tokenizer("gpt2")
    with _workdir() as work:
        path = os.path.join(work, "train.csv")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(csv_text)
        dataset = module.SpamDataset(path, tokenizer, **kwargs)
        n = len(dataset)
        max_length = getattr(dataset, "max_length", None)
        return {
            "len": n,
            "max_length": max_length if isinstance(max_length, int) else None,
            "items": [to_plain(dataset[i]) for i in indices if 0 <= i < n],
        }


@op
def classify_runs(
    module: ModuleType,
    *,
    model: dict[str, Any],
    texts: list[str],
    max_length: int,
    device: str = "cpu",
) -> dict[str, Any]:
    """``classify_review(text, model, tokenizer, device, max_length=max_length)`` per text."""
    try:
        net = _build_model(module, model, device)
    except _LoadError as exc:
        return exc.value
    tokenizer = _tokenizer("gpt2")
    return {
        "results": [
            _outcome(
                lambda t=t: module.classify_review(t, net, tokenizer, device, max_length=max_length)
            )
            for t in texts
        ]
    }


# --- Chapter 7: instruction data ------------------------------------------------------------------


@op
def function_calls(module: ModuleType, *, name: str, calls: list[list[Any]]) -> dict[str, Any]:
    """``name(*args, **kwargs)`` for each ``[args, kwargs]``; lists stay lists (the book's
    collate function copies them), arrays become tensors."""
    fn = getattr(module, name)
    return {
        "results": [
            _outcome(lambda a=args, k=kwargs: fn(*to_torch(list(a or [])), **dict(k or {})))
            for args, kwargs in calls
        ]
    }


@op
def instruction_dataset_run(
    module: ModuleType, *, data: list[dict[str, str]], indices: list[int]
) -> dict[str, Any]:
    """``InstructionDataset(data, tokenizer)`` with tiktoken's ``gpt2``: ``len`` and items."""
    dataset = module.InstructionDataset([dict(e) for e in data], _tokenizer("gpt2"))
    n = len(dataset)
    return {"len": n, "items": [to_plain(dataset[i]) for i in indices if 0 <= i < n]}
