"""Shared helpers for judges: comparing arrays, turning sandbox failures into messages.

Everything here runs on the trusted side and takes raw values that came back from the
sandbox, so it validates types and shapes before any arithmetic and never raises on odd
input: a malformed value is a failing check with a message, not a grader crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from grading.challenges.base import CheckOutcome, ProbeResult

# What a learner sees at most of one traceback / excerpt.
_MAX_DETAIL = 2000


def fmt_shape(shape: Iterable[int]) -> str:
    """``(2, 6, 4)``; a one-element shape as ``(4,)`` like Python and torch print it."""
    dims = [int(d) for d in shape]
    return f"({dims[0]},)" if len(dims) == 1 else "(" + ", ".join(map(str, dims)) + ")"


def fmt_index(index: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def excerpt(a: Any, *, precision: int = 4) -> str:
    """A short printable excerpt of an array (or any value) for ``CheckOutcome.output``."""
    if isinstance(a, np.ndarray):
        text = np.array2string(
            a, precision=precision, threshold=60, edgeitems=3, suppress_small=True
        )
    else:
        text = repr(a)
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + " ..."


def passed(message: str) -> CheckOutcome:
    return CheckOutcome("pass", message)


def failed(message: str, output: str = "") -> CheckOutcome:
    return CheckOutcome("fail", message, output[: _MAX_DETAIL * 2])


def probe_failure(result: ProbeResult, *, what: str, hint: str = "") -> CheckOutcome | None:
    """An ``error`` outcome when the learner's code raised or timed out, else None.

    ``what`` names the call ("CausalAttention(d_in=3, ...) on x of shape (2, 6, 3)");
    ``hint`` says what usually causes an exception there.
    """
    tail = f" {hint}" if hint else ""
    if result.timed_out:
        return CheckOutcome("error", f"{what} did not finish in time.{tail}")
    if not result.ok:
        err = result.error
        if err is None:
            return CheckOutcome("error", f"{what} failed without an error report.{tail}")
        first = err.message.strip().splitlines()[0] if err.message.strip() else ""
        return CheckOutcome(
            "error",
            f"{what} raised {err.type}: {first[:300]}.{tail}".replace("..", "."),
            err.traceback[-_MAX_DETAIL:],
        )
    return None


def as_array(value: Any) -> np.ndarray | None:
    """The value if it is a numeric numpy array (what a tensor becomes), else None."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        return value
    return None


def describe_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    if isinstance(value, list):
        return f"a list/tuple of {len(value)} items"
    return f"a {type(value).__name__}"


def compare_shape(
    expected_shape: Sequence[int],
    got: Any,
    *,
    dtype: str | None = None,
    what: str = "output",
) -> CheckOutcome | None:
    """None when ``got`` is a tensor of ``expected_shape`` (and ``dtype``); else a ``fail``."""
    arr = as_array(got)
    exp_shape = fmt_shape(expected_shape)
    if arr is None:
        return failed(
            f"Expected {what} to be a tensor of shape {exp_shape}, got {describe_value(got)}.",
            excerpt(got),
        )
    if arr.shape != tuple(expected_shape):
        return failed(f"Expected {what} of shape {exp_shape}, got {fmt_shape(arr.shape)}.")
    if dtype is not None and str(arr.dtype) != dtype:
        return failed(f"Expected {what} of dtype {dtype}, got {arr.dtype}.")
    return None


