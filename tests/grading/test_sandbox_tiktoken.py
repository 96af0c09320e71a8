"""Offline GPT-2 encoding (DESIGN.md section 7): trusted side and inside the sandbox."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from grading import runner
from grading.runner.pool import SandboxPool
from grading.sandbox import offline_tiktoken
from tests.grading.sandbox_support import (
    FAST,
    call_check,
    report_json,
    shared_pool,
    simple_spec,
)


@pytest.fixture(scope="module")
def pool() -> SandboxPool:
    """The session's warm sandbox (started once, shared by the test modules)."""
    return shared_pool()


TEXT = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."
BOOK_IDS = [
    15496,
    11,
    466,
    345,
    588,
    8887,
    30,
    220,
    50256,
    554,
    262,
    4252,
    18250,
    8812,
    2114,
    286,
    617,
    34680,
    27271,
    13,
]

needs_asset = pytest.mark.skipif(
    offline_tiktoken.find_ranks_file() is None,
    reason="openai-whisper's gpt2.tiktoken is not installed",
)


@needs_asset
def test_offline_encoding_gives_the_book_ids() -> None:
    status = offline_tiktoken.register()
    assert "registered" in status
    import tiktoken

    enc = tiktoken.get_encoding("gpt2")
    assert enc.encode(TEXT, allowed_special={"<|endoftext|>"}) == BOOK_IDS
    assert enc.n_vocab == 50257 and enc.eot_token == 50256
    assert enc.decode(BOOK_IDS) == TEXT


@needs_asset
def test_gpt2_inside_the_sandbox(pool: SandboxPool) -> None:
    source = (
        "import tiktoken\n"
        "tokenizer = tiktoken.get_encoding('gpt2')  # at module level, like notebooks\n"
        "def ids(text):\n"
        "    return tokenizer.encode(text, allowed_special={'<|endoftext|>'})\n"
    )
    spec = simple_spec(
        call_check("book ids", "ids", [TEXT], lambda v: v == BOOK_IDS), names=("ids",)
    )
    report = runner.run(spec.slug, source, spec=spec, limits=FAST, pool=pool)
    assert report.status == "pass", report_json(report)
    assert any(line.startswith("tiktoken gpt2: registered offline") for line in report.isolation)


def test_ranks_file_found_without_importing_whisper() -> None:
    import sys

    path = offline_tiktoken.find_ranks_file()
    assert "whisper" not in sys.modules or path is not None
    if importlib.util.find_spec("whisper") is not None:
        assert path is not None and path.endswith("gpt2.tiktoken")


def test_fallback_and_missing_asset(monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert offline_tiktoken.find_ranks_file() is None
    fake = tmp_path / "gpt2.tiktoken"
    fake.write_bytes(b"not the ranks")
    assert offline_tiktoken.find_ranks_file(str(fake)) == str(fake)
    with pytest.raises(ValueError, match="sha256"):
        offline_tiktoken.load_ranks(str(fake))
    import tiktoken.registry

    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    status = offline_tiktoken.register()
    assert status.startswith("tiktoken gpt2: NOT registered")
    assert "gpt2" not in tiktoken.registry.ENCODINGS
