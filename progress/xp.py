"""The XP ledger: every award is one row, unique per (learner, reason), so a total is always
the sum of explainable rows and a replayed award can never count twice.

Reasons are stable keys, built by the helpers below:
- ``challenge:<slug>:pass`` — the first passing submission (grading awards ``challenge.xp``);
- ``video:<slug>`` — a video ticked as watched (curriculum awards ``VIDEO_XP``);
- ``review:<review log id>`` — one flashcard review (flashcards awards ``REVIEW_XP``, at most
  ``REVIEW_XP_DAILY_CAP`` reviews a day earn XP, so grinding "Again" cannot outrun real work).

Levels grow quadratically: reaching level L takes ``LEVEL_STEP * L * (L - 1)`` XP in total
(50, 150, 300, 500 …), so early levels come fast and later ones mark sustained study.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from accounts.models import User
from progress import freshness
from progress.days import day_bounds
from progress.models import XPEntry

VIDEO_XP = 5
REVIEW_XP = 1
# A review earns XP only for the first this-many reviews of a learner's day.
REVIEW_XP_DAILY_CAP = 100
LEVEL_STEP = 25
# What "today's goal" asks for: e.g. twenty reviews, or four videos, or any challenge pass.
DAILY_GOAL_XP = 20


def challenge_pass_reason(slug: str) -> str:
    return f"challenge:{slug}:pass"


def video_reason(slug: str) -> str:
    return f"video:{slug}"


def review_reason(review_id: int) -> str:
    return f"review:{review_id}"


@transaction.atomic
def award(*, learner: User, reason: str, amount: int) -> XPEntry | None:
    """Record an award once. Returns None when this reason was already awarded."""
    try:
        # The savepoint keeps an outer transaction usable after a duplicate.
        with transaction.atomic():
            entry = XPEntry.objects.create(learner=learner, reason=reason, amount=amount)
    except IntegrityError:
        return None
    freshness.touch(learner=learner)
    return entry


@transaction.atomic
def revoke(*, learner: User, reason: str) -> bool:
    """Withdraw an award whose cause was undone (an undone flashcard review).

    Returns whether a row was removed. The ledger keeps only awards that still stand, so its
    sum stays explainable row by row.
    """
    deleted, _ = XPEntry.objects.filter(learner=learner, reason=reason).delete()
    if deleted:
        freshness.touch(learner=learner)
    return bool(deleted)


def total(*, learner: User) -> int:
    return XPEntry.objects.filter(learner=learner).aggregate(s=Sum("amount"))["s"] or 0


def for_day(*, learner: User, day: date) -> int:
    """XP earned on one of the learner's own calendar days (their time zone)."""
    return by_day(learner=learner, start=day, end=day).get(day, 0)


def by_day(*, learner: User, start: date, end: date) -> dict[date, int]:
    """XP per learner-local day in [start, end]; days without XP are absent."""
    zone = learner.zone
    begin, finish = _bounds(learner, start, end)
    rows = (
        XPEntry.objects.filter(learner=learner, created_at__gte=begin, created_at__lt=finish)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(xp=Sum("amount"))
        .values_list("day", "xp")
    )
    return {day: xp for day, xp in rows}


def count_for_day(*, learner: User, day: date, prefix: str) -> int:
    """How many awards whose reason starts with ``prefix`` the learner got on ``day``."""
    begin, finish = _bounds(learner, day, day)
    return XPEntry.objects.filter(
        learner=learner,
        reason__startswith=prefix,
        created_at__gte=begin,
        created_at__lt=finish,
    ).count()


def entry_days(*, learner: User, start: date, end: date) -> dict[date, int]:
    """How many ledger rows fall on each learner-local day in [start, end] (activity)."""
    begin, finish = _bounds(learner, start, end)
    rows = (
        XPEntry.objects.filter(learner=learner, created_at__gte=begin, created_at__lt=finish)
        .annotate(day=TruncDate("created_at", tzinfo=learner.zone))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return {day: n for day, n in rows}


def passed_challenge_slugs(*, learner: User) -> set[str]:
    """Challenges the learner has passed, read from their ``challenge:<slug>:pass`` awards."""
    reasons = XPEntry.objects.filter(
        learner=learner, reason__startswith="challenge:", reason__endswith=":pass"
    ).values_list("reason", flat=True)
    return {reason.removeprefix("challenge:").removesuffix(":pass") for reason in reasons}


@dataclass(frozen=True)
class Level:
    number: int
    total_xp: int
    floor_xp: int  # total XP at which this level began
    next_xp: int  # total XP at which the next level begins

    @property
    def into_level(self) -> int:
        return self.total_xp - self.floor_xp

    @property
    def span(self) -> int:
        return self.next_xp - self.floor_xp

    @property
    def to_next(self) -> int:
        return self.next_xp - self.total_xp

    @property
    def percent(self) -> int:
        return round(100 * self.into_level / self.span)


def xp_for_level(number: int) -> int:
    """Total XP needed to reach level ``number`` (level 1 needs none)."""
    return LEVEL_STEP * number * (number - 1)


def level_for(total_xp: int) -> Level:
    """The level a total of XP reaches: the largest L with xp_for_level(L) <= total_xp."""
    if total_xp < 0:
        raise ValueError("XP totals are never negative")
    # Solve 25·L·(L−1) <= xp for L, then correct the integer root's rounding either way.
    number = max(1, (1 + math.isqrt(1 + 4 * total_xp // LEVEL_STEP)) // 2)
    while xp_for_level(number + 1) <= total_xp:
        number += 1
    while number > 1 and xp_for_level(number) > total_xp:
        number -= 1
    return Level(
        number=number,
        total_xp=total_xp,
        floor_xp=xp_for_level(number),
        next_xp=xp_for_level(number + 1),
    )


def level(*, learner: User) -> Level:
    return level_for(total(learner=learner))


def _bounds(learner: User, start: date, end: date) -> tuple[datetime, datetime]:
    begin, _ = day_bounds(learner=learner, day=start)
    _, finish = day_bounds(learner=learner, day=end)
    return begin, finish
