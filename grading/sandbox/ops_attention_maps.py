"""Probe operation for the attention explorer: a learner's MultiHeadAttention's weights.

Same rules as ``grading.sandbox.probes`` (whose ``OPS`` this joins, through the import at the
end of that module): the op calls the learner's class with plain data the trusted side sent
(``playgrounds/computations/attention.py``) and reports raw results; it knows no expected
value and writes no message -- the trusted side does, from the fields below.

The book's class computes ``attn_weights`` inside ``forward`` and does not return them, but it
passes them through ``self.dropout``: a forward hook on that module sees them on the way in
(before dropout) and on the way out (after it).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from grading.sandbox.probes import _instantiate, load_tensors, op, to_plain, to_torch


def _dropout_module(model: Any) -> Any:
    """``model.dropout`` when it is a module; else the model's only ``nn.Dropout``."""
    import torch

    own = getattr(model, "dropout", None)
    if isinstance(own, torch.nn.Module):
        return own
    found = [m for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    return found[0] if len(found) == 1 else None


@op
def attention_maps(
    module: ModuleType,
    *,
    cls: str,
    layers: list[dict[str, Any]],
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """For each ``{"tensors", "x"}`` of ``layers``: a fresh ``cls(*args, **kwargs)`` in eval
    mode with ``tensors`` loaded, run on ``x``; the weights its dropout module received
    (``before``) and returned (``after``), and the forward's output.

    Returns ``{"layers": [{"before", "after", "output"}, ...]}``, or ``{"problem": ...}``:
    ``no_dropout``, ``load`` (with ``detail``), ``not_called``, or ``shape`` (with the
    ``shapes`` the dropout saw when it was not one call of shape (b, heads, T, T)).
    """
    import torch

    out: list[dict[str, Any]] = []
    for layer in layers:
        model = _instantiate(module, cls, args, kwargs, None)
        dropout = _dropout_module(model)
        if dropout is None:
            return {"problem": "no_dropout"}
        error = load_tensors(model, layer["tensors"])
        if error is not None:
            return {"problem": "load", "detail": error}
        calls: list[tuple[Any, Any]] = []

        def capture(_module: Any, inputs: Any, output: Any, calls: list[Any] = calls) -> None:
            if inputs and isinstance(inputs[0], torch.Tensor) and isinstance(output, torch.Tensor):
                calls.append((inputs[0].detach().clone(), output.detach().clone()))
            else:
                calls.append((None, None))

        handle = dropout.register_forward_hook(capture)
        model.eval()
        x = to_torch(layer["x"])
        with torch.no_grad():
            output = model(x)
        handle.remove()
        if not calls:
            return {"problem": "not_called"}
        batch, tokens = int(x.shape[0]), int(x.shape[1])
        heads = [
            c
            for c in calls
            if c[0] is not None
            and c[0].dim() == 4
            and c[0].shape[0] == batch
            and c[0].shape[2] == tokens
            and c[0].shape[3] == tokens
        ]
        if len(heads) != 1:
            shapes = [list(c[0].shape) if c[0] is not None else [] for c in calls]
            return {"problem": "shape", "shapes": shapes[:8]}
        before, after = heads[0]
        out.append(
            {"before": to_plain(before), "after": to_plain(after), "output": to_plain(output)}
        )
    return {"layers": out}
