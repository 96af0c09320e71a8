"""Every number the site shows about the curriculum, computed from the content itself.

The seed document's summary tables disagree with its own listings (Foundation lists 8
videos, its table says 9), so nothing here is copied from them: ``from_content`` counts
the parsed files (the ``load_content --check`` report), ``from_db`` counts the loaded rows
(the statistics page), and both go through the same ``compute``. ``compare_with_seed``
lists where the seed's claimed numbers (content/seed_summary.yaml) differ.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from curriculum.models import Card, Challenge, Concept, PathStep, Tier, Video
from curriculum.specs import Content, Problem


@dataclass(frozen=True)
class TierRow:
    slug: str
    number: int
    title: str


@dataclass(frozen=True)
class ChallengeRow:
    slug: str
    number: int
    title: str
    tier: str
    xp: int
    video_seconds: tuple[int, ...]


@dataclass(frozen=True)
class CardRow:
    number: int
    tier: str
    concept: str


@dataclass(frozen=True)
class TierStats:
    slug: str
    number: int
    title: str
    challenges: int
    videos: int
    video_seconds: int
    xp: int
    cards: int


@dataclass(frozen=True)
class ChallengeStats:
    slug: str
    number: int
    title: str
    tier: str
    videos: int
    video_seconds: int
    xp: int


@dataclass(frozen=True)
class ConceptStats:
    slug: str
    title: str
    cards: int


@dataclass(frozen=True)
class Totals:
    tiers: int
    challenges: int
    videos: int
    video_seconds: int
    xp: int
    cards: int
    concept_cards: int
    path_days: int
    path_weeks: int


@dataclass(frozen=True)
class Statistics:
    tiers: tuple[TierStats, ...]
    challenges: tuple[ChallengeStats, ...]
    concepts: tuple[ConceptStats, ...]
    totals: Totals

    def as_dict(self) -> dict[str, Any]:
        return {
            "tiers": [asdict(t) for t in self.tiers],
            "challenges": [asdict(c) for c in self.challenges],
            "concepts": [asdict(c) for c in self.concepts],
            "totals": asdict(self.totals),
        }

    def flat(self) -> dict[str, int]:
        """Every number under a dotted name, as seed_summary.yaml's ``stat`` refers to it."""
        values: dict[str, int] = {f"totals.{k}": v for k, v in asdict(self.totals).items()}
        for group, rows in (("tiers", self.tiers), ("challenges", self.challenges)):
            for row in rows:
                for key, value in asdict(row).items():
                    if isinstance(value, int) and key != "number":
                        values[f"{group}.{row.slug}.{key}"] = value
        for concept in self.concepts:
            values[f"concepts.{concept.slug}.cards"] = concept.cards
        return values


def compute(
    *,
    tiers: Sequence[TierRow],
    challenges: Sequence[ChallengeRow],
    cards: Sequence[CardRow],
    path_days: int,
    path_weeks: int,
) -> Statistics:
    challenge_stats = tuple(
        ChallengeStats(
            c.slug, c.number, c.title, c.tier, len(c.video_seconds), sum(c.video_seconds), c.xp
        )
        for c in sorted(challenges, key=lambda c: c.number)
    )
    cards_per_tier = Counter(c.tier for c in cards)
    tier_stats = tuple(
        TierStats(
            slug=t.slug,
            number=t.number,
            title=t.title,
            challenges=sum(1 for c in challenge_stats if c.tier == t.slug),
            videos=sum(c.videos for c in challenge_stats if c.tier == t.slug),
            video_seconds=sum(c.video_seconds for c in challenge_stats if c.tier == t.slug),
            xp=sum(c.xp for c in challenge_stats if c.tier == t.slug),
            cards=cards_per_tier[t.slug],
        )
        for t in sorted(tiers, key=lambda t: t.number)
    )
    per_concept = Counter(c.concept for c in cards)
    concepts = tuple(
        ConceptStats(value, str(label), per_concept[value]) for value, label in Concept.choices
    )
    totals = Totals(
        tiers=len(tier_stats),
        challenges=len(challenge_stats),
        videos=sum(c.videos for c in challenge_stats),
        video_seconds=sum(c.video_seconds for c in challenge_stats),
        xp=sum(c.xp for c in challenge_stats),
        cards=len(cards),
        concept_cards=sum(c.cards for c in concepts),
        path_days=path_days,
        path_weeks=path_weeks,
    )
    return Statistics(tier_stats, challenge_stats, concepts, totals)


