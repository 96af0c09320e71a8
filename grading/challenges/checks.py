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


# --- Helpers for the chapter 2 and 4 challenges -----------------------------------------------


def as_int_list(value: Any) -> list[int] | None:
    """A list of ids from what a learner returned (list of ints, 1-D integer tensor, ...).

    None when it is not a flat sequence of integers (a bool is not an id).
    """
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "iu":
            return None
        return [int(v) for v in value]
    if not isinstance(value, list):
        return None
    out: list[int] = []
    for v in value:
        if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iu":
            out.append(int(v))
        elif isinstance(v, int) and not isinstance(v, bool):
            out.append(v)
        else:
            return None
    return out


def first_difference(expected: Sequence[Any], got: Sequence[Any]) -> int | None:
    """Index of the first position where two sequences differ (a length difference counts)."""
    for i, (e, g) in enumerate(zip(expected, got, strict=False)):
        if e != g:
            return i
    return None if len(expected) == len(got) else min(len(expected), len(got))


def short(text: str, limit: int = 80) -> str:
    """``repr`` of a text, shortened in the middle for messages."""
    r = repr(text)
    return r if len(r) <= limit else r[: limit // 2] + " ... " + r[-limit // 2 :]


def call_results(
    result: ProbeResult, count: int, *, what: str, key: str = "results"
) -> list[dict[str, Any]] | CheckOutcome:
    """The per-call results of an ``instance_calls``/``bpe_calls`` probe, validated."""
    failure = probe_failure(result, what=what, hint="(while constructing it)")
    if failure is not None:
        return failure
    value = result.value
    calls = value.get(key) if isinstance(value, dict) else None
    if (
        not isinstance(calls, list)
        or len(calls) != count
        or not all(isinstance(c, dict) for c in calls)
    ):
        return CheckOutcome("error", f"{what}: the sandbox returned no usable results.")
    return calls


def raised(call: dict[str, Any]) -> str | None:
    """``"KeyError: 'x'"`` when the call raised, else None."""
    kind = call.get("raised")
    if kind is None:
        return None
    return f"{kind}: {str(call.get('message', ''))[:300]}"


def forward_outputs(
    probe: Any,
    result: ProbeResult,
    *,
    what: str,
    hint: str = "",
    layout_hint: str = "",
) -> dict[str, Any] | CheckOutcome:
    """A ``module_forward`` result whose outputs can be judged, or the outcome that says why
    not (the learner's exception, weights that did not load, missing outputs)."""
    failure = probe_failure(result, what=what, hint=hint)
    if failure is not None:
        return failure
    value = result.value
    if not isinstance(value, dict) or not isinstance(value.get("outputs"), list):
        return CheckOutcome("error", f"{what}: the sandbox returned no outputs.")
    if "load_error" in value:
        out = load_error_outcome(value["load_error"], what=what, hint=layout_hint)
        return CheckOutcome(
            out.status, out.message, learner_param_listing(value.get("param_shapes"))
        )
    calls = probe.args.get("calls") or []
    if len(value["outputs"]) != len(calls):
        return CheckOutcome("error", f"{what}: expected {len(calls)} outputs from the sandbox.")
    return value


def params_of(
    value: dict[str, Any], expected: Mapping[str, Sequence[int]]
) -> dict[str, np.ndarray] | None:
    """The learner's returned parameters when they have exactly the expected names and shapes."""
    got = value.get("params")
    if not isinstance(got, dict) or set(got) != set(expected):
        return None
    for name, shape in expected.items():
        arr = got[name]
        if not isinstance(arr, np.ndarray) or arr.shape != tuple(shape) or arr.dtype.kind != "f":
            return None
    return got


def shape_problems(
    found: Mapping[str, Any], expected: Mapping[str, Sequence[int]]
) -> dict[str, list[Any]]:
    """``load_error_outcome``'s description of parameter names/shapes that differ."""
    shapes = {n: list(s) if isinstance(s, list | tuple) else s for n, s in found.items()}
    return {
        "unknown": [[n, list(e)] for n, e in expected.items() if n not in shapes],
        "mismatched": [
            [n, list(e), shapes[n]]
            for n, e in expected.items()
            if n in shapes and isinstance(shapes[n], list) and tuple(shapes[n]) != tuple(e)
        ],
        "not_given": [[n, s] for n, s in shapes.items() if n not in expected],
    }


def degenerate(a: np.ndarray) -> str | None:
    """Why an initial weight tensor is unusable (constant or not finite), or None."""
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        return "not finite"
    if a.size > 1 and float(np.std(a)) < 1e-6:
        return "all zeros" if not np.any(a) else f"every value {a.flat[0]:.4g}"
    return None
