"""Generic probe ops used by the runner's own tests (and harmless in production).

Registered into the shared ``OPS`` registry; like every op they only call the learner's
code and report what it did, never compute an expected value.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from grading.sandbox.probes import op, to_plain, to_torch


@op
def call_torch(
    module: ModuleType,
    *,
    name: str,
    args: list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
) -> Any:
    """Like ``call``, but numpy arguments arrive as torch tensors."""
    fn = getattr(module, name)
    return to_plain(fn(*to_torch(list(args or [])), **to_torch(dict(kwargs or {}))))


@op
def echo(module: ModuleType, *, value: Any = None) -> Any:
    """Return the probe's own argument: exercises the wire format without learner code."""
    return value


@op
def get_attr(module: ModuleType, *, name: str) -> Any:
    """A module-level value, as plain data."""
    return to_plain(getattr(module, name))
