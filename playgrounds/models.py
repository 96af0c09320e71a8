from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

ACTIVE_STATUSES = ("queued", "running")


class PlaygroundRun(models.Model):
    """One computation a playground page asked a worker for (playgrounds/jobs.py).

    Owned by a signed-in user or, for a visitor, by their session: the status endpoint
    answers only its owner. ``key`` identifies the kind and parameters, so an identical
    finished computation can be answered from its stored result.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="playground_runs",
    )
    session_key = models.CharField(max_length=40, blank=True, default="")
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)  # 0..1
    stage = models.CharField(max_length=200, blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["kind", "key", "status"], name="run_kind_key_status"),
            models.Index(fields=["owner", "status"], name="run_owner_status"),
            models.Index(fields=["session_key", "status"], name="run_session_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status not in ACTIVE_STATUSES
