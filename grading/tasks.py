"""Grading on the worker: the grading task, the sweep that keeps nothing lost or stuck, and
the helpers both use (enqueue, claim, record).

Dependencies run one way (STYLE.md): ``submissions`` → ``tasks`` → ``runner``. So the
functions the task needs around the runner (claim, record a check, record the verdict) live
here, and ``submissions.submit`` calls ``enqueue_on_commit`` from here.

The database row is the status; task results are ignored (``task_ignore_result``).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from grading import runner
from grading.challenges import get_spec, gradable_slugs
from grading.models import CheckResult, Submission
from grading.runner import CheckReport, GradeReport, Limits
from progress import freshness, xp

log = logging.getLogger("grading.tasks")

Status = Submission.Status

# Publishing must not hang a web request when Redis is down: one quick retry, then the
# submission stays `queued` with no `enqueued_at` and the sweep sends it later.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# Over the runner's own deadline: a sandbox restart (~5 s) and the database writes.
RESTART_MARGIN_S = 15
HARD_AFTER_SOFT_S = 10

GRADER_FAILED = (
    "The grader itself failed while grading this submission (not your code). "
    "Please submit again; if it keeps happening, tell your instructor."
)


# --- enqueueing ---------------------------------------------------------------------------


def queue_for(slug: str) -> str:
    """GPU hosts consume ``grading-gpu``; which challenges need one is a setting."""
    return "grading-gpu" if slug in settings.GRADING_GPU_CHALLENGES else "grading-cpu"


def time_limits(slug: str) -> tuple[int, int]:
    """(soft, hard) seconds for grading one submission of ``slug``: just above the runner's
    own deadline for the challenge (its wall clock plus grace), with room for a sandbox
    restart; never above the settings' ceilings, which the sweep relies on."""
    ceiling = (settings.GRADING_TASK_SOFT_TIME_LIMIT, settings.GRADING_TASK_TIME_LIMIT)
    spec = get_spec(slug)
    if spec is None:
        return ceiling
    soft = math.ceil(spec.wall_s + Limits.from_env().grace_s + RESTART_MARGIN_S)
    return min(soft, ceiling[0]), min(soft + HARD_AFTER_SOFT_S, ceiling[1])


def enqueue(submission_id: int, *, slug: str) -> bool:
    """Send the grading task now; on success stamp ``enqueued_at``. Never raises.

    Returns False when the broker refused or could not be reached: the row stays `queued`
    without ``enqueued_at`` and ``sweep_submissions`` sends it again.
    """
    soft, hard = time_limits(slug)
    try:
        grade_submission.apply_async(
            (submission_id,),
            queue=queue_for(slug),
            soft_time_limit=soft,
            time_limit=hard,
            retry=True,
            retry_policy=_PUBLISH_RETRY,
        )
    except Exception:  # kombu's OperationalError, redis' ConnectionError, DNS, …
        log.warning(
            "broker unavailable: submission %s stays queued for the sweep",
            submission_id,
            exc_info=True,
        )
        return False
    Submission.objects.filter(pk=submission_id).update(enqueued_at=timezone.now())
    return True


def enqueue_on_commit(submission: Submission) -> None:
    """``grade_submission.delay_on_commit`` that survives a broker outage (see ``enqueue``)."""
    transaction.on_commit(partial(enqueue, submission.pk, slug=submission.challenge.slug))


# --- the task ------------------------------------------------------------------------------


# The decorator's limits are the ceilings; ``enqueue`` sends each task its challenge's own.
@shared_task(
    acks_late=True,
    soft_time_limit=settings.GRADING_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.GRADING_TASK_TIME_LIMIT,
)
def grade_submission(submission_id: int) -> None:
    submission = claim(submission_id)
    if submission is None:
        return  # already graded, being graded, or gone: a duplicate delivery
    report = grade(submission)
    record_verdict(submission=submission, report=report)


