from __future__ import annotations

from collections.abc import Callable
from typing import Any

Editor = Callable[[str, Callable[[Any], Any]], None]


def challenge(data: list[dict[str, Any]], slug: str) -> dict[str, Any]:
    return next(c for c in data if c["slug"] == slug)


def video(data: list[dict[str, Any]], slug: str) -> dict[str, Any]:
    return next(v for c in data for v in c["videos"] if v["slug"] == slug)
