"""Recording and undoing reviews: the workflows that write a CardState, its ReviewLog and
the review's XP together.

Replays: every rendered card carries a one-time token; ``ReviewLog.token`` is unique, so a
double click or a replayed POST finds the first review and changes nothing. A learner's
reviews are serialised on their user row (``select_for_update``), which also makes the
daily review-XP cap exact and undo see a consistent "last review".
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db import transaction

from accounts.models import User
from curriculum.models import Card
from flashcards import queue, scheduling
from flashcards.models import CardState, ReviewLog
from progress import freshness, xp
from progress.days import now_utc, today

# Undo reaches back this far: a slip of the key, not a rewrite of last week.
UNDO_WINDOW = timedelta(hours=1)
# Longer than this and the learner walked away; the optimiser should not see it.
MAX_DURATION_MS = 10 * 60 * 1000
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Unset:
    """A keyword left out, where None is a value (no review yet)."""


UNSET = Unset()


class ReviewError(Exception):
    """A rating that cannot be recorded; the message says why, for the learner."""


class StaleReview(ReviewError):
    """The card changed since this form was rendered (rated in another tab)."""


class ForeignToken(ReviewError):
    """The token was spent by another learner: not this learner's review to replay."""


def _lock_learner(learner: User) -> None:
    # One review at a time per learner: the cap, the new-card limit and undo stay exact.
    User.objects.select_for_update().filter(pk=learner.pk).values_list("pk", flat=True).get()


@transaction.atomic
def record_review(
    *,
    learner: User,
    card: Card,
    rating: int,
    token: str,
    now: datetime | None = None,
    expected_reps: int | None = None,
    duration_ms: int | None = None,
) -> ReviewLog:
    """Rate one card: fsrs schedules it, the review is logged and earns XP.

    Idempotent per ``token``: a second call with a spent token returns the first review.
    ``expected_reps`` is the card's review count when the form was rendered; a different
    count now means the card was rated elsewhere meanwhile (``StaleReview``).
    """
    if rating not in (1, 2, 3, 4):
        raise ReviewError("Choose Again (1), Hard (2), Good (3) or Easy (4).")
    if not TOKEN.match(token or ""):
        raise ReviewError("This card's form is incomplete; reload the page to get a fresh one.")
    now = now or now_utc()
    _lock_learner(learner)
    if spent := ReviewLog.objects.filter(token=token).first():
        if spent.learner_id != learner.pk:
            raise ForeignToken("This review form belongs to someone else.")
        return spent
    state = CardState.objects.select_for_update().filter(learner=learner, card=card).first()
    if expected_reps is not None and (state.reps if state else 0) != expected_reps:
        raise StaleReview(f"Card #{card.number} was already rated in another window.")
    if reason := queue.unavailable_reason(learner=learner, card=card, state=state, now=now):
        raise ReviewError(reason)

    scheduler = scheduling.scheduler_for(learner=learner)
    outcome = scheduling.review(
        scheduler=scheduler,
        learner_id=learner.pk,
        card_id=card.pk,
        state=state,
        rating=rating,
        now=now,
    )
    previous = state.snapshot() if state else None
    interval_before = None
    if state and state.state == CardState.State.REVIEW and state.last_review:
        interval_before = max(0, (state.due - state.last_review).days)
    elapsed = max(0, (now - state.last_review).days) if state and state.last_review else None
    state_before = state.state if state else None
    if state is None:
        state = CardState(learner=learner, card=card, due=now, introduced_at=now)
    scheduling.apply(outcome, state=state)
    state.save()
    log = ReviewLog.objects.create(
        learner=learner,
        card=card,
        card_state=state,
        rating=rating,
        token=token,
        reviewed_at=now,
        duration_ms=min(duration_ms, MAX_DURATION_MS) if duration_ms is not None else None,
        state_before=state_before,
        elapsed_days=elapsed,
        interval_before_days=interval_before,
        interval_seconds=round(outcome.interval.total_seconds()),
        previous=previous,
    )
    day = today(learner=learner, now=now_utc())
    awarded = None
    if xp.count_for_day(learner=learner, day=day, prefix="review:") < xp.REVIEW_XP_DAILY_CAP:
        awarded = xp.award(learner=learner, reason=xp.review_reason(log.pk), amount=xp.REVIEW_XP)
    if awarded is None:  # an award touches by itself
        freshness.touch(learner=learner)
    return log


def latest_review(*, learner: User) -> ReviewLog | None:
    """The learner's latest review that still counts, with its card."""
    return ReviewLog.objects.effective().filter(learner=learner).select_related("card").first()


def last_undoable(
    *, learner: User, now: datetime | None = None, latest: ReviewLog | None | Unset = UNSET
) -> ReviewLog | None:
    """The review "Undo" would take back: the learner's latest, if recent enough.
    ``latest``: ``latest_review`` when the caller has it already (the page cache keeps it)."""
    now = now or now_utc()
    log = latest_review(learner=learner) if isinstance(latest, Unset) else latest
    if log is None or now - log.reviewed_at > UNDO_WINDOW:
        return None
    return log


@transaction.atomic
def undo_last(
    *, learner: User, expected_id: int | None = None, now: datetime | None = None
) -> ReviewLog | None:
    """Take back the learner's last rating: the card's state before it comes back, the
    review stops counting (its token stays spent) and its XP is withdrawn.

    ``expected_id`` is the review the learner saw an Undo button for; when it is no longer
    the last one (already undone — a replayed POST) nothing happens. Returns the undone
    review, or None when there was nothing to undo.
    """
    now = now or now_utc()
    _lock_learner(learner)
    log = last_undoable(learner=learner, now=now)
    if log is None or (expected_id is not None and log.pk != expected_id):
        return None
    state = CardState.objects.select_for_update().filter(pk=log.card_state_id).first()
    if state is not None:
        if log.previous is None:
            state.delete()  # it was the card's first review: the card is new again
        else:
            state.restore(log.previous)
            state.save()
    log.undone_at = max(now, log.reviewed_at)
    log.save(update_fields=["undone_at"])
    if not xp.revoke(learner=learner, reason=xp.review_reason(log.pk)):
        freshness.touch(learner=learner)  # a revoke touches by itself
    return log
