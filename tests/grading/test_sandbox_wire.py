"""The wire format: round trips, and refusal of everything a hostile peer could send."""

from __future__ import annotations

import json
import math
import pickle
import struct

import numpy as np
import pytest

from grading.sandbox import wire


def frame_from(header: object, blob: bytes = b"") -> bytes:
    h = json.dumps(header).encode()
    return struct.pack(">I", 4 + len(h) + len(blob)) + struct.pack(">I", len(h)) + h + blob


def test_round_trip_values_and_arrays() -> None:
    value = {
        "none": None,
        "t": True,
        "i": -3,
        "big": 2**62,
        "f": 1.5,
        "s": "héllo\x00",
        "list": [1, [2.0, "x"]],
        "tuple": (1, 2),
        "arrays": [
            (np.arange(6) % 3).astype(dt).reshape(2, 3)
            for dt in ("int8", "int64", "uint8", "float16", "float32", "float64", "bool")
        ],
        "empty": np.zeros((0, 4), dtype=np.float32),
        "scalar0d": np.float32(2.5),
        "nan": float("nan"),
        "inf": float("-inf"),
    }
    out = wire.decode(wire.encode(value))
    assert out["i"] == -3 and out["big"] == 2**62 and out["s"] == "héllo\x00"
    assert out["tuple"] == [1, 2] and out["list"] == [1, [2.0, "x"]]
    for got, want in zip(out["arrays"], value["arrays"], strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        assert got.flags.writeable and got.flags.owndata
    assert out["empty"].shape == (0, 4)
    assert out["scalar0d"].shape == () and out["scalar0d"] == np.float32(2.5)
    assert math.isnan(out["nan"]) and out["inf"] == float("-inf")


def test_non_contiguous_and_big_endian_arrays_are_normalised() -> None:
    a = np.arange(12, dtype=">f4").reshape(3, 4).T
    out = wire.decode(wire.encode(a))
    np.testing.assert_array_equal(out, a)
    assert out.dtype == np.float32 and out.dtype.byteorder in ("=", "<")


def test_reserved_keys_are_escaped_not_interpreted() -> None:
    sneaky = {"__ndarray__": 0, "dtype": "float32", "shape": [1 << 40]}
    nested = {"__escaped__": [["a", 1]], "x": sneaky}
    assert wire.decode(wire.encode(sneaky)) == sneaky
    assert wire.decode(wire.encode(nested)) == nested


@pytest.mark.parametrize(
    "value",
    [
        np.array([object()], dtype=object),
        np.array(["abc"]),
        np.zeros(2, dtype=np.complex64),
        np.zeros(2, dtype=[("a", "i4")]),
        b"raw bytes",
        pickle.dumps({"a": 1}),
        {1: "non-str key"},
        object(),
        {1, 2},
    ],
)
def test_unsupported_values_are_refused(value: object) -> None:
    with pytest.raises(wire.WireError):
        wire.encode(value)


def test_encode_respects_size_cap() -> None:
    with pytest.raises(wire.WireError, match="cap"):
        wire.encode(np.zeros(1000, dtype=np.float64), max_bytes=4000)


def test_deep_nesting_refused_both_ways() -> None:
    deep: list = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.encode(deep)
    with pytest.raises(wire.WireError):
        wire.decode(frame_from(json.loads("[" * 200 + "]" * 200)))
    with pytest.raises(wire.WireError):
        wire.decode(frame_from(None)[:8] + b"[" * 100000)  # JSON parser recursion


@pytest.mark.parametrize(
    "header, blob, why",
    [
        ({"__ndarray__": 0, "dtype": "object", "shape": [1]}, b"\0" * 8, "object dtype"),
        ({"__ndarray__": 0, "dtype": "float32", "shape": [2]}, b"\0" * 7, "short bytes"),
        ({"__ndarray__": 0, "dtype": "float32", "shape": [2]}, b"\0" * 9, "extra bytes"),
        ({"__ndarray__": 0, "dtype": "float32", "shape": [-1]}, b"", "negative dim"),
        ({"__ndarray__": 0, "dtype": "float32", "shape": [True]}, b"\0" * 4, "bool dim"),
        ({"__ndarray__": 0, "dtype": "float32", "shape": [1.0]}, b"\0" * 4, "float dim"),
        ({"__ndarray__": 0, "dtype": "float32", "shape": [1 << 62, 1 << 62]}, b"", "overflow"),
        ({"__ndarray__": 1, "dtype": "float32", "shape": [1]}, b"\0" * 4, "index out of order"),
        ({"__ndarray__": 0, "dtype": "float32", "shape": [1], "x": 1}, b"\0" * 4, "extra key"),
        ({"__ndarray__": 0, "dtype": "<f4", "shape": [1]}, b"\0" * 4, "non-canonical dtype"),
        ({"__escaped__": "nope"}, b"", "bad escape"),
        ([1, 2], b"\0", "trailing blob"),
    ],
)
def test_malformed_frames_are_refused(header: object, blob: bytes, why: str) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(frame_from(header, blob))


def test_bad_json_and_lengths_refused() -> None:
    good = wire.encode({"a": 1})
    with pytest.raises(wire.WireError):
        wire.decode(good[:-1])
    with pytest.raises(wire.WireError):
        wire.decode(struct.pack(">I", 8) + struct.pack(">I", 100) + b"{}")
    body = b"\xff\xfe not json"
    with pytest.raises(wire.WireError):
        wire.decode(struct.pack(">I", 4 + len(body)) + struct.pack(">I", len(body)) + body)
    huge_int = b"1" * 5000
    with pytest.raises(wire.WireError):
        wire.decode(
            struct.pack(">I", 4 + len(huge_int)) + struct.pack(">I", len(huge_int)) + huge_int
        )


def test_envelopes_round_trip_and_caps() -> None:
    payload = wire.encode({"x": np.ones(3, dtype=np.float32)})
    data = wire.envelope({"type": "probe", "index": 0}, payload) + wire.envelope({"type": "end"})
    reader = wire.EnvelopeReader()
    got = []
    for i in range(len(data)):  # byte by byte: framing survives any split
        got.extend(reader.feed(data[i : i + 1]))
    assert [c for c, _ in got] == [{"type": "probe", "index": 0}, {"type": "end"}]
    assert got[0][1] == payload and got[1][1] == b""
    assert reader.pending == 0

    with pytest.raises(wire.WireError, match="exceeds"):
        wire.EnvelopeReader(max_envelope=100).feed(struct.pack(">I", 1 << 31))
    with pytest.raises(wire.WireError, match="more than"):
        wire.EnvelopeReader(max_total=10).feed(b"\0" * 11)
    with pytest.raises(wire.WireError):
        wire.EnvelopeReader().feed(struct.pack(">I", 6) + struct.pack(">I", 2) + b"[]")
