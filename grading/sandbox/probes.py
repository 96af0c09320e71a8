"""Probe operations the sandbox child runs against the learner's module.

Each op is ``op(module, **args) -> value`` where args and value are JSON values with
numpy arrays as leaves (torch tensors are converted with ``to_plain``). Ops never
compute expected values: they only call the learner's code and report what it did.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

OPS: dict[str, Callable[..., Any]] = {}


def op(fn: Callable[..., Any]) -> Callable[..., Any]:
    OPS[fn.__name__] = fn
    return fn


def to_plain(value: Any) -> Any:
    """Convert torch tensors (and containers of them) to numpy arrays / JSON values."""
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:  # numpy has no bfloat16; float32 holds it exactly
            value = value.float()
        # A copy: a forward that returns (and later mutates) the same tensor on every call
        # must not rewrite outputs already collected.
        return value.numpy().copy()
    if isinstance(value, np.ndarray | int | float | str | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    return repr(value)


@op
def call(
    module: ModuleType,
    *,
    name: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
) -> Any:
    """Call a module-level callable with plain arguments and return its result."""
    return to_plain(getattr(module, name)(*(args or []), **(kwargs or {})))


# --- Generic module ops --------------------------------------------------------------------
# Used by every challenge that asks for an ``nn.Module`` (attention, transformer block, GPT
# model, ...). They instantiate a class *by name* with plain constructor arguments, optionally
# load weights the trusted side generated, run forward and report raw outputs. They never
# judge anything and return what the learner's module did, so the trusted side can recompute
# the expected value from the same weights after the sandbox has answered.


def to_torch(value: Any) -> Any:
    """numpy arrays (also inside lists/dicts) -> fresh torch tensors; other values unchanged.

    A copy, so a learner's in-place op cannot alter the probe's own arrays.
    """
    import numpy as np
    import torch

    if isinstance(value, np.ndarray):
        return torch.tensor(value)
    if isinstance(value, list | tuple):
        return [to_torch(v) for v in value]
    if isinstance(value, dict):
        return {k: to_torch(v) for k, v in value.items()}
    return value


def _instantiate(
    module: ModuleType,
    cls: str,
    args: list[Any] | None,
    kwargs: dict[str, Any] | None,
    seed: int | None,
) -> Any:
    import torch

    if seed is not None:
        torch.manual_seed(seed)
    return getattr(module, cls)(*to_torch(list(args or [])), **to_torch(dict(kwargs or {})))


def _shapes(named: Any) -> dict[str, list[int]]:
    return {name: list(t.shape) for name, t in named}


def load_tensors(model: Any, tensors: dict[str, Any]) -> dict[str, Any] | None:
    """Copy the given arrays into the model's parameters/buffers by name.

    Every parameter must be given (buffers are optional: a causal mask is the module's own);
    no unknown name, no shape mismatch. On any mismatch nothing is loaded and a plain
    description is returned, so the judge can write a teaching message instead of a crash.
    """
    import torch

    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    targets = {**buffers, **params}
    not_given = [[n, list(p.shape)] for n, p in params.items() if n not in tensors]
    unknown = [[n, list(a.shape)] for n, a in tensors.items() if n not in targets]
    mismatched = [
        [n, list(a.shape), list(targets[n].shape)]
        for n, a in tensors.items()
        if n in targets and tuple(a.shape) != tuple(targets[n].shape)
    ]
    if not_given or unknown or mismatched:
        return {"not_given": not_given, "unknown": unknown, "mismatched": mismatched}
    with torch.no_grad():
        for name, arr in tensors.items():
            targets[name].copy_(torch.as_tensor(arr))
    return None


@op
def module_forward(
    module: ModuleType,
    *,
    cls: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    seed: int | None = None,
    tensors: dict[str, Any] | None = None,
    train: bool = False,
    calls: list[list[Any]] | None = None,
    forward_seed: int | None = None,
    grad: bool = False,
    return_params: bool = False,
    return_buffers: bool = False,
) -> dict[str, Any]:
    """Instantiate ``cls(*args, **kwargs)`` and run its forward once per entry of ``calls``.

    - ``seed``: ``torch.manual_seed`` before construction (reproducible own weights);
    - ``tensors``: name -> array loaded into parameters/buffers (see ``load_tensors``);
      on a mismatch the result holds ``load_error`` and no forward is run;
    - ``train``: ``model.train()`` instead of ``model.eval()``;
    - ``calls``: positional forward arguments per call (arrays become tensors);
    - ``forward_seed``: ``torch.manual_seed`` once before the first call (dropout draws);
    - ``return_params`` / ``return_buffers``: also return the values after the calls.

    Returns ``{"outputs": [...], "param_shapes": {...}, "buffer_shapes": {...}}`` plus
    ``load_error``, ``params`` and ``buffers`` where they apply.
    """
    import torch

    model = _instantiate(module, cls, args, kwargs, seed)
    result: dict[str, Any] = {
        "param_shapes": _shapes(model.named_parameters()),
        "buffer_shapes": _shapes(model.named_buffers()),
        "outputs": [],
    }
    if tensors is not None:
        error = load_tensors(model, tensors)
        if error is not None:
            result["load_error"] = error
            return result
    model.train(train)
    if forward_seed is not None:
        torch.manual_seed(forward_seed)
    with torch.set_grad_enabled(grad):
        for call_args in calls or []:
            result["outputs"].append(to_plain(model(*to_torch(list(call_args)))))
    if return_params:
        result["params"] = {n: to_plain(p) for n, p in model.named_parameters()}
    if return_buffers:
        result["buffers"] = {n: to_plain(b) for n, b in model.named_buffers()}
    return result


def describe(value: Any) -> dict[str, Any]:
    """A plain description of an attribute value (kind, type, shape, length, value)."""
    import torch

    if isinstance(value, torch.Tensor):
        return {
            "kind": "tensor",
            "type": type(value).__name__,
            "shape": list(value.shape),
            "dtype": str(value.dtype).removeprefix("torch."),
        }
    if isinstance(value, torch.nn.Module):
        out: dict[str, Any] = {"kind": "module", "type": type(value).__name__}
        if hasattr(value, "__len__"):
            out["len"] = len(value)  # type: ignore[arg-type]
        return out
    if isinstance(value, bool | int | float | str) or value is None:
        return {"kind": "value", "type": type(value).__name__, "value": value}
    return {"kind": "object", "type": type(value).__name__}


@op
def inspect_module(
    module: ModuleType,
    *,
    cls: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    seed: int | None = None,
    attributes: list[str] | None = None,
    buffer_values: bool = False,
) -> dict[str, Any]:
    """Instantiate ``cls`` and describe its structure without running forward.

    Returns ``type``, ``parameters`` (name -> shape/dtype), ``buffers`` (name -> shape, dtype,
    ``persistent``, and ``value`` when ``buffer_values``), ``children`` (direct submodule
    name -> type name) and ``attributes`` (each requested attribute, ``describe``d, or
    ``{"kind": "missing"}``).
    """
    model = _instantiate(module, cls, args, kwargs, seed)
    persistent = set(model.state_dict().keys())
    buffers: dict[str, Any] = {}
    for name, buf in model.named_buffers():
        info = describe(buf)
        info["persistent"] = name in persistent
        if buffer_values:
            info["value"] = to_plain(buf)
        buffers[name] = info
    attrs: dict[str, Any] = {}
    for name in attributes or []:
        attrs[name] = (
            describe(getattr(model, name)) if hasattr(model, name) else {"kind": "missing"}
        )
    return {
        "type": type(model).__name__,
        "parameters": {n: describe(p) for n, p in model.named_parameters()},
        "buffers": buffers,
        "children": {n: type(m).__name__ for n, m in model.named_children()},
        "attributes": attrs,
    }


@op
def construct(
    module: ModuleType,
    *,
    cls: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Try ``cls(*args, **kwargs)``; report whether (and with what exception) it raised.

    For contracts that require a constructor to reject bad arguments. Only ``Exception``
    subclasses are caught; the message is truncated.
    """
    try:
        _instantiate(module, cls, args, kwargs, None)
    except Exception as exc:  # the point of the op: report the learner's own exception
        return {"raised": type(exc).__name__, "message": str(exc)[:500]}
    return {"raised": None, "message": ""}


# --- Ops for objects that are not plain modules (tokenizers, datasets, loaders) --------------


def _call_each(obj: Any, calls: list[list[Any]]) -> list[dict[str, Any]]:
    """Run ``[method, args, kwargs]`` calls on ``obj``; each reports a value or what it raised.

    One failing call does not hide the others: the judge names the first input that fails.
    A kwarg ``allowed_special`` given as a list arrives as a set (tiktoken's convention).
    """
    out: list[dict[str, Any]] = []
    for method, args, kwargs in calls:
        kwargs = dict(kwargs or {})
        if isinstance(kwargs.get("allowed_special"), list):
            kwargs["allowed_special"] = set(kwargs["allowed_special"])
        try:
            value = getattr(obj, method)(*to_torch(list(args or [])), **kwargs)
            out.append({"value": to_plain(value)})
        except Exception as exc:  # reported per call; the judge writes the message
            out.append({"raised": type(exc).__name__, "message": str(exc)[:500]})
    return out


@op
def instance_calls(
    module: ModuleType,
    *,
    cls: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    calls: list[list[Any]],
) -> dict[str, Any]:
    """Instantiate ``cls(*args, **kwargs)`` and run method ``calls`` on it (``_call_each``)."""
    obj = _instantiate(module, cls, args, kwargs, None)
    return {"results": _call_each(obj, calls)}


_GPT2_RANKS: dict[bytes, int] | None = None


def gpt2_ranks() -> dict[bytes, int]:
    """GPT-2's BPE ranks, read inside the sandbox from the bundled file (once per process).

    Sending 50,256 ranks with every probe would be slow; this reads the same
    ``whisper/assets/gpt2.tiktoken`` the trusted side uses (hash-checked), falling back to
    the ranks of the offline ``gpt2`` encoding the zygote registered.
    """
    global _GPT2_RANKS
    if _GPT2_RANKS is None:
        from grading.sandbox import offline_tiktoken

        path = offline_tiktoken.find_ranks_file()
        if path is not None:
            _GPT2_RANKS = offline_tiktoken.load_ranks(path)
        else:
            import tiktoken

            _GPT2_RANKS = dict(tiktoken.get_encoding("gpt2")._mergeable_ranks)
    return _GPT2_RANKS


@op
def bpe_calls(
    module: ModuleType,
    *,
    cls: str,
    max_rank: int | None = None,
    special_tokens: dict[str, int] | None = None,
    calls: list[list[Any]] | None = None,
    round_trips: list[str] | None = None,
) -> dict[str, Any]:
    """``cls(ranks)`` -- or ``cls(ranks, special_tokens)`` when given -- with GPT-2's ranks
    (only those below ``max_rank`` when set: a smaller BPE vocabulary), then method calls,
    then ``decode(encode(text))`` for each of ``round_trips`` (``{"ids", "text"}`` each).

    Each instance gets its own copy of the ranks, so a learner's mutation stays local.
    """
    ranks = gpt2_ranks()
    if max_rank is None:
        given = dict(ranks)
    else:
        given = {token: rank for token, rank in ranks.items() if rank < max_rank}
    args: list[Any] = [given] if special_tokens is None else [given, dict(special_tokens)]
    obj = getattr(module, cls)(*args)
    trips: list[dict[str, Any]] = []
    for text in round_trips or []:
        try:
            ids = obj.encode(text)
            trips.append({"ids": to_plain(ids), "text": to_plain(obj.decode(ids))})
        except Exception as exc:  # reported per text, like _call_each
            trips.append({"raised": type(exc).__name__, "message": str(exc)[:500]})
    return {"results": _call_each(obj, calls or []), "round_trips": trips}


def _resolve(module: ModuleType, dotted: str) -> Any:
    value: Any = module
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


@op
def module_values(
    module: ModuleType,
    *,
    names: list[str],
    rows: dict[str, str] | None = None,
    max_numel: int = 4096,
) -> dict[str, Any]:
    """Describe module-level values (dotted names: ``token_embedding_layer.weight``).

    Small tensors and plain values come back whole (``value``); ``rows`` maps a large 2-D
    tensor to the name of an integer tensor in the module, and returns that tensor's unique
    ids with the tensor's rows at them (``rows[name] = {"ids", "values"}``).
    """
    import torch

    values: dict[str, Any] = {}
    for name in names:
        try:
            value = _resolve(module, name)
        except AttributeError:
            values[name] = {"kind": "missing"}
            continue
        info = describe(value)
        if isinstance(value, torch.Tensor) and value.numel() <= max_numel:
            info["value"] = to_plain(value)
        elif isinstance(value, torch.nn.Embedding):
            info["weight_shape"] = list(value.weight.shape)
        values[name] = info
    taken: dict[str, Any] = {}
    for name, index_name in (rows or {}).items():
        weight, index = _resolve(module, name), _resolve(module, index_name)
        ids = torch.unique(torch.as_tensor(index).reshape(-1).long())
        taken[name] = {"ids": to_plain(ids), "values": to_plain(weight[ids])}
    return {"values": values, "rows": taken}


@op
def signature(module: ModuleType, *, name: str) -> dict[str, Any]:
    """Parameters of a module-level callable: ``[name, kind, has_default, default]`` each
    (defaults that are not plain values come back as their repr)."""
    import inspect

    params = []
    for p in inspect.signature(getattr(module, name)).parameters.values():
        has_default = p.default is not inspect.Parameter.empty
        default = p.default if has_default else None
        if not (isinstance(default, bool | int | float | str) or default is None):
            default = repr(default)
        params.append([p.name, p.kind.name, has_default, default])
    return {"parameters": params}


@op
def count_parameters(
    module: ModuleType,
    *,
    cls: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    skip_init: bool = True,
) -> dict[str, Any]:
    """Instantiate ``cls`` and report its parameters' names and shapes, without forward.

    ``skip_init``: torch's weight initialisers are no-ops meanwhile, so a 124M-parameter
    model costs an allocation (untouched pages) instead of seconds of random numbers.
    """
    import torch

    init = torch.nn.init
    saved = {n: getattr(init, n) for n in ("kaiming_uniform_", "uniform_", "normal_")}
    if skip_init:
        for n in saved:
            setattr(init, n, lambda tensor, *a, **k: tensor)
    try:
        model = _instantiate(module, cls, args, kwargs, None)
    finally:
        for n, fn in saved.items():
            setattr(init, n, fn)
    return {
        "params": _shapes(model.named_parameters()),
        "total": int(sum(p.numel() for p in model.parameters())),
        "children": {n: type(m).__name__ for n, m in model.named_children()},
    }


class _CharTokenizer:
    """A tokenizer whose ids are the characters' code points (tests that a dataset uses the
    tokenizer it is given); accepts tiktoken's keyword arguments."""

    def encode(self, text: str, **kwargs: Any) -> list[int]:
        return [ord(c) for c in text]

    def decode(self, ids: list[int]) -> str:
        return "".join(chr(i) for i in ids)


@op
def dataset_items(
    module: ModuleType,
    *,
    cls: str,
    txt: str,
    max_length: int,
    stride: int,
    tokenizer: str = "gpt2",
    indices: list[int] | None = None,
) -> dict[str, Any]:
    """``cls(txt, tokenizer, max_length, stride)`` with tiktoken's ``gpt2`` encoding (or the
    code-point tokenizer, ``"chars"``); returns ``len`` and the items at ``indices`` (all
    by default) as ``[input, target]`` pairs."""
    import tiktoken

    tok: Any = tiktoken.get_encoding("gpt2") if tokenizer == "gpt2" else _CharTokenizer()
    dataset = getattr(module, cls)(txt, tok, max_length, stride)
    n = len(dataset)
    wanted = range(n) if indices is None else [i for i in indices if -n <= i < n]
    return {"len": n, "items": [to_plain(dataset[i]) for i in wanted]}


@op
def loader_batches(
    module: ModuleType,
    *,
    name: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    seed: int | None = None,
    passes: int = 1,
) -> dict[str, Any]:
    """Call a module-level function that returns a DataLoader and iterate it ``passes`` times.

    Returns ``type``, ``len`` (``len(loader)``, or None) and the batches of every pass.
    """
    import torch

    if seed is not None:
        torch.manual_seed(seed)
    loader = getattr(module, name)(*(args or []), **(kwargs or {}))
    try:
        length: int | None = len(loader)
    except TypeError:
        length = None
    return {
        "type": type(loader).__name__,
        "len": length,
        "passes": [[to_plain(batch) for batch in loader] for _ in range(passes)],
    }


def _standin_model(emb: Any, mix: Any, context: int) -> Any:
    """A tiny causal language model for generation probes (``reference.gpt.standin_logits``):
    ``logits[:, t] = emb[idx[:, t]] + mean(mix[idx[:, :t + 1]])``."""
    import torch

    class StandInModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("emb", torch.tensor(emb))
            self.register_buffer("mix", torch.tensor(mix))

        def forward(self, idx: Any) -> Any:
            n = idx.shape[1]
            if n > context:
                raise IndexError(f"input of {n} tokens is longer than the context ({context})")
            steps = torch.arange(1, n + 1, dtype=self.mix.dtype).view(1, n, 1)
            return self.emb[idx] + torch.cumsum(self.mix[idx], dim=1) / steps

    return StandInModel()


@op
def generate(
    module: ModuleType,
    *,
    fn: str,
    idx: Any,
    max_new_tokens: int,
    context_size: int,
    model: dict[str, Any],
) -> dict[str, Any]:
    """Call ``fn(model, idx, max_new_tokens, context_size)`` (positionally) in eval mode.

    ``model``: ``{"cls", "args", "tensors"}`` builds the learner's class and loads the
    weights (``load_error`` as in ``module_forward``), or ``{"standin": {"emb", "mix",
    "context"}}`` the stand-in model. Also returns the lengths of the inputs the model saw.
    """
    import torch

    if "standin" in model:
        s = model["standin"]
        net = _standin_model(s["emb"], s["mix"], int(s["context"]))
    else:
        net = _instantiate(module, model["cls"], model.get("args"), None, model.get("seed"))
        tensors = model.get("tensors")
        error = None if tensors is None else load_tensors(net, tensors)
        if error is not None:
            return {"load_error": error, "param_shapes": _shapes(net.named_parameters())}
    seen: list[int] = []
    net.register_forward_pre_hook(lambda _m, inputs: seen.append(int(inputs[0].shape[-1])))
    net.eval()
    out = getattr(module, fn)(net, torch.tensor(idx), max_new_tokens, context_size)
    return {"output": to_plain(out), "seen_lengths": seen}


import grading.sandbox.ops_attention_maps  # noqa: E402,F401  (attention explorer)
from grading.sandbox import ops_training  # noqa: E402,F401  (registers training ops)
