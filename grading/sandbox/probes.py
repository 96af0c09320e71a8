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
