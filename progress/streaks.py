"""Daily streaks and the daily goal, derived from what a learner did (nothing is stored, so
a streak can always be explained day by day).

Study activity: any XP award (challenge passes, videos, flashcard reviews — every review
day has review awards, as the first ``REVIEW_XP_DAILY_CAP`` reviews earn XP), a video
ticked, a build item ticked. Submissions that fail earn no XP and so do not count: progress
must not read grading's tables (STYLE.md's dependency direction); once grading records
attempts in the ledger or exposes them to progress, add them to ``activity_days``.

Forgiveness: one missed day per calendar week (Monday–Sunday, the learner's zone) is bridged
by a "freeze". A freeze is spent only when it actually saves a streak — a miss that ends the
streak anyway leaves the week's freeze unspent. Today never breaks a streak: the day is not
over yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import IntegerField, Sum, Value
from django.db.models.functions import TruncDate

from accounts.models import User
from progress import xp
from progress.days import day_bounds
from progress.days import today as local_today
from progress.models import BuildItemCheck, VideoWatch, XPEntry


@dataclass(frozen=True)
class Streak:
    current: int  # active days in the streak that is still alive
    longest: int
    active_today: bool
    # Missed days the current streak survives thanks to a weekly freeze.
    frozen_days: tuple[date, ...] = field(default=())
    freeze_available: bool = True  # this week's freeze is still unspent

    @property
    def at_risk(self) -> bool:
        """A live streak that ends unless the learner studies today."""
        return self.current > 0 and not self.active_today


@dataclass(frozen=True)
class DailyGoal:
    target: int
    earned: int

    @property
    def met(self) -> bool:
        return self.earned >= self.target

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.earned / self.target)) if self.target else 100


def _week(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def compute(days: Iterable[date], *, today: date) -> Streak:
    """The streak a set of active days gives on ``today``; pure, so it is easy to test."""
    active = {d for d in days if d <= today}
    if not active:
        return Streak(current=0, longest=0, active_today=False)
    run = longest = 0
    spent_weeks: set[tuple[int, int]] = set()
    # Misses since the last active day, each bridged by its week's freeze if the streak goes on.
    pending: list[date] = []
    frozen: list[date] = []
    day = min(active)
    while day <= today:
        if day in active:
            run += 1
            longest = max(longest, run)
            spent_weeks.update(_week(d) for d in pending)
            frozen.extend(pending)
            pending = []
        elif day != today:
            week = _week(day)
            if run and week not in spent_weeks and all(_week(d) != week for d in pending):
                pending.append(day)
            else:
                run, pending, frozen = 0, [], []
        day += timedelta(days=1)
    this_week = _week(today)
    return Streak(
        current=run,
        longest=longest,
        active_today=today in active,
        frozen_days=tuple(frozen + pending) if run else (),
        freeze_available=this_week not in spent_weeks
        and all(_week(d) != this_week for d in pending),
    )


def activity_days(
    *, learner: User, start: date | None = None, end: date | None = None
) -> set[date]:
    """The learner-local days with any study activity, optionally within [start, end]."""
    zone = learner.zone
    sources = (
        (XPEntry.objects.filter(learner=learner), "created_at"),
        (VideoWatch.objects.filter(learner=learner), "watched_at"),
        (BuildItemCheck.objects.filter(learner=learner), "checked_at"),
    )
    begin: datetime | None = day_bounds(learner=learner, day=start)[0] if start else None
    finish: datetime | None = day_bounds(learner=learner, day=end)[1] if end else None
    days: set[date] = set()
    for queryset, column in sources:
        if begin:
            queryset = queryset.filter(**{f"{column}__gte": begin})
        if finish:
            queryset = queryset.filter(**{f"{column}__lt": finish})
        days.update(
            queryset.annotate(day=TruncDate(column, tzinfo=zone))
            .values_list("day", flat=True)
            .distinct()
        )
    return days


def daily_activity(*, learner: User) -> dict[date, int]:
    """Every learner-local day with study activity and the XP earned on it (0 on a day
    with only ticks), in one query: the ledger's sums per day and the days of video and
    build-item ticks, put together with UNION ALL. The dashboard's streak, heat map and
    daily goal all read it."""
    zone = learner.zone
    earned = (
        XPEntry.objects.filter(learner=learner)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .order_by()
        .values("day")
        .annotate(xp=Sum("amount"))
        .values_list("day", "xp")
    )
    ticks = [
        queryset.filter(learner=learner)
        .annotate(day=TruncDate(column, tzinfo=zone), xp=Value(0, output_field=IntegerField()))
        .order_by()
        .values_list("day", "xp")
        .distinct()
        for queryset, column in (
            (VideoWatch.objects.all(), "watched_at"),
            (BuildItemCheck.objects.all(), "checked_at"),
        )
    ]
    days: dict[date, int] = {}
    for day, amount in earned.union(*ticks, all=True):
        days[day] = days.get(day, 0) + amount
    return days


def streak(
    *, learner: User, now: datetime | None = None, activity: Iterable[date] | None = None
) -> Streak:
    """``activity``: the learner's active days when the caller has read them already."""
    days = activity if activity is not None else activity_days(learner=learner)
    return compute(days, today=local_today(learner=learner, now=now))


def daily_goal(
    *,
    learner: User,
    day: date | None = None,
    now: datetime | None = None,
    activity: dict[date, int] | None = None,
) -> DailyGoal:
    """``activity``: ``daily_activity``'s XP per day when the caller has read it already."""
    day = day or local_today(learner=learner, now=now)
    earned = activity.get(day, 0) if activity is not None else xp.for_day(learner=learner, day=day)
    return DailyGoal(target=xp.DAILY_GOAL_XP, earned=earned)
