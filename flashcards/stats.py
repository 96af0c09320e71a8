"""Flashcard statistics for the dashboard: true retention as Anki defines it, and the
30-day due forecast drawn as a server-rendered SVG bar chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q

from accounts.models import User
from flashcards import queue
from flashcards.models import MATURE_DAYS, REVIEW, ReviewLog
from progress.days import day_bounds, today


@dataclass(frozen=True)
class Retention:
    """Pass rate of reviews of cards in the review state (Anki's "true retention"):
    learning and relearning steps are left out, Hard/Good/Easy pass and Again fails.
    Young cards had an interval under 21 days, mature ones 21 days or more."""

    label: str
    young_passed: int
    young_total: int
    mature_passed: int
    mature_total: int

    @staticmethod
    def _rate(passed: int, total: int) -> float | None:
        return passed / total if total else None

    @property
    def young(self) -> float | None:
        return self._rate(self.young_passed, self.young_total)

    @property
    def mature(self) -> float | None:
        return self._rate(self.mature_passed, self.mature_total)

    @property
    def total(self) -> float | None:
        return self._rate(
            self.young_passed + self.mature_passed, self.young_total + self.mature_total
        )

    @property
    def count(self) -> int:
        return self.young_total + self.mature_total


# (label, key, days): days 0 is today alone, 1 yesterday alone, n the last n days.
PERIODS = (
    ("Today", "today", 0),
    ("Yesterday", "yesterday", 1),
    ("Last 7 days", "week", 7),
    ("Last 30 days", "month", 30),
    ("Last year", "year", 365),
)


def true_retention(*, learner: User, now: datetime) -> list[Retention]:
    """One row per period, computed in a single aggregate query."""
    first = today(learner=learner, now=now)
    aggregates: dict[str, Count] = {}
    for _, key, days in PERIODS:
        if days == 1:  # yesterday alone
            start, end = day_bounds(learner=learner, day=first - timedelta(days=1))
        else:
            start = day_bounds(learner=learner, day=first - timedelta(days=max(days - 1, 0)))[0]
            end = day_bounds(learner=learner, day=first)[1]
        in_period = Q(reviewed_at__gte=start, reviewed_at__lt=end)
        for maturity, q in (
            ("young", Q(interval_before_days__lt=MATURE_DAYS)),
            ("mature", Q(interval_before_days__gte=MATURE_DAYS)),
        ):
            aggregates[f"{key}_{maturity}_total"] = Count("id", filter=in_period & q)
            aggregates[f"{key}_{maturity}_passed"] = Count(
                "id", filter=in_period & q & Q(rating__gt=ReviewLog.Rating.AGAIN)
            )
    counts = (
        ReviewLog.objects.effective()
        .filter(learner=learner, state_before=REVIEW)
        .aggregate(**aggregates)
    )
    return [
        Retention(
            label=label,
            young_passed=counts[f"{key}_young_passed"],
            young_total=counts[f"{key}_young_total"],
            mature_passed=counts[f"{key}_mature_passed"],
            mature_total=counts[f"{key}_mature_total"],
        )
        for label, key, _ in PERIODS
    ]


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def title(self) -> str:
        cards = "card" if self.count == 1 else "cards"
        return f"{self.day:%a %d %b}: {self.count} {cards} due"


@dataclass(frozen=True)
class ForecastChart:
    bars: list[Bar]
    width: int
    height: int
    peak: int
    total: int
    axis_y: float


CHART_WIDTH, CHART_HEIGHT, CHART_LABEL = 300, 120, 16


def forecast_chart(
    *, learner: User, now: datetime, days: int = queue.FORECAST_DAYS
) -> ForecastChart:
    """The due forecast as SVG geometry: one bar per day, the tallest filling the height."""
    per_day = queue.forecast(learner=learner, now=now, days=days)
    peak = max((count for _, count in per_day), default=0)
    plot = CHART_HEIGHT - CHART_LABEL
    slot = CHART_WIDTH / max(len(per_day), 1)
    bars = []
    for index, (day, count) in enumerate(per_day):
        height = (plot * count / peak) if peak else 0
        # A 2px stub keeps empty days visible as days.
        height = max(height, 2.0)
        bars.append(
            Bar(
                day=day,
                count=count,
                x=round(index * slot + 1, 2),
                y=round(plot - height, 2),
                width=round(slot - 2, 2),
                height=round(height, 2),
            )
        )
    return ForecastChart(
        bars=bars,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        peak=peak,
        total=sum(count for _, count in per_day),
        axis_y=plot,
    )
