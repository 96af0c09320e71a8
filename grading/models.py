from __future__ import annotations

from django.conf import settings
from django.db import models

from curriculum.models import YOUTUBE_ID

ACTIVE_STATUSES = ("queued", "running")


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def for_learner(self, learner: object) -> SubmissionQuerySet:
        return self.filter(learner=learner)

    def active(self) -> SubmissionQuerySet:
        """Not finished yet: waiting for a worker or being graded."""
        return self.filter(status__in=ACTIVE_STATUSES)

    def finished(self) -> SubmissionQuerySet:
        return self.exclude(status__in=ACTIVE_STATUSES)


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
    # Set once the broker accepted the grading task; null means the sweep must send it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The raw upload, kept only when `source` had to differ from it (not UTF-8, NUL bytes,
    # over the size limit): the learner's bytes are never lost, `source` stays displayable.
    original = models.BinaryField(null=True, blank=True, editable=False)
    # One-time token from the form (or the API's Idempotency-Key): a replayed POST finds
    # the submission it already created instead of making a second one.
    client_token = models.CharField(max_length=64, blank=True, default="")
    # XP this submission earned (the challenge's first pass); 0 for every other one.
    xp_awarded = models.PositiveIntegerField(default=0)

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
            ),
            # At most one submission per learner and challenge waiting or being graded: a
            # double click or two tabs cannot queue the same work twice (submissions.submit
            # turns the IntegrityError into its "still being graded" message).
            models.UniqueConstraint(
                fields=["learner", "challenge"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="submission_one_active_per_challenge",
            ),
            models.UniqueConstraint(
                fields=["learner", "client_token"],
                condition=~models.Q(client_token=""),
                name="submission_client_token_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.challenge_id} by {self.learner_id}: {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_active(self) -> bool:
        return not self.is_finished

    @property
    def elapsed_s(self) -> float | None:
        """Seconds from submit to verdict, once there is a verdict."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds()


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

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"

    @property
    def youtube_url(self) -> str:
        if YOUTUBE_ID.match(self.video_youtube_id):
            return f"https://www.youtube.com/watch?v={self.video_youtube_id}"
        return ""
