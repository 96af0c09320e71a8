from __future__ import annotations

from django.contrib import admin
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from grading import tasks
from grading.models import CheckResult, Submission


class CheckResultInline(admin.TabularInline):
    model = CheckResult
    extra = 0
    can_delete = False
    fields = (
        "position",
        "name",
        "status",
        "message",
        "elapsed_ms",
        "video_youtube_id",
        "card_number",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "learner",
        "challenge",
        "status",
        "attempts",
        "xp_awarded",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "challenge")
    search_fields = ("learner__username", "learner__email")
    list_select_related = ("learner", "challenge")
    date_hierarchy = "created_at"
    inlines = [CheckResultInline]
    # Grading results are evidence: staff read them; only the workflow writes them.
    readonly_fields = (
        "learner",
        "challenge",
        "source",
        "filename",
        "status",
        "message",
        "stdout",
        "result",
        "attempts",
        "xp_awarded",
        "client_token",
        "created_at",
        "enqueued_at",
        "started_at",
        "finished_at",
    )
    exclude = ("original",)
    actions = ["regrade"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Grade again (finished submissions only; XP is never re-awarded)")
    def regrade(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = skipped = 0
        for submission in queryset.finished().select_related("challenge"):
            # Back to queued, conditional on still being finished, then sent on commit.
            try:
                with transaction.atomic():
                    requeued = (
                        Submission.objects.filter(pk=submission.pk)
                        .finished()
                        .update(
                            status=Submission.Status.QUEUED,
                            attempts=0,
                            enqueued_at=None,
                            finished_at=None,
                        )
                    )
            except IntegrityError:  # the learner has another attempt waiting or running
                skipped += 1
                continue
            if requeued:
                tasks.enqueue_on_commit(submission)
                count += 1
        note = f" {skipped} skipped: another attempt is being graded." if skipped else ""
        self.message_user(request, f"{count} submission(s) queued for grading.{note}")
