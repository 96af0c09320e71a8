"""precheck: every bad input gets a message a learner can act on; nothing is executed."""

from __future__ import annotations

import pytest

from grading.runner import run
from grading.runner.precheck import MAX_BYTES, missing_names_hint, precheck
from tests.grading.sandbox_support import ADD_SPEC


def test_good_source_passes() -> None:
    assert precheck("def add(a, b):\n    return a + b\n", names=("add",)) is None
    assert precheck(b"\xef\xbb\xbfx = 1\n") is None  # UTF-8 BOM is fine
    assert precheck("s = 'héllo ✓'\n".encode()) is None


@pytest.mark.parametrize("source", ["", b"", "   \n\t\n"])
def test_empty(source: str | bytes) -> None:
    assert "empty" in (precheck(source) or "")


def test_too_large() -> None:
    big = b"# " + b"x" * MAX_BYTES + b"\n"
    message = precheck(big) or ""
    assert "256 KB" in message and str(MAX_BYTES) in message
    assert precheck(b"#" * (MAX_BYTES - 1) + b"\n") is None  # exactly at the limit


def test_not_utf8_reports_byte_offset_and_line() -> None:
    source = b"x = 1\ny = '\xff'\n"
    message = precheck(source) or ""
    assert "UTF-8" in message
    assert "offset 11" in message and "line 2" in message and "0xff" in message


def test_lone_surrogate_in_str() -> None:
    assert "UTF-8" in (precheck("x = '\ud800'\n") or "")


def test_nul_byte() -> None:
    message = precheck(b"x = 1\n\x00\n") or ""
    assert "NUL" in message and "offset 6" in message and "line 2" in message


def test_syntax_error_has_line_number_and_line() -> None:
    message = precheck("x = 1\ndef add(a, b)\n    return a + b\n") or ""
    assert message.startswith("SyntaxError on line 2")
    assert "def add(a, b)" in message and "^" in message


def test_indentation_error() -> None:
    message = precheck("def f():\nreturn 1\n") or ""
    assert "IndentationError on line 2" in message


def test_compile_stage_errors_are_caught() -> None:
    # Parses, but the compiler rejects it: must still be a precheck message.
    assert "line 1" in (precheck("return 5\n") or "")
    assert "line 2" in (precheck("def f():\n    nonlocal x\n") or "")


def test_deeply_nested_source_does_not_crash() -> None:
    message = precheck("x = " + "(" * 5000 + ")" * 5000 + "\n")
    assert message is not None and ("nested" in message or "line 1" in message)


def test_precheck_never_executes() -> None:
    marker = "/tmp/la-precheck-executed"
    source = f"open({marker!r}, 'w').write('x')\n"
    assert precheck(source) is None
    import os

    assert not os.path.exists(marker)


@pytest.mark.parametrize(
    "source",
    [
        "import llms_from_scratch\n",
        "from llms_from_scratch.ch03 import MultiHeadAttention\n",
        "import llms_from_scratch.ch04 as c\n",
        "def f():\n    import llms_from_scratch\n",
        "m = __import__('llms_from_scratch')\n",
        "import importlib\nm = importlib.import_module('llms_from_scratch.ch05')\n",
    ],
)
def test_answer_package_is_refused_with_a_clear_message(source: str) -> None:
    message = precheck(source) or ""
    assert "llms_from_scratch" in message and "your own" in message


def test_similar_names_are_not_refused() -> None:
    assert precheck("import llms_from_scratch_notes\nfrom . import x\n") is None


def test_missing_names_hint() -> None:
    source = (
        "import torch\nfrom torch import nn as tnn\n"
        "class A: pass\n"
        "def f(): pass\n"
        "x, (y, z) = 1, (2, 3)\n"
        "if True:\n    g = 1\nelse:\n    h = 2\n"
        "try:\n    i = 1\nexcept Exception:\n    j = 2\n"
        "for k in range(2): pass\n"
        "with open('x') as w: pass\n"
        "def outer():\n    hidden = 1\n"
    )
    names = [
        "torch",
        "tnn",
        "A",
        "f",
        "x",
        "y",
        "z",
        "g",
        "h",
        "i",
        "j",
        "k",
        "w",
        "hidden",
        "absent",
    ]
    assert missing_names_hint(source, names) == ["hidden", "absent"]
    assert missing_names_hint("from m import *\n", ["anything"]) == []
    assert missing_names_hint("def (:\n", ["a"]) == []


def test_run_reports_precheck_errors_without_sandbox() -> None:
    report = run("test-add", b"\xff", spec=ADD_SPEC)
    assert report.status == "error" and "UTF-8" in report.message and not report.checks
    assert run("test-add", "", spec=ADD_SPEC).status == "error"


def test_unknown_slug() -> None:
    report = run("no-such-challenge", "x = 1\n")
    assert report.status == "error" and "no-such-challenge" in report.message
