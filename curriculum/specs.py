"""The curriculum content as plain data: what curriculum/parsing.py reads from the
content files, curriculum/loading.py writes to the database and curriculum/stats.py counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

CONTENT_DIR = Path(__file__).resolve().parent / "content"
REQUIRED_FILES = (
    "tiers.yaml",
    "challenges.yaml",
    "cards.yaml",
    "path.yaml",
    "tips.yaml",
    "links.yaml",
)
ANSWERS_FILE = "card_answers.yaml"  # written by the flashcards content; optional
SUMMARY_FILE = "seed_summary.yaml"  # the seed's claimed numbers; only --check reads it
CARD_NUMBERS = range(1, 51)
# DESIGN.md §4: URLs, the grader and the CLI use these; content must keep every one.
FIXED_CHALLENGE_SLUGS = (
    "tokenizer",
    "embeddings",
    "data-pipeline",
    "self-attention",
    "causal-attention",
    "multi-head-attention",
    "transformer-block",
    "gpt-model",
    "text-generation",
    "training",
    "sampling",
    "model-io",
    "classification-finetune",
    "instruction-finetune",
)


Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    file: str
    item: str
    message: str
    level: Level = "error"

    def __str__(self) -> str:
        return f"{self.level}: {self.file} [{self.item}]: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "item": self.item, "message": self.message, "level": self.level}


@dataclass(frozen=True)
class TierSpec:
    slug: str
    number: int
    title: str
    chapters: str
    focus: str


@dataclass(frozen=True)
class VideoSpec:
    slug: str
    position: int
    title: str
    url: str
    youtube_id: str  # "" when the URL holds none; may be malformed (a warning)
    seconds: int
    book_section: str
    core: bool


@dataclass(frozen=True)
class BuildItemSpec:
    slug: str  # "<challenge>--<key>"
    position: int
    text: str
    kind: str


@dataclass(frozen=True)
class ChallengeSpec:
    slug: str
    number: int
    tier: str
    title: str
    goal: str
    brief: str
    hours_min: int
    hours_max: int
    xp: int
    cards: tuple[int, ...]
    videos: tuple[VideoSpec, ...]
    build_items: tuple[BuildItemSpec, ...]


@dataclass(frozen=True)
class CardSpec:
    number: int
    title: str
    concept: str
    tier: str
    front: str | None = None  # None: card_answers.yaml does not answer it (leave as is)
    back: str | None = None


@dataclass(frozen=True)
class PathStepSpec:
    position: int
    week_label: str
    week_end: int
    tier: str
    day_start: int
    day_end: int
    challenge: str
    cards: tuple[int, ...]
    critical: bool

    @property
    def days_label(self) -> str:
        if self.day_start == self.day_end:
            return f"day {self.day_start}"
        return f"days {self.day_start}–{self.day_end}"


@dataclass(frozen=True)
class TipSpec:
    position: int
    title: str
    body: str


@dataclass(frozen=True)
class LinkSpec:
    position: int
    title: str
    url: str


@dataclass
class Content:
    directory: Path
    tiers: list[TierSpec] = field(default_factory=list)
    challenges: list[ChallengeSpec] = field(default_factory=list)
    cards: list[CardSpec] = field(default_factory=list)
    path: list[PathStepSpec] = field(default_factory=list)
    tips: list[TipSpec] = field(default_factory=list)
    links: list[LinkSpec] = field(default_factory=list)
    answers_present: bool = False
    seed_summary: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def videos(self) -> Iterator[tuple[ChallengeSpec, VideoSpec]]:
        for challenge in self.challenges:
            for video in challenge.videos:
                yield challenge, video