def first_nonfinite(got: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first NaN/inf entry, or None."""
    bad = ~np.isfinite(got.astype(np.float64))
    return tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else None


def compare_arrays(
    expected: np.ndarray,
    got: Any,
    *,
    atol: float,
    rtol: float,
    dtype: str | None = None,
    what: str = "output",
) -> CheckOutcome | None:
    """None when ``got`` matches ``expected``; otherwise a ``fail`` naming the first problem.

    Order: not a tensor, shape, dtype (only when ``dtype`` is given), NaN/inf where the
    expected value is finite, then values (max abs diff and where it is).
    """
    shape_issue = compare_shape(expected.shape, got, dtype=dtype, what=what)
    if shape_issue is not None:
        return shape_issue
    arr = as_array(got)
    assert arr is not None
    a64 = arr.astype(np.float64)
    exp = np.asarray(expected, dtype=np.float64)
    bad = ~np.isfinite(a64) & np.isfinite(exp)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        return failed(
            f"Your {what} is {a64[idx]} at position {fmt_index(idx)} where a finite value "
            f"({exp[idx]:.4g}) was expected.",
            f"expected:\n{excerpt(expected)}\ngot:\n{excerpt(arr)}",
        )
    with np.errstate(invalid="ignore"):
        diff = np.abs(a64 - exp)
        tol = atol + rtol * np.abs(exp)
        mismatch = (diff > tol) & ~(np.isnan(exp) & np.isnan(a64))
    if mismatch.any():
        masked = np.where(mismatch, diff, -1.0)
        idx = tuple(int(i) for i in np.unravel_index(int(np.nanargmax(masked)), diff.shape))
        return failed(
            f"Your {what} differs from the expected values: max abs diff "
            f"{diff[idx]:.3g} at position {fmt_index(idx)} "
            f"(expected {exp[idx]:.4g}, got {a64[idx]:.4g}).",
            f"expected:\n{excerpt(expected)}\ngot:\n{excerpt(arr)}",
        )
    return None


def close(expected: np.ndarray, got: Any, *, atol: float, rtol: float) -> bool:
    """Same shape and allclose; NaN matches NaN (a mistake variant may produce NaN rows)."""
    arr = as_array(got)
    if arr is None or arr.shape != expected.shape:
        return False
    return bool(np.allclose(arr.astype(np.float64), expected, atol=atol, rtol=rtol, equal_nan=True))


def first_match(
    got: Any,
    variants: Iterable[tuple[str, Callable[[], np.ndarray]]],
    *,
    atol: float,
    rtol: float,
) -> str | None:
    """The message of the first mistake variant whose output ``got`` reproduces, else None.

    Used only after the correct reference failed, to name the mistake instead of only
    reporting a difference. Variants are computed lazily; one that cannot be computed for
    this input (e.g. a reshape that does not fit) is skipped.
    """
    for message, compute in variants:
        try:
            candidate = compute()
        except (ValueError, IndexError):
            continue
        if close(candidate, got, atol=atol, rtol=rtol):
            return message
    return None


def load_error_outcome(error: Any, *, what: str, hint: str = "") -> CheckOutcome:
    """Teaching message for weights that did not load (see ``probes.load_tensors``).

    ``unknown``: names the book's class has that the learner's module lacks;
    ``mismatched``: same name, other shape; ``not_given``: learner-only parameters.
    """
    if not isinstance(error, dict):
        return failed(f"Could not load weights into {what}.")
    problems: list[str] = []
    for item in error.get("mismatched", [])[:3]:
        name, exp, found = item
        problems.append(
            f"expected parameter {name} of shape {fmt_shape(exp)}, found shape {fmt_shape(found)}"
        )
    for item in error.get("unknown", [])[:3]:
        name, exp = item
        problems.append(
            f"expected parameter {name} of shape {fmt_shape(exp)}, your module has none"
        )
    for item in error.get("not_given", [])[:3]:
        name, found = item
        problems.append(
            f"your module has a parameter {name} of shape {fmt_shape(found)} "
            f"that the book's class does not have"
        )
    summary = "; ".join(problems) or "the parameter names or shapes differ"
    tail = f" {hint}" if hint else ""
    return failed(f"Could not load weights into {what}: {summary}.{tail}")


def learner_param_listing(shapes: Any) -> str:
    """``name: shape`` lines of the learner's parameters, for ``CheckOutcome.output``."""
    if not isinstance(shapes, Mapping):
        return ""
    lines = [
        f"{name}: {fmt_shape(shape)}" for name, shape in shapes.items() if isinstance(shape, list)
    ]
    return "your module's parameters:\n" + "\n".join(lines) if lines else ""
