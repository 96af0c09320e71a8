"""Frames between the trusted runner, the sandbox parent (zygote) and the sandboxed child.

Pure stdlib + numpy, no pickle: whatever is decoded here can only ever become JSON values
and numpy arrays of a few plain dtypes, so a hostile peer cannot make the reader run code.

A frame on the pipe is::

    u32 big-endian  payload length (checked against a cap *before* anything is allocated)
    payload:
      u32 big-endian  header length
      header          UTF-8 JSON; every numpy array is replaced by
                      {"__ndarray__": i, "dtype": "float32", "shape": [..]}
      blob            the arrays' raw little-endian C-order bytes, in order i = 0, 1, ...

The decoder accepts a blob only when its size is *exactly* the sum of
``dtype.itemsize * prod(shape)`` over the arrays, so a peer cannot smuggle extra bytes or
make us read past the end. Dicts that contain one of the reserved keys are escaped, so a
learner's return value ``{"__ndarray__": 0}`` round-trips as the dict it is.

Between processes every message is an *envelope*::

    u32 big-endian  total length (after this prefix)
    u32 big-endian  control length
    control         small UTF-8 JSON object written by the sender itself (type, index, ...)
    payload         opaque bytes: a complete frame as above, or raw bytes (printed output)

The zygote reads and writes only control parts; payloads (the learner's source, probe inputs,
results, printed output) pass through it in buffers it zeroes afterwards, so a later child,
which inherits the zygote's memory, can never find an earlier learner's data in it.

This module is imported inside the jail (keep it free of Django and grading.runner).
"""

from __future__ import annotations

import errno
import json
import math
import os
import struct
from typing import Any

import numpy as np

# Plain numeric dtypes only: no object (pickle), no strings, no structured/void records.
ALLOWED_DTYPES = frozenset(
    {
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
    }
)

ARRAY_KEY = "__ndarray__"
ESCAPE_KEY = "__escaped__"
_RESERVED = (ARRAY_KEY, ESCAPE_KEY)

DEFAULT_MAX_FRAME = 64 * 1024 * 1024
MAX_HEADER = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_ARRAYS = 100_000
MAX_NDIM = 32

_U32 = struct.Struct(">I")


class WireError(ValueError):
    """A frame that is malformed, too large, or holds something we refuse to decode."""


# --- encoding ------------------------------------------------------------------------------


