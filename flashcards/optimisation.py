"""Fitting FSRS parameters to review logs with fsrs's own Optimizer.

Until a learner has ``MIN_REVIEWS`` cross-day reviews of their own, their cards are
scheduled with the parameters pooled over every learner's reviews (fsrs's defaults until
the pool itself is big enough); from then on with parameters fitted to them alone.

fsrs's Optimizer needs torch (and pandas, tqdm); it is imported only here, inside the
functions, so the web process never loads torch.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import fsrs
from django.db import transaction
from django.db.models import Count, Q

from accounts.models import User
from flashcards.models import ReviewLog, ReviewLogQuerySet, SchedulerFit
from flashcards.scheduling import DEFAULT_PARAMETERS
from progress import freshness
from progress.days import now_utc

log = logging.getLogger(__name__)

# fsrs's Optimizer returns its defaults below one mini-batch (512) of cross-day reviews.
MIN_REVIEWS = 512


def _logs(learner: User | None) -> ReviewLogQuerySet:
    logs = ReviewLog.objects.effective().filter(card_state__isnull=False)
    return logs.filter(learner=learner) if learner is not None else logs


def to_fsrs_logs(learner: User | None) -> list[fsrs.ReviewLog]:
    """Effective reviews as fsrs.ReviewLog; card_id is the CardState id, unique per
    (learner, card), so pooled histories of different learners never mix."""
    rows = _logs(learner).values_list("card_state_id", "rating", "reviewed_at", "duration_ms")
    return [
        fsrs.ReviewLog(
            card_id=card_state_id,
            rating=fsrs.Rating(rating),
            review_datetime=reviewed_at.astimezone(UTC),
            review_duration=duration_ms,
        )
        for card_state_id, rating, reviewed_at, duration_ms in rows.iterator()
    ]


def cross_day_reviews(learner: User | None) -> int:
    return _logs(learner).cross_day().count()


def learners_with_enough_reviews() -> list[int]:
    return list(
        ReviewLog.objects.effective()
        .filter(card_state__isnull=False)
        .values("learner_id")
        .annotate(n=Count("id", filter=Q(elapsed_days__gte=1)))
        .filter(n__gte=MIN_REVIEWS)
        .values_list("learner_id", flat=True)
    )


def optimise(*, learner: User | None, now: datetime | None = None) -> SchedulerFit | None:
    """Fit parameters for one learner, or the pool when ``learner`` is None.

    Returns the fit, or None when there are too few reviews. Refitting is skipped when no
    cross-day review was added since the last fit.
    """
    count = cross_day_reviews(learner)
    if count < MIN_REVIEWS:
        return None
    scope = SchedulerFit.Scope.LEARNER if learner else SchedulerFit.Scope.POOLED
    current = SchedulerFit.objects.filter(scope=scope, learner=learner).first()
    if current and current.review_count == count:
        return current

    from fsrs import Optimizer  # torch: loaded by the worker only

    weights = [float(w) for w in Optimizer(to_fsrs_logs(learner)).compute_optimal_parameters()]
    if tuple(weights) == DEFAULT_PARAMETERS:
        # fsrs counted fewer usable reviews than we did (it reads 64 per card at most).
        return None
    fsrs.Scheduler(parameters=weights)  # raises ValueError if a weight is out of bounds
    with transaction.atomic():
        fit, _ = SchedulerFit.objects.update_or_create(
            scope=scope,
            learner=learner,
            defaults={"parameters": weights, "review_count": count, "fitted_at": now or now_utc()},
        )
        if learner is not None:
            # Their review buttons' previews show it at once (progress.freshness). A new
            # pooled fit reaches everyone's previews within PAGE_CACHE_SECONDS instead:
            # bumping every learner for it is not worth the write.
            freshness.touch(learner=learner)
    log.info("fitted FSRS parameters (%s) on %d reviews", learner or "pooled", count)
    return fit
