"""What a learner has done: videos watched, build items ticked, their plan, and the
XP ledger every award goes through (STYLE.md: one row per award, unique per reason)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class VideoWatch(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_watches"
    )
    video = models.ForeignKey("curriculum.Video", on_delete=models.CASCADE, related_name="watches")
    watched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "video"], name="videowatch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} watched {self.video_id}"


class BuildItemCheck(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="build_checks"
    )
    item = models.ForeignKey(
        "curriculum.BuildItem", on_delete=models.CASCADE, related_name="checks"
    )
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "item"], name="builditemcheck_unique")
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} ticked {self.item_id}"


class LearningPlan(models.Model):
    """A learner's start date for the recommended path (progress/plan.py lays it out)."""

    class StudyDays(models.TextChoices):
        # Monday to Friday turns the path's 53 study days into the seed's "~11 weeks".
        WEEKDAYS = "weekdays", "Monday to Friday"
        EVERY_DAY = "daily", "Every day"

    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_plan"
    )
    start_date = models.DateField()
    study_days = models.CharField(
        max_length=8, choices=StudyDays.choices, default=StudyDays.WEEKDAYS
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(study_days__in=["weekdays", "daily"]),
                name="learningplan_study_days_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} from {self.start_date} ({self.study_days})"


class XPEntry(models.Model):
    """One award. ``reason`` is a stable key such as ``challenge:tokenizer:pass``."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="xp_entries"
    )
    reason = models.CharField(max_length=120)
    amount = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "reason"], name="xpentry_unique_reason")
        ]

    def __str__(self) -> str:
        return f"{self.amount} XP for {self.reason}"
