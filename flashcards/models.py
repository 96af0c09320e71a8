"""A learner's flashcards: FSRS memory state per card, every review logged, per-learner
preferences and the optimised FSRS parameters.

The scheduling maths is the `fsrs` package's (flashcards/scheduling.py); these rows only
persist what fsrs needs between reviews plus what the statistics and undo need.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

# fsrs's State values; kept as integers so a CardState converts to fsrs.Card losslessly.
LEARNING, REVIEW, RELEARNING = 1, 2, 3

# Anki's default: a card forgotten this many times after graduating is a leech.
LEECH_LAPSES = 8

# Anki's split between young and mature cards (interval in days), used by true retention.
MATURE_DAYS = 21


class CardStateQuerySet(models.QuerySet["CardState"]):
    def for_learner(self, learner: object) -> CardStateQuerySet:
        return self.filter(learner=learner)

    def learning(self) -> CardStateQuerySet:
        return self.filter(state__in=(LEARNING, RELEARNING))

    def in_review(self) -> CardStateQuerySet:
        return self.filter(state=REVIEW)

    def leeches(self) -> CardStateQuerySet:
        return self.filter(leech=True)


class CardState(models.Model):
    """One learner's memory of one card: an fsrs.Card persisted. Created at its first review."""

    class State(models.IntegerChoices):
        LEARNING = LEARNING, "Learning"
        REVIEW = REVIEW, "Review"
        RELEARNING = RELEARNING, "Relearning"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_states"
    )
    card = models.ForeignKey("curriculum.Card", on_delete=models.CASCADE, related_name="states")
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    # Counts kept for the card list, leech detection and stale-form detection.
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    leech = models.BooleanField(default=False)
    introduced_at = models.DateTimeField()

    objects = CardStateQuerySet.as_manager()

    class Meta:
        ordering = ["due"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "card"], name="cardstate_unique"),
            models.CheckConstraint(
                condition=Q(state__in=[LEARNING, REVIEW, RELEARNING]), name="cardstate_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(stability__isnull=True) | Q(stability__gt=0),
                name="cardstate_stability_positive",
            ),
            models.CheckConstraint(
                condition=Q(difficulty__isnull=True) | Q(difficulty__gte=1, difficulty__lte=10),
                name="cardstate_difficulty_range",
            ),
        ]
        indexes = [
            # The due queue and the 30-day forecast scan one learner's states by due date.
            models.Index(fields=["learner", "due"], name="cardstate_learner_due"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · card #{self.card.number}"

    @property
    def is_learning(self) -> bool:
        return self.state in (LEARNING, RELEARNING)

    def is_due(self, now: datetime) -> bool:
        return self.due <= now

    def snapshot(self) -> dict[str, object]:
        """The fields a review changes, as JSON, so undo can put them back exactly."""
        return {
            "state": self.state,
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due.isoformat(),
            "last_review": self.last_review.isoformat() if self.last_review else None,
            "reps": self.reps,
            "lapses": self.lapses,
            "leech": self.leech,
        }

    def restore(self, snapshot: dict[str, object]) -> None:
        self.state = int(snapshot["state"])  # type: ignore[call-overload]
        self.step = snapshot["step"]  # type: ignore[assignment]
        self.stability = snapshot["stability"]  # type: ignore[assignment]
        self.difficulty = snapshot["difficulty"]  # type: ignore[assignment]
        self.due = datetime.fromisoformat(str(snapshot["due"]))
        last = snapshot["last_review"]
        self.last_review = datetime.fromisoformat(str(last)) if last else None
        self.reps = int(snapshot["reps"])  # type: ignore[call-overload]
        self.lapses = int(snapshot["lapses"])  # type: ignore[call-overload]
        self.leech = bool(snapshot["leech"])


class ReviewLogQuerySet(models.QuerySet["ReviewLog"]):
    def effective(self) -> ReviewLogQuerySet:
        """Reviews that count: undone ones stay only to keep their token spent."""
        return self.filter(undone_at__isnull=True)

    def for_learner(self, learner: object) -> ReviewLogQuerySet:
        return self.filter(learner=learner)

    def cross_day(self) -> ReviewLogQuerySet:
        """Reviews a day or more after the card's previous one: what fsrs's optimiser uses."""
        return self.filter(elapsed_days__gte=1)


class ReviewLog(models.Model):
    """One rating of one card. The token makes a replayed or double-clicked rating a no-op."""

    class Rating(models.IntegerChoices):
        AGAIN = 1, "Again"
        HARD = 2, "Hard"
        GOOD = 3, "Good"
        EASY = 4, "Easy"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs"
    )
    card = models.ForeignKey("curriculum.Card", on_delete=models.CASCADE, related_name="reviews")
    # Every effective review of a card points at its current state row (only undoing a
    # card's first review deletes the row, and that review is then no longer effective), so
    # the state's id is fsrs's card_id for the optimiser.
    card_state = models.ForeignKey(
        CardState, on_delete=models.SET_NULL, null=True, blank=True, related_name="logs"
    )
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    token = models.CharField(max_length=64, unique=True)
    reviewed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The card's state before this review; None when it was a new card.
    state_before = models.PositiveSmallIntegerField(null=True, blank=True)
    # Whole days since the card's previous review (None for its first review).
    elapsed_days = models.PositiveIntegerField(null=True, blank=True)
    # The interval the card had been scheduled for before this review, in days (review
    # cards only): young/mature split for true retention.
    interval_before_days = models.PositiveIntegerField(null=True, blank=True)
    # The interval this review gave, in seconds (what the button showed).
    interval_seconds = models.PositiveBigIntegerField()
    previous = models.JSONField(null=True, blank=True)  # CardState.snapshot() before; undo
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewLogQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__in=[1, 2, 3, 4]), name="reviewlog_rating"),
            models.CheckConstraint(
                condition=Q(undone_at__isnull=True) | Q(undone_at__gte=F("reviewed_at")),
                name="reviewlog_undone_after_review",
            ),
        ]
        indexes = [
            # Undo, "reviewed today" and the heat map read one learner's latest reviews.
            models.Index(fields=["learner", "-reviewed_at"], name="reviewlog_learner_time"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} rated #{self.card_id} {self.get_rating_display()}"

    @property
    def passed(self) -> bool:
        return self.rating != self.Rating.AGAIN


class ReviewSettings(models.Model):
    """A learner's flashcard preferences; absent until they change a default."""

    DEFAULT_RETENTION = 0.9
    DEFAULT_NEW_PER_DAY = 10
    MIN_RETENTION, MAX_RETENTION = 0.70, 0.97
    MAX_NEW_PER_DAY = 50

    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_settings"
    )
    desired_retention = models.FloatField(default=DEFAULT_RETENTION)
    new_per_day = models.PositiveSmallIntegerField(default=DEFAULT_NEW_PER_DAY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(desired_retention__gte=0.70, desired_retention__lte=0.97),
                name="reviewsettings_retention_range",
            ),
            models.CheckConstraint(
                condition=Q(new_per_day__lte=50), name="reviewsettings_new_per_day_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner}: {self.desired_retention:.0%} retention, {self.new_per_day} new/day"


class SchedulerFit(models.Model):
    """FSRS parameters optimised from review logs: one pooled row over all learners, and
    one per learner once they have enough cross-day reviews of their own."""

    class Scope(models.TextChoices):
        POOLED = "pooled", "All learners"
        LEARNER = "learner", "One learner"

    scope = models.CharField(max_length=8, choices=Scope.choices)
    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scheduler_fit",
    )
    parameters = models.JSONField()  # fsrs's 21 floats
    review_count = models.PositiveIntegerField()  # cross-day reviews it was fitted on
    fitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="pooled", learner__isnull=True)
                | Q(scope="learner", learner__isnull=False),
                name="schedulerfit_scope_matches_learner",
            ),
            # Exactly one pooled row (a partial unique index).
            models.UniqueConstraint(
                fields=["scope"], condition=Q(scope="pooled"), name="schedulerfit_one_pooled"
            ),
        ]

    def __str__(self) -> str:
        return f"FSRS fit ({self.learner or 'pooled'}, {self.review_count} reviews)"
