"""Temporary copies of the content directory, for validator and loader tests that edit it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from curriculum.specs import CONTENT_DIR
from tests.curriculum.helpers import Editor


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A copy of curriculum/content that a test may change."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


@pytest.fixture
def edit(content_dir: Path) -> Editor:
    """edit("challenges.yaml", fn): fn gets the parsed file, may mutate it or return a new one."""

    def apply(name: str, change: Callable[[Any], Any]) -> None:
        path = content_dir / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        result = change(data)
        data = data if result is None else result
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return apply