def claim(submission_id: int) -> Submission | None:
    """Take the submission for grading with a conditional UPDATE; None if someone else has it.

    `queued` rows are claimed; so are `running` rows whose grading began longer ago than the
    task's hard limit (the worker that had it died and the broker re-delivered the message)
    while they have attempts left. Check rows of an interrupted attempt are dropped.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.GRADING_TASK_TIME_LIMIT)
    with transaction.atomic():
        claimed = (
            Submission.objects.filter(pk=submission_id)
            .filter(
                Q(status=Status.QUEUED)
                | Q(
                    status=Status.RUNNING,
                    started_at__lt=stale,
                    attempts__lt=settings.GRADING_MAX_ATTEMPTS,
                )
            )
            .update(status=Status.RUNNING, attempts=F("attempts") + 1, started_at=now)
        )
        if not claimed:
            return None
        CheckResult.objects.filter(submission_id=submission_id).delete()
        # The learner's cached pages and their cohorts' overviews (attempts, checks).
        freshness.touch_ids(Submission.objects.filter(pk=submission_id).values("learner_id"))
    return (
        Submission.objects.select_related("challenge", "learner")
        .defer("original")
        .get(pk=submission_id)
    )


class CheckWriter:
    """The runner's ``on_check``: one CheckResult row per finished check, committed at once
    (autocommit) so the polling page shows results one by one.

    Rows are positioned in the challenge's check order, whatever order they finish in.
    """

    def __init__(self, submission: Submission, order: list[str]):
        self.submission = submission
        self.order = {name: i for i, name in enumerate(order)}
        self.written: set[int] = set()

    def position(self, name: str) -> int:
        wanted = self.order.get(name)
        if wanted is not None and wanted not in self.written:
            return wanted
        # An unknown or repeated name goes after every check the spec knows.
        return max([len(self.order) - 1, *self.written]) + 1

    def __call__(self, report: CheckReport) -> None:
        position = self.position(report.name)
        try:
            CheckResult.objects.create(
                submission=self.submission, position=position, **check_fields(report)
            )
        except IntegrityError:
            # A superseded attempt still writing: the current one owns these rows.
            log.warning(
                "check %r of submission %s already recorded", report.name, self.submission.pk
            )
        self.written.add(position)


def storable(value: Any) -> Any:
    """``value`` with every string made storable by PostgreSQL: text and jsonb refuse NUL
    characters, and UTF-8 refuses lone surrogates; a learner's output may hold either."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def check_fields(report: CheckReport) -> dict[str, Any]:
    return {
        "name": storable(report.name[:160]),
        "status": report.status,
        "message": storable(report.message),
        "output": storable(report.output),
        "test_code": storable(report.test_code),
        "elapsed_ms": max(0, round(report.elapsed_s * 1000)),
        "video_youtube_id": (report.video or "")[:32],
        "card_number": report.card,
    }


def grade(submission: Submission) -> GradeReport:
    """Run the real runner on the submission; a grader failure becomes an `error` report."""
    slug = submission.challenge.slug
    spec = get_spec(slug)
    writer = CheckWriter(submission, [c.name for c in spec.checks] if spec else [])
    try:
        return runner.run(slug, submission.source, on_check=writer)
    except SoftTimeLimitExceeded:
        log.error("submission %s: grading hit the task's soft time limit", submission.pk)
        return GradeReport(
            status="error",
            message=(
                f"Grading took longer than {time_limits(slug)[0]} s and was stopped. Look "
                "for an infinite loop or a very slow computation."
            ),
        )
    except Exception:
        log.exception("grader error on submission %s", submission.pk)
        return GradeReport(status="error", message=GRADER_FAILED)


@transaction.atomic
def record_verdict(*, submission: Submission, report: GradeReport) -> bool:
    """Store the verdict and, on the challenge's first pass, award its XP in the same
    transaction. Returns False when this attempt was superseded (nothing written).
    """
    done = Submission.objects.filter(
        pk=submission.pk, status=Status.RUNNING, attempts=submission.attempts
    ).update(
        status=report.status,
        message=storable(report.message),
        stdout=storable(report.stdout),
        result=storable(report.to_exercism()),
        finished_at=timezone.now(),
    )
    if not done:
        log.warning(
            "submission %s: attempt %s was superseded; verdict dropped",
            submission.pk,
            submission.attempts,
        )
        return False
    _backfill_checks(submission, report)
    if report.status == Status.PASS:
        challenge = submission.challenge
        # The XP ledger's unique (learner, reason) is the invariant: a second pass, or two
        # passes graded at once, cannot award twice; `award` returns None for the loser.
        entry = xp.award(
            learner=submission.learner,
            reason=xp.challenge_pass_reason(challenge.slug),
            amount=challenge.xp,
        )
        if entry is not None:
            Submission.objects.filter(pk=submission.pk).update(xp_awarded=entry.amount)
    # The verdict shows in the cohort overview (a pass also in the learner's pages, which the
    # award above has touched already; one bump more is cheaper than reasoning about it).
    freshness.touch(learner=submission.learner)
    return True


