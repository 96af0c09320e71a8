"""What a learner should do today: the home page's data.

The *current step* is the first step of the path whose challenge is not complete yet --
where the learner actually is, whether ahead of or behind the calendar. The calendar's own
step for today (``planned_step``) is shown beside it when the two differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef

from accounts.models import User
from curriculum.models import BuildItem, Card, Challenge, PathStep, Video
from progress import activity
from progress.completion import ChallengeProgress
from progress.models import BuildItemCheck, VideoWatch
from progress.plan import PlanDay, Schedule, learner_today, path_steps, schedule_for

UPCOMING_DAYS = 5


@dataclass(frozen=True)
class BuildTask:
    item: BuildItem
    done: bool


@dataclass(frozen=True)
class TodayPlan:
    today: date
    schedule: Schedule | None  # None until the learner sets a start date
    current_step: PathStep | None  # None when every step is complete
    planned_step: PathStep | None  # the calendar's step for today, if a study day
    progress: ChallengeProgress | None
    to_watch: tuple[Video, ...]
    to_build: tuple[BuildTask, ...]
    to_review: tuple[Card, ...]
    upcoming: tuple[PlanDay, ...]
    steps_total: int

    @property
    def challenge(self) -> Challenge | None:
        return self.current_step.challenge if self.current_step else None

    @property
    def finished(self) -> bool:
        return self.steps_total > 0 and self.current_step is None

    @property
    def watch_seconds(self) -> int:
        return sum(v.seconds for v in self.to_watch)

    @property
    def off_plan(self) -> bool:
        """True when the learner works on another step than the calendar's for today."""
        return (
            self.planned_step is not None
            and self.current_step is not None
            and self.planned_step.pk != self.current_step.pk
        )


def today_plan(
    *,
    learner: User,
    today: date | None = None,
    progress: dict[int, ChallengeProgress] | None = None,
) -> TodayPlan:
    """``progress``: ``completion.challenge_progress``'s answer when the caller has it
    already (the home page takes it from the request's standing)."""
    today = today or learner_today(learner)
    steps = path_steps()
    if progress is None:
        progress = activity.standing(learner=learner).progress
    schedule = schedule_for(learner, today=today, steps=steps, progress=progress)
    current = next(
        (s for s in steps if not progress.get(s.challenge_id, ChallengeProgress()).complete), None
    )
    planned_day = schedule.today_day if schedule else None
    to_watch: tuple[Video, ...] = ()
    to_build: tuple[BuildTask, ...] = ()
    to_review: tuple[Card, ...] = ()
    if current is not None:
        challenge_done = progress.get(current.challenge_id, ChallengeProgress()).passed
        watched = VideoWatch.objects.filter(learner=learner).values("video_id")
        to_watch = tuple(
            Video.objects.current().filter(challenge=current.challenge_id).exclude(pk__in=watched)
        )
        items = BuildItem.objects.current().filter(challenge=current.challenge_id)
        done = BuildItemCheck.objects.filter(learner=learner, item=OuterRef("pk"))
        to_build = tuple(
            BuildTask(item, done=item.done if item.is_self_check else challenge_done)
            for item in items.annotate(done=Exists(done))
        )
        to_review = tuple(c for c in current.cards.all() if not c.retired)
    return TodayPlan(
        today=today,
        schedule=schedule,
        current_step=current,
        planned_step=planned_day.step if planned_day else None,
        progress=progress.get(current.challenge_id) if current else None,
        to_watch=to_watch,
        to_build=to_build,
        to_review=to_review,
        upcoming=tuple(schedule.next_days(UPCOMING_DAYS)) if schedule else (),
        steps_total=len(steps),
    )
