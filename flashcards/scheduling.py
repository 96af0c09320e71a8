"""The one place that talks to the `fsrs` package: which parameters and retention a
learner's scheduler uses, converting CardState rows to fsrs.Card and back, and what each
rating would do (the labels on the buttons).

All the scheduling maths is fsrs's own; nothing here computes an interval by hand.

Fuzz: fsrs spreads review intervals of 2.5 days or more by a small random amount, drawn
from ``fsrs.scheduler.random``. We seed that draw per (learner, card, review number) so the
interval a button shows is exactly the interval that rating then gives, and a replayed
preview never disagrees with itself. Outside ``seeded_fuzz`` fsrs draws as it always does.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import fsrs
import fsrs.scheduler
from django.conf import settings

from accounts.models import User
from flashcards.models import LEECH_LAPSES, REVIEW, CardState, ReviewSettings, SchedulerFit

DEFAULT_PARAMETERS: tuple[float, ...] = tuple(fsrs.scheduler.DEFAULT_PARAMETERS)

_fuzz_rng: ContextVar[random.Random | None] = ContextVar("flashcards_fuzz_rng", default=None)


def _fuzz_random() -> float:
    rng = _fuzz_rng.get()
    return rng.random() if rng is not None else random.random()


# fsrs 6 draws its interval fuzz from this module-level name; a test guards the seam.
fsrs.scheduler.random = _fuzz_random  # type: ignore[attr-defined]


@contextmanager
def seeded_fuzz(seed: str) -> Iterator[None]:
    """Make fsrs's fuzz draws inside the block a function of ``seed`` (per context/thread)."""
    token = _fuzz_rng.set(random.Random(seed))
    try:
        yield
    finally:
        _fuzz_rng.reset(token)


def fuzz_seed(*, learner_id: int, card_id: int, reps: int) -> str:
    return f"{learner_id}:{card_id}:{reps}"


@dataclass(frozen=True)
class Parameters:
    weights: tuple[float, ...]
    source: str  # "learner", "pooled" or "default"
    review_count: int = 0


def parameters_for(*, learner: User) -> Parameters:
    """The learner's own fit once they have one, else the fit pooled over all learners,
    else fsrs's defaults. The optimiser task decides when a learner has enough reviews."""
    fits = {
        fit.scope: fit
        for fit in SchedulerFit.objects.filter(learner=learner)
        | SchedulerFit.objects.filter(scope=SchedulerFit.Scope.POOLED)
    }
    for scope in (SchedulerFit.Scope.LEARNER, SchedulerFit.Scope.POOLED):
        if fit := fits.get(scope):
            return Parameters(tuple(fit.parameters), str(scope), fit.review_count)
    return Parameters(DEFAULT_PARAMETERS, "default")


def desired_retention_for(*, learner: User) -> float:
    prefs = ReviewSettings.objects.filter(learner=learner).first()
    return prefs.desired_retention if prefs else ReviewSettings.DEFAULT_RETENTION


def scheduler_for(
    *,
    learner: User,
    parameters: Parameters | None = None,
    desired_retention: float | None = None,
) -> fsrs.Scheduler:
    weights = (parameters or parameters_for(learner=learner)).weights
    retention = desired_retention or desired_retention_for(learner=learner)
    return fsrs.Scheduler(
        parameters=weights,
        desired_retention=retention,
        # Tests compare against fsrs exactly with fuzz off; production spreads the load.
        enable_fuzzing=getattr(settings, "FLASHCARDS_FUZZ", True),
    )


def _utc(moment: datetime) -> datetime:
    # fsrs rejects any tzinfo other than datetime.timezone.utc itself.
    return moment.astimezone(UTC)


def to_fsrs(state: CardState | None, *, now: datetime) -> fsrs.Card:
    """A CardState as fsrs.Card; a card never reviewed is fsrs's fresh Card, due now."""
    if state is None:
        return fsrs.Card(card_id=0, due=_utc(now))
    return fsrs.Card(
        card_id=state.pk or 0,
        state=fsrs.State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=_utc(state.due),
        last_review=_utc(state.last_review) if state.last_review else None,
    )


@dataclass(frozen=True)
class Outcome:
    """What one rating does to a card."""

    rating: int
    card: fsrs.Card
    reviewed_at: datetime

    @property
    def interval(self) -> timedelta:
        return self.card.due - self.reviewed_at

    @property
    def label(self) -> str:
        return format_interval(self.interval)


def review(
    *,
    scheduler: fsrs.Scheduler,
    learner_id: int,
    card_id: int,
    state: CardState | None,
    rating: int,
    now: datetime,
) -> Outcome:
    """fsrs's review of one card, with the fuzz seeded for this card's next review."""
    reps = state.reps if state else 0
    moment = _utc(now)
    with seeded_fuzz(fuzz_seed(learner_id=learner_id, card_id=card_id, reps=reps)):
        card, _ = scheduler.review_card(
            to_fsrs(state, now=moment), fsrs.Rating(rating), review_datetime=moment
        )
    return Outcome(rating=rating, card=card, reviewed_at=moment)


def preview(
    *,
    scheduler: fsrs.Scheduler,
    learner_id: int,
    card_id: int,
    state: CardState | None,
    now: datetime,
) -> list[Outcome]:
    """The outcome of each rating, Again to Easy, for the buttons' interval labels."""
    return [
        review(
            scheduler=scheduler,
            learner_id=learner_id,
            card_id=card_id,
            state=state,
            rating=rating,
            now=now,
        )
        for rating in fsrs.Rating
    ]


def apply(outcome: Outcome, *, state: CardState) -> None:
    """Copy an outcome onto the CardState row (unsaved), counting lapses as Anki does: a
    card in review rated Again. A card that lapses ``LEECH_LAPSES`` times is a leech."""
    was_review = state.pk is not None and state.reps > 0 and state.state == REVIEW
    card = outcome.card
    state.state = int(card.state)
    state.step = card.step
    state.stability = card.stability
    state.difficulty = card.difficulty
    state.due = card.due
    state.last_review = card.last_review
    state.reps += 1
    if was_review and outcome.rating == fsrs.Rating.Again:
        state.lapses += 1
    state.leech = state.leech or state.lapses >= LEECH_LAPSES


def format_interval(interval: timedelta) -> str:
    """Anki-style short interval: 1m, 10m, 3h, 4d, 1.5mo, 2.1y."""
    seconds = max(0.0, interval.total_seconds())
    minutes = seconds / 60
    if minutes < 1:
        return "<1m"
    if minutes < 60:
        return f"{round(minutes)}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")