def _backfill_checks(submission: Submission, report: GradeReport) -> None:
    """Write check rows the live callback missed (it failed, or the runner never called it)."""
    have = set(CheckResult.objects.filter(submission=submission).values_list("name", flat=True))
    missing = [c for c in report.checks if c.name not in have]
    if not missing:
        return
    writer = CheckWriter(submission, [c.name for c in report.checks])
    writer.written = set(
        CheckResult.objects.filter(submission=submission).values_list("position", flat=True)
    )
    for check in missing:
        writer(check)


# --- the sweep (Celery beat: settings.CELERY_BEAT_SCHEDULE) ---------------------------------


@shared_task
def sweep_submissions() -> dict[str, int]:
    """Nothing lost, nothing stuck.

    - `queued`, never accepted by the broker (it was down at submit) for
      GRADING_RESEND_AFTER_S, or accepted but still waiting after GRADING_LOST_AFTER_S (the
      message was lost): send again. A duplicate message is harmless: the claim is
      conditional.
    - `running` past the task's hard limit: the worker died mid-grade. With attempts left,
      back to `queued` and sent again; otherwise `error` with a message.
    """
    now = timezone.now()
    counts = {"resent": 0, "requeued": 0, "failed": 0}
    resend = Submission.objects.filter(status=Status.QUEUED).filter(
        Q(
            enqueued_at__isnull=True,
            created_at__lt=now - timedelta(seconds=settings.GRADING_RESEND_AFTER_S),
        )
        | Q(enqueued_at__lt=now - timedelta(seconds=settings.GRADING_LOST_AFTER_S))
    )
    for pk, slug in resend.values_list("pk", "challenge__slug"):
        counts["resent"] += enqueue(pk, slug=slug)

    stuck = Submission.objects.filter(
        status=Status.RUNNING,
        started_at__lt=now - timedelta(seconds=settings.GRADING_TASK_TIME_LIMIT),
    )
    given_up = stuck.filter(attempts__gte=settings.GRADING_MAX_ATTEMPTS)
    learners = list(given_up.values_list("learner_id", flat=True))
    counts["failed"] = given_up.update(
        status=Status.ERROR,
        message=interrupted_message(settings.GRADING_MAX_ATTEMPTS),
        finished_at=now,
    )
    freshness.touch_ids(learners)  # an error verdict counts as a failed attempt
    for pk, slug, attempts, learner_id in stuck.values_list(
        "pk", "challenge__slug", "attempts", "learner_id"
    ):
        # Conditional on the attempt we saw: a worker that claims it meanwhile wins.
        if Submission.objects.filter(pk=pk, status=Status.RUNNING, attempts=attempts).update(
            status=Status.QUEUED, enqueued_at=None
        ):
            freshness.touch_ids([learner_id])
            counts["requeued"] += 1
            enqueue(pk, slug=slug)
    if any(counts.values()):
        log.info("sweep: %(resent)s re-sent, %(requeued)s re-queued, %(failed)s failed", counts)
    return counts


def interrupted_message(attempts: int) -> str:
    return (
        f"Grading was interrupted {attempts} times (the grading worker stopped while running "
        "this submission), so it was not graded. If your code starts very long or "
        'system-heavy work at import time, move it under `if __name__ == "__main__":`, '
        "then submit again."
    )


# --- worker start-up (infrastructure only: the one allowed use of signals) ------------------


def warm_sandbox(log_layers: Callable[[list[str]], None] | None = None) -> list[str]:
    """Start this worker process's sandbox now and log which isolation layers hold.

    Also imports every challenge's checks and reference implementations (torch, on the
    trusted side), which would otherwise make the first submission seconds slower.
    """
    slugs = gradable_slugs()
    layers = runner.isolation_layers()
    if any(layer.startswith("sandbox unavailable") for layer in layers):
        log.error(
            "grading sandbox UNAVAILABLE, submissions will get an error verdict: %s",
            "; ".join(layers),
        )
    else:
        log.info(
            "grading sandbox warm for %s; isolation layers:\n  - %s",
            ", ".join(slugs),
            "\n  - ".join(layers),
        )
    if log_layers is not None:
        log_layers(layers)
    return layers


@worker_process_init.connect
def _warm_sandbox_at_start(**_: object) -> None:
    # In a thread: prefork gives a child a few seconds to report that it is up, and starting
    # the sandbox (torch import, self-test) takes longer. A task that arrives meanwhile
    # waits on the pool's lock and finds it warm.
    threading.Thread(target=warm_sandbox, name="grading-warm-sandbox", daemon=True).start()
