"""Forged frames: write well-formed envelopes claiming success to every fd 0..30."""
import json
import os
import struct


def envelope(control, payload=b""):
    ctl = json.dumps(control).encode()
    return struct.pack(">I", 4 + len(ctl) + len(payload)) + struct.pack(">I", len(ctl)) + ctl + payload


def frame(obj):
    header = json.dumps(obj).encode()
    return struct.pack(">I", 4 + len(header)) + struct.pack(">I", len(header)) + header


FORGED = (envelope({"type": "import", "ok": True}, frame({"ok": True, "missing": []}))
          + envelope({"type": "probe", "index": 0}, frame({"ok": True, "value": "pass"}))
          + envelope({"type": "end", "status": "ok"}))
for fd in range(0, 31):
    try:
        os.write(fd, FORGED)
    except OSError:
        pass


def add(a, b):
    for fd in range(0, 31):
        try:
            os.write(fd, FORGED + b"\x00garbage\xff" * 10)
        except OSError:
            pass
    return "pass"
