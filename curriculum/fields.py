"""Field readers for the content files: each bad value becomes one Problem and a None,
so one run of the validator reports every problem at once instead of stopping at the first."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from curriculum.models import YOUTUBE_ID
from curriculum.specs import Problem

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DURATION = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
RANGE = re.compile(r"^\s*(\d+)\s*(?:[-–]\s*(\d+))?\s*$")
_url = URLValidator(schemes=["http", "https"])


class Sheet:
    """Field readers for one file; each bad value becomes one Problem and a None."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def error(self, item: str, message: str) -> None:
        self.problems.append(Problem(self.file, item, message, "error"))

    def warning(self, item: str, message: str) -> None:
        self.problems.append(Problem(self.file, item, message, "warning"))

    def mapping(self, value: Any, item: str, known: set[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(item, f"expected a mapping of keys, got {describe(value)}")
            return None
        for key in value:
            if key not in known:
                self.warning(
                    item, f"unknown key {key!r} is ignored (known: {', '.join(sorted(known))})"
                )
        return value

    def text(
        self,
        data: dict[str, Any],
        key: str,
        item: str,
        *,
        max_length: int | None,
        required: bool = True,
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(item, f"{key!r} is missing")
            return None if required else ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(item, f"{key!r} must be text, got {describe(value)}")
            return None
        if isinstance(value, float):
            # "2.10" would silently become 2.1: section numbers must be quoted.
            self.error(
                item,
                f'{key!r} is the number {value!r}; quote it ("{value}") so YAML keeps it as text',
            )
            return None
        text = str(value).strip()
        if required and not text:
            self.error(item, f"{key!r} is empty")
            return None
        if max_length is not None and len(text) > max_length:
            self.error(item, f"{key!r} has {len(text)} characters; at most {max_length} fit")
            return None
        return text

    def integer(
        self, data: dict[str, Any], key: str, item: str, *, minimum: int = 0, maximum: int = 32767
    ) -> int | None:
        value = data.get(key)
        if value is None:
            self.error(item, f"{key!r} is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(item, f"{key!r} must be a whole number, got {describe(value)} {value!r}")
            return None
        if not minimum <= value <= maximum:
            self.error(item, f"{key!r} is {value}; it must be between {minimum} and {maximum}")
            return None
        return value

    def flag(self, data: dict[str, Any], key: str, item: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.error(item, f"{key!r} must be true or false, got {value!r}")
            return False
        return value

    def slug(
        self, data: dict[str, Any], key: str, item: str, *, max_length: int = 50
    ) -> str | None:
        value = self.text(data, key, item, max_length=max_length)
        if value is not None and not SLUG.match(value):
            self.error(
                item,
                f"{key!r} {value!r} is not a slug (lower-case letters, digits and single hyphens)",
            )
            return None
        return value

    def url(self, data: dict[str, Any], key: str, item: str) -> str | None:
        value = self.text(data, key, item, max_length=200)
        if value is None:
            return None
        try:
            _url(value)
        except ValidationError:
            self.error(item, f"{key!r} {value!r} is not a valid http(s) URL")
            return None
        return value

    def numbers(self, data: dict[str, Any], key: str, item: str) -> tuple[int, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or any(
            isinstance(n, bool) or not isinstance(n, int) for n in value
        ):
            self.error(item, f"{key!r} must be a list of card numbers, got {value!r}")
            return ()
        for number, count in Counter(value).items():
            if count > 1:
                self.warning(item, f"card {number} is listed {count} times in {key!r}")
        return tuple(dict.fromkeys(value))

    def day_range(self, data: dict[str, Any], key: str, item: str) -> tuple[int, int] | None:
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        match = RANGE.match(value) if isinstance(value, str) else None
        if not match:
            self.error(item, f'{key!r} must be a number or a range like "8-12", got {value!r}')
            return None
        start = int(match.group(1))
        end = int(match.group(2) or start)
        if start < 1 or end < start:
            self.error(item, f"{key!r} {value!r} must run forwards from 1 or later")
            return None
        return start, end


def describe(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


def parse_duration(value: Any) -> tuple[int | None, str | None]:
    """ "mm:ss" or "h:mm:ss" → seconds, or (None, why not)."""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 21:10 as the base-60 number 1270.
        return None, (
            f'duration must be a quoted "mm:ss" string; YAML read this unquoted value as the '
            f'number {value} (write it as "{value // 60}:{value % 60:02d}")'
        )
    if not isinstance(value, str):
        return None, f'duration must be a quoted "mm:ss" string, got {value!r}'
    match = DURATION.match(value.strip())
    if not match:
        return None, f'duration {value!r} is not "mm:ss" or "h:mm:ss"'
    hours, minutes, seconds = int(match.group(1) or 0), int(match.group(2)), int(match.group(3))
    if seconds >= 60 or (match.group(1) and minutes >= 60):
        return (
            None,
            f"duration {value!r} has more than 59 {'seconds' if seconds >= 60 else 'minutes'}",
        )
    total = hours * 3600 + minutes * 60 + seconds
    if total == 0:
        return None, f"duration {value!r} is zero"
    return total, None


def youtube_id(url: str) -> tuple[str, str | None]:
    """The video id in a YouTube URL and, when it is malformed, what is wrong with it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    candidate: str | None = None
    if host in {"youtube.com", "www.youtube.com", "m.youtube.com", "www.youtube-nocookie.com"}:
        if parts.path == "/watch":
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif parts.path.startswith(("/embed/", "/shorts/", "/v/")):
            candidate = parts.path.split("/")[2]
    elif host == "youtu.be":
        candidate = parts.path.lstrip("/").split("/")[0]
    if candidate is None:
        return "", "not a YouTube video URL (no video id in it)"
    if YOUTUBE_ID.match(candidate):
        return candidate, None
    if len(candidate) != 11:
        why = f"has {len(candidate)} characters"
    else:
        bad = sorted({c for c in candidate if not re.match(r"[A-Za-z0-9_-]", c)})
        why = f"contains {', '.join(repr(c) for c in bad)}"
    return candidate, (
        f"malformed YouTube id {candidate!r}: it {why}, a YouTube id has exactly 11 of "
        "A-Z a-z 0-9 _ - (the page links to the playlist instead)"
    )


def load_yaml(directory: Path, name: str, problems: list[Problem], *, required: bool) -> Any:
    path = directory / name
    if not path.exists():
        if required:
            problems.append(Problem(name, "-", f"file is missing from {directory}"))
        return None
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        problems.append(Problem(name, where, f"YAML syntax error: {getattr(exc, 'problem', exc)}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, "-", f"cannot read the file: {exc}"))
    return None


def as_list(data: Any, sheet: Sheet) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, list):
        sheet.error("-", f"the file must hold a list of items, got {describe(data)}")
        return []
    return data


def field_length(model: type, name: str) -> int:
    return model._meta.get_field(name).max_length  # type: ignore[attr-defined,no-any-return]


def unique(sheet: Sheet, keyed: list[tuple[Any, str]], what: str) -> None:
    seen: dict[Any, str] = {}
    for key, item in keyed:
        if key in seen:
            sheet.error(item, f"duplicate {what} {key!r} (also used by {seen[key]})")
        else:
            seen[key] = item


def ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] → "1-3, 7"."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:  # type: ignore[list-item]
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)