def from_content(content: Content) -> Statistics:
    """Statistics of the parsed files (what ``load_content`` would load)."""
    return compute(
        tiers=[TierRow(t.slug, t.number, t.title) for t in content.tiers],
        challenges=[
            ChallengeRow(
                c.slug, c.number, c.title, c.tier, c.xp, tuple(v.seconds for v in c.videos)
            )
            for c in content.challenges
        ],
        cards=[CardRow(c.number, c.tier, c.concept) for c in content.cards],
        path_days=max((s.day_end for s in content.path), default=0),
        path_weeks=max((s.week_end for s in content.path), default=0),
    )


def from_db() -> Statistics:
    """Statistics of the loaded rows, retired ones left out. Four queries."""
    seconds: dict[int, list[int]] = {}
    for challenge_id, value in Video.objects.current().values_list("challenge_id", "seconds"):
        seconds.setdefault(challenge_id, []).append(value)
    steps = list(PathStep.objects.values_list("day_end", "week_label"))
    return compute(
        tiers=[
            TierRow(*row) for row in Tier.objects.current().values_list("slug", "number", "title")
        ],
        challenges=[
            ChallengeRow(c.slug, c.number, c.title, c.tier.slug, c.xp, tuple(seconds.get(c.pk, ())))
            for c in Challenge.objects.current().select_related("tier")
        ],
        cards=[
            CardRow(*row)
            for row in Card.objects.current().values_list("number", "tier__slug", "concept")
        ],
        path_days=max((day_end for day_end, _ in steps), default=0),
        path_weeks=max((_last_number(label) for _, label in steps), default=0),
    )


def _last_number(text: str) -> int:
    numbers = re.findall(r"\d+", text)
    return int(numbers[-1]) if numbers else 0


# --- the seed's summary tables ----------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    stat: str
    where: str
    claimed: str  # as the seed words it
    computed: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def compare_with_seed(
    statistics: Statistics, claims: Iterable[dict[str, Any]]
) -> tuple[list[Disagreement], list[Problem]]:
    """Each claim whose number the listings do not give, and claims that cannot be read."""
    values = statistics.flat()
    disagreements: list[Disagreement] = []
    problems: list[Problem] = []
    for claim in claims:
        stat, text, where = str(claim["stat"]), str(claim["text"]), str(claim.get("where", "-"))
        if stat not in values:
            problems.append(
                Problem("seed_summary.yaml", stat, f"no statistic is called {stat!r}", "warning")
            )
            continue
        is_time = stat.endswith("_seconds")
        try:
            claimed = parse_clock(claim["value"]) if is_time else int(claim["value"])
            tolerance = (
                parse_clock(claim.get("tolerance", 0))
                if is_time
                else int(claim.get("tolerance", 0))
            )
        except (TypeError, ValueError):
            problems.append(
                Problem(
                    "seed_summary.yaml", stat, f"cannot read value {claim['value']!r}", "warning"
                )
            )
            continue
        computed = values[stat]
        if abs(claimed - computed) > tolerance:
            shown = format_duration(computed) if is_time else str(computed)
            disagreements.append(
                Disagreement(
                    stat=stat,
                    where=where,
                    claimed=text,
                    computed=shown,
                    message=f'seed summary says "{text}" ({where}: {stat}), listings give {shown}',
                )
            )
    return disagreements, problems


def parse_clock(value: Any) -> int:
    """ "h:mm:ss" (or "m:ss", or a number of seconds) → seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    parts = [int(p) for p in str(value).split(":")]
    if not 1 <= len(parts) <= 3:
        raise ValueError(value)
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def format_duration(seconds: int) -> str:
    """4884 → "1h 21m 24s"; 1260 → "21m"; 45 → "45s"."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    if minutes:
        parts.append(f"{minutes}m")
    if secs or not parts:
        parts.append(f"{secs}s")
    return " ".join(parts)
