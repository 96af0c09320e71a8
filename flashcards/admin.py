from __future__ import annotations

from django.contrib import admin

from flashcards.models import CardState, ReviewLog, ReviewSettings, SchedulerFit


@admin.register(CardState)
class CardStateAdmin(admin.ModelAdmin):
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
class ReviewLogAdmin(admin.ModelAdmin):
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
class ReviewSettingsAdmin(admin.ModelAdmin):
    list_display = ["learner", "desired_retention", "new_per_day", "updated_at"]
    raw_id_fields = ["learner"]


@admin.register(SchedulerFit)
class SchedulerFitAdmin(admin.ModelAdmin):
    list_display = ["scope", "learner", "review_count", "fitted_at"]
    list_filter = ["scope"]
    readonly_fields = ["scope", "learner", "parameters", "review_count", "fitted_at"]
