from __future__ import annotations

from django.conf import settings
from django.db import models


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def for_learner(self, learner: object) -> SubmissionQuerySet:
        return self.filter(learner=learner)


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        PASS = "pass", "Passed"
        FAIL = "fail", "Failed"
        ERROR = "error", "Error"

    FINISHED = (Status.PASS, Status.FAIL, Status.ERROR)

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    challenge = models.ForeignKey(
        "curriculum.Challenge", on_delete=models.PROTECT, related_name="submissions"
    )
    source = models.TextField()
    filename = models.CharField(max_length=120, default="solution.py")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    message = models.TextField(blank=True)
    stdout = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)  # Exercism v3 results.json
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The challenge page and the cohort overview list a learner's attempts per challenge.
            models.Index(fields=["learner", "challenge", "-created_at"], name="sub_learner_chal"),
            # The sweep looks for stuck queued/running rows.
            models.Index(fields=["status", "created_at"], name="sub_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "pass", "fail", "error"]),
                name="submission_status_valid",
            )
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class CheckResult(models.Model):
    class Status(models.TextChoices):
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"
        ERROR = "error", "Error"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="checks")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=160)
    status = models.CharField(max_length=8, choices=Status.choices)
    message = models.TextField(blank=True)
    output = models.TextField(blank=True)
    test_code = models.TextField(blank=True)
    elapsed_ms = models.PositiveIntegerField(default=0)
    video_youtube_id = models.CharField(max_length=32, blank=True)
    card_number = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "position"], name="checkresult_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pass", "fail", "error"]),
                name="checkresult_status_valid",
            ),
        ]
