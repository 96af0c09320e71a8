from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet

from flashcards.models import CardState, ReviewLog, ReviewSettings, SchedulerFit
from progress import freshness


class TouchesLearner(admin.ModelAdmin):
    """An edit in the admin changes what the learner's pages show: bump their version
    (progress.freshness), as the workflows do."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            freshness.touch_ids([obj.learner_id])

    def delete_model(self, request: Any, obj: Any) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            freshness.touch_ids([obj.learner_id])

    def delete_queryset(self, request: Any, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            learners = list(queryset.values_list("learner_id", flat=True))
            super().delete_queryset(request, queryset)
            freshness.touch_ids(learners)


@admin.register(CardState)
class CardStateAdmin(TouchesLearner):
    list_display = [
        "learner",
        "card",
        "state",
        "due",
        "stability",
        "difficulty",
        "reps",
        "lapses",
        "leech",
    ]
    list_filter = ["state", "leech"]
    search_fields = ["learner__username", "card__title"]
    raw_id_fields = ["learner", "card"]
    # Scheduling state belongs to fsrs: edit it only through reviews.
    readonly_fields = [
        "state",
        "step",
        "stability",
        "difficulty",
        "due",
        "last_review",
        "reps",
        "lapses",
    ]


@admin.register(ReviewLog)
class ReviewLogAdmin(TouchesLearner):
    list_display = [
        "learner",
        "card",
        "rating",
        "reviewed_at",
        "state_before",
        "duration_ms",
        "undone_at",
    ]
    list_filter = ["rating", "state_before"]
    search_fields = ["learner__username", "token"]
    date_hierarchy = "reviewed_at"
    raw_id_fields = ["learner", "card", "card_state"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # the log is history; undo goes through flashcards.reviews.undo_last


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(TouchesLearner):
    list_display = ["learner", "desired_retention", "new_per_day", "updated_at"]
    raw_id_fields = ["learner"]


@admin.register(SchedulerFit)
class SchedulerFitAdmin(admin.ModelAdmin):
    list_display = ["scope", "learner", "review_count", "fitted_at"]
    list_filter = ["scope"]
    readonly_fields = ["scope", "learner", "parameters", "review_count", "fitted_at"]