def _encode_value(value: Any, arrays: list[np.ndarray], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    # Exact JSON scalars first. Subclasses (a learner's ``class Evil(int)``) are normalised
    # to the plain base type so only their value travels.
    if value is None or value is True or value is False:
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        name = value.dtype.name
        if name not in ALLOWED_DTYPES:
            raise WireError(f"arrays of dtype {name} cannot be sent")
        if len(arrays) >= MAX_ARRAYS:
            raise WireError("too many arrays")
        arrays.append(np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")))
        return {ARRAY_KEY: len(arrays) - 1, "dtype": name, "shape": [int(n) for n in value.shape]}
    if isinstance(value, list | tuple):
        return [_encode_value(v, arrays, depth + 1) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise WireError(f"dict keys must be str, not {type(k).__name__}")
            out[str(k)] = _encode_value(v, arrays, depth + 1)
        if any(k in out for k in _RESERVED):
            return {ESCAPE_KEY: [[k, v] for k, v in out.items()]}
        return out
    raise WireError(f"values of type {type(value).__name__} cannot be sent")


def encode(obj: Any, *, max_bytes: int = DEFAULT_MAX_FRAME) -> bytes:
    """Encode ``obj`` (JSON values with numpy arrays as leaves) as one complete frame."""
    arrays: list[np.ndarray] = []
    header_obj = _encode_value(obj, arrays, 0)
    # allow_nan: a learner's NaN output must reach the judge so it can say so.
    header = json.dumps(header_obj, separators=(",", ":"), allow_nan=True).encode("utf-8")
    blob_len = sum(a.nbytes for a in arrays)
    total = 4 + len(header) + blob_len
    if len(header) > MAX_HEADER or total > max_bytes:
        raise WireError(f"frame of {total} bytes exceeds the {max_bytes}-byte cap")
    parts = [_U32.pack(total), _U32.pack(len(header)), header]
    parts.extend(a.tobytes(order="C") for a in arrays)
    return b"".join(parts)


# --- decoding ------------------------------------------------------------------------------


def _array_nbytes(dtype_name: Any, shape: Any) -> tuple[np.dtype, tuple[int, ...], int]:
    if not isinstance(dtype_name, str) or dtype_name not in ALLOWED_DTYPES:
        raise WireError(f"dtype {dtype_name!r} is not allowed")
    if not isinstance(shape, list) or len(shape) > MAX_NDIM:
        raise WireError("bad array shape")
    dims: list[int] = []
    for n in shape:
        # bool is an int subclass in Python; JSON true must not pass as a dimension.
        if type(n) is not int or n < 0:
            raise WireError("bad array shape")
        dims.append(n)
    dtype = np.dtype(dtype_name).newbyteorder("<")
    nbytes = dtype.itemsize * math.prod(dims)  # Python ints: no overflow
    return dtype, tuple(dims), nbytes


def _decode_value(value: Any, blob: memoryview, state: dict[str, int], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if isinstance(value, list):
        return [_decode_value(v, blob, state, depth + 1) for v in value]
    if not isinstance(value, dict):
        return value  # JSON scalar
    if ARRAY_KEY in value:
        if set(value) != {ARRAY_KEY, "dtype", "shape"}:
            raise WireError("bad array placeholder")
        index = value[ARRAY_KEY]
        if type(index) is not int or index != state["next"]:
            raise WireError("array placeholders out of order")
        dtype, shape, nbytes = _array_nbytes(value["dtype"], value["shape"])
        start = state["offset"]
        end = start + nbytes
        if end > len(blob):
            raise WireError("array bytes run past the end of the frame")
        state["next"] += 1
        state["offset"] = end
        # A copy: the result owns its memory, is writable and does not pin the frame.
        arr = np.frombuffer(blob[start:end], dtype=dtype).reshape(shape)
        return arr.astype(dtype.newbyteorder("="), copy=True)
    if ESCAPE_KEY in value:
        pairs = value[ESCAPE_KEY]
        if len(value) != 1 or not isinstance(pairs, list):
            raise WireError("bad escaped dict")
        out: dict[str, Any] = {}
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise WireError("bad escaped dict")
            out[pair[0]] = _decode_value(pair[1], blob, state, depth + 1)
        return out
    return {k: _decode_value(v, blob, state, depth + 1) for k, v in value.items()}


def decode_payload(payload: bytes | memoryview) -> Any:
    """Decode a frame's payload (everything after the outer length prefix)."""
    view = memoryview(payload)
    if len(view) < 4:
        raise WireError("truncated frame")
    (header_len,) = _U32.unpack(view[:4])
    if header_len > MAX_HEADER or 4 + header_len > len(view):
        raise WireError("bad header length")
    try:
        header = json.loads(bytes(view[4 : 4 + header_len]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and ints longer than sys.int_max_str_digits.
        raise WireError(f"bad frame header: {type(exc).__name__}") from None
    blob = view[4 + header_len :]
    state = {"next": 0, "offset": 0}
    try:
        obj = _decode_value(header, blob, state, 0)
    except RecursionError:
        raise WireError("value nested too deeply") from None
    if state["offset"] != len(blob):
        raise WireError("frame size does not match its arrays")
    return obj


def decode(frame: bytes) -> Any:
    """Decode one complete frame (with its length prefix), as produced by ``encode``."""
    if len(frame) < 4:
        raise WireError("truncated frame")
    (length,) = _U32.unpack(frame[:4])
    if length != len(frame) - 4:
        raise WireError("frame length mismatch")
    return decode_payload(memoryview(frame)[4:])


# --- streams -------------------------------------------------------------------------------


# --- envelopes -----------------------------------------------------------------------------

MAX_CONTROL = 1 << 20


def envelope_prefix(control: dict[str, Any], payload_len: int) -> bytes:
    """Length prefixes and control JSON; the payload is written right after it."""
    ctl = json.dumps(control, separators=(",", ":"), allow_nan=True).encode("utf-8")
    if len(ctl) > MAX_CONTROL:
        raise WireError("control part too large")
    return _U32.pack(4 + len(ctl) + payload_len) + _U32.pack(len(ctl)) + ctl


def envelope(control: dict[str, Any], payload: bytes = b"") -> bytes:
    return envelope_prefix(control, len(payload)) + bytes(payload)


def split_envelope(body: bytes | bytearray | memoryview) -> tuple[dict[str, Any], memoryview]:
    """(control, payload view) of an envelope body (everything after the total length)."""
    view = memoryview(body)
    if len(view) < 4:
        raise WireError("truncated envelope")
    (ctl_len,) = _U32.unpack(view[:4])
    if ctl_len > MAX_CONTROL or 4 + ctl_len > len(view):
        raise WireError("bad control length")
    try:
        control = json.loads(bytes(view[4 : 4 + ctl_len]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WireError("bad control part") from None
    if not isinstance(control, dict):
        raise WireError("control part is not an object")
    return control, view[4 + ctl_len :]


class EnvelopeReader:
    """Incremental envelope reader (trusted side): feed bytes, take (control, payload)."""

    def __init__(
        self, *, max_envelope: int = DEFAULT_MAX_FRAME + MAX_CONTROL, max_total: int | None = None
    ):
        self.max_envelope = max_envelope
        self.max_total = max_total
        self.total = 0
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[dict[str, Any], bytes]]:
        self.total += len(data)
        if self.max_total is not None and self.total > self.max_total:
            raise WireError(f"more than {self.max_total} bytes received")
        self._buf += data
        out: list[tuple[dict[str, Any], bytes]] = []
        while len(self._buf) >= 4:
            (length,) = _U32.unpack(self._buf[:4])
            if length > self.max_envelope:
                raise WireError(f"message of {length} bytes exceeds the cap")
            if len(self._buf) < 4 + length:
                break
            control, payload = split_envelope(bytes(self._buf[4 : 4 + length]))
            del self._buf[: 4 + length]
            out.append((control, bytes(payload)))
        return out

    @property
    def pending(self) -> int:
        return len(self._buf)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to ``fd`` (blocking fd), retrying short writes."""
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:  # pragma: no cover - Python retries EINTR itself
            continue
        except BlockingIOError:
            import select

            select.select([], [fd], [])
            continue
        view = view[n:]


def read_available(fd: int, size: int = 1 << 16) -> bytes | None:
    """One non-blocking read: bytes, ``b""`` at EOF, or None when nothing is ready."""
    try:
        return os.read(fd, size)
    except BlockingIOError:
        return None
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            return None
        raise
