"""A learner's personal calendar: the recommended path laid onto real dates.

Plan day N is the N-th study date on or after the start date (Monday to Friday by
default, so the path's 53 days take the seed's ~11 weeks). Progress fills the days of a
path step in proportion to its challenge's progress, so watching half the videos of a
six-day step marks some of its days done even before the code passes.

"Today" is the learner's own date (``User.zone``), never the server's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from curriculum.models import PathStep
from progress import freshness
from progress.completion import ChallengeProgress, challenge_progress
from progress.models import LearningPlan

MAX_START_OFFSET = timedelta(days=365)


def learner_today(learner: User) -> date:
    return timezone.localdate(timezone=learner.zone)


def start_date_bounds(today: date) -> tuple[date, date]:
    """The earliest and latest start date a learner may choose."""
    return today - MAX_START_OFFSET, today + MAX_START_OFFSET


@transaction.atomic
def set_plan(
    *, learner: User, start_date: date, study_days: str = LearningPlan.StudyDays.WEEKDAYS
) -> tuple[LearningPlan, bool]:
    """Create or change the learner's plan; returns (plan, changed). Same values: no write."""
    try:
        with transaction.atomic():
            plan, created = LearningPlan.objects.select_for_update().get_or_create(
                learner=learner, defaults={"start_date": start_date, "study_days": study_days}
            )
    except IntegrityError:
        # Two first submissions raced on the one-to-one; the other one created the row.
        plan, created = LearningPlan.objects.select_for_update().get(learner=learner), False
    if created:
        freshness.touch(learner=learner)
        return plan, True
    if plan.start_date == start_date and plan.study_days == study_days:
        return plan, False
    plan.start_date, plan.study_days = start_date, study_days
    plan.save(update_fields=["start_date", "study_days", "updated_at"])
    freshness.touch(learner=learner)
    return plan, True


def study_dates(*, start: date, count: int, study_days: str) -> list[date]:
    """The first ``count`` study dates on or after ``start``."""
    weekdays_only = study_days == LearningPlan.StudyDays.WEEKDAYS
    dates: list[date] = []
    day = start
    while len(dates) < count:
        if not weekdays_only or day.weekday() < 5:
            dates.append(day)
        day += timedelta(days=1)
    return dates


@dataclass(frozen=True)
class PlanDay:
    number: int
    date: date
    step: PathStep
    done: bool
    status: str  # "done", "behind", "today" or "upcoming"
    is_today: bool
    first_of_step: bool


@dataclass(frozen=True)
class CalendarCell:
    date: date
    day: PlanDay | None  # None: a rest day, or outside the plan
    is_today: bool
    in_plan: bool


@dataclass(frozen=True)
class Schedule:
    plan: LearningPlan
    today: date
    days: tuple[PlanDay, ...]
    done_days: int

    @property
    def total_days(self) -> int:
        return len(self.days)

    @property
    def start(self) -> date:
        return self.days[0].date

    @property
    def end(self) -> date:
        return self.days[-1].date

    @property
    def due_before_today(self) -> int:
        """Plan days whose date has passed: they should be done by now."""
        return sum(1 for d in self.days if d.date < self.today)

    @property
    def due_by_today(self) -> int:
        return sum(1 for d in self.days if d.date <= self.today)

    @property
    def behind(self) -> int:
        """Plan days past their date and still not done (as a count of days)."""
        return max(0, self.due_before_today - self.done_days)

    @property
    def ahead(self) -> int:
        """Plan days done beyond today's."""
        return max(0, self.done_days - self.due_by_today)

    @property
    def today_day(self) -> PlanDay | None:
        return next((d for d in self.days if d.is_today), None)

    @property
    def not_started(self) -> bool:
        return self.today < self.start

    @property
    def past_end(self) -> bool:
        return self.today > self.end

    def next_days(self, count: int) -> list[PlanDay]:
        """The next ``count`` plan days from today on (today included)."""
        return [d for d in self.days if d.date >= self.today][:count]

    def weeks(self) -> list[list[CalendarCell]]:
        """Monday-first calendar weeks from the start week to the end week."""
        by_date = {d.date: d for d in self.days}
        first = self.start - timedelta(days=self.start.weekday())
        last = self.end + timedelta(days=6 - self.end.weekday())
        weeks: list[list[CalendarCell]] = []
        day = first
        while day <= last:
            if day.weekday() == 0:
                weeks.append([])
            weeks[-1].append(
                CalendarCell(
                    date=day,
                    day=by_date.get(day),
                    is_today=day == self.today,
                    in_plan=self.start <= day <= self.end,
                )
            )
            day += timedelta(days=1)
        return weeks


def build_schedule(
    *,
    plan: LearningPlan,
    steps: list[PathStep],
    progress: dict[int, ChallengeProgress],
    today: date,
) -> Schedule | None:
    """Lay ``steps`` onto the plan's dates and mark each day done, behind, today or upcoming."""
    if not steps:
        return None
    total = max(s.day_end for s in steps)
    dates = study_dates(start=plan.start_date, count=total, study_days=plan.study_days)
    days: list[PlanDay] = []
    for step in steps:
        fraction = progress.get(step.challenge_id, ChallengeProgress()).fraction
        # The small epsilon keeps 1/3 × 3 days from rounding down to 0.999… days.
        done_in_step = math.floor(fraction * step.length + 1e-9)
        for number in range(step.day_start, step.day_end + 1):
            on = dates[number - 1]
            done = number - step.day_start < done_in_step
            if done:
                status = "done"
            elif on < today:
                status = "behind"
            elif on == today:
                status = "today"
            else:
                status = "upcoming"
            days.append(
                PlanDay(
                    number=number,
                    date=on,
                    step=step,
                    done=done,
                    status=status,
                    is_today=on == today,
                    first_of_step=number == step.day_start,
                )
            )
    days.sort(key=lambda d: d.number)
    return Schedule(plan=plan, today=today, days=tuple(days), done_days=sum(d.done for d in days))


def path_steps() -> list[PathStep]:
    return list(
        PathStep.objects.filter(challenge__retired=False)
        .select_related("challenge__tier")
        .prefetch_related("cards")
    )


def schedule_for(
    learner: User,
    *,
    today: date | None = None,
    steps: list[PathStep] | None = None,
    progress: dict[int, ChallengeProgress] | None = None,
) -> Schedule | None:
    """The learner's schedule, or None without a start date (or without a path)."""
    plan = LearningPlan.objects.filter(learner=learner).first()
    if plan is None:
        return None
    return build_schedule(
        plan=plan,
        steps=steps if steps is not None else path_steps(),
        progress=progress if progress is not None else challenge_progress(learner),
        today=today or learner_today(learner),
    )
