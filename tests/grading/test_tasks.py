"""grading.tasks: the claim, per-check rows, the verdict and its XP, the sweep, start-up.

The task function is called in-process (STYLE.md) with a fake runner, so these tests are
about the workflow around the runner; test_roundtrip.py runs the real one through a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from accounts.models import User
from curriculum.models import Challenge
from grading import tasks
from grading.models import CheckResult, Submission
from grading.runner import CheckReport, GradeReport
from progress.models import XPEntry

pytestmark = pytest.mark.usefixtures("content")

Status = Submission.Status
MHA = "multi-head-attention"


def challenge(slug: str = MHA) -> Challenge:
    return Challenge.objects.get(slug=slug)


def queued(learner: User, slug: str = MHA, **fields: Any) -> Submission:
    return Submission.objects.create(
        learner=learner, challenge=challenge(slug), source="class X: pass\n", **fields
    )


class FakeRunner:
    """Stands in for grading.runner.run: reports the given checks one by one."""

    def __init__(self, *statuses: str, stdout: str = "") -> None:
        self.statuses = statuses
        self.stdout = stdout
        self.calls: list[tuple[str, str]] = []
        self.rows_seen: list[int] = []  # CheckResult rows visible as each check is reported

    def __call__(
        self, slug: str, source: str, *, on_check: Callable[[CheckReport], None], **_: Any
    ) -> GradeReport:
        self.calls.append((slug, source))
        reports = []
        for i, status in enumerate(self.statuses):
            report = CheckReport(
                name=["wrapper_heads", "wrapper_output_shape", "mha_weight_shapes"][i],
                status=status,  # type: ignore[arg-type]
                message="ok" if status == "pass" else "expected shape (2, 6, 4), got (2, 4, 6)",
                output="got: tensor(...)",
                test_code="what it checks",
                elapsed_s=0.012,
                video="XideUOB2mF8",
                card=16,
            )
            on_check(report)
            self.rows_seen.append(CheckResult.objects.count())
            reports.append(report)
        return GradeReport(
            status=GradeReport.overall_status(reports),
            message="summary",
            checks=reports,
            stdout=self.stdout,
            isolation=("bubblewrap",),
            elapsed_s=0.2,
        )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeRunner]:
    def install(*statuses: str, **kwargs: Any) -> FakeRunner:
        runner = FakeRunner(*statuses, **kwargs)
        monkeypatch.setattr(tasks.runner, "run", runner)
        return runner

    return install


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        tasks.grade_submission,
        "apply_async",
        lambda args, **kw: calls.append((args[0], kw["queue"])),
    )
    return calls


def test_it_grades_once_even_when_the_task_runs_twice(alice: User, fake: Any) -> None:
    runner = fake("pass", "pass")
    submission = queued(alice)
    tasks.grade_submission(submission.pk)
    tasks.grade_submission(submission.pk)  # a duplicate delivery: the claim makes it a no-op
    assert len(runner.calls) == 1
    submission.refresh_from_db()
    assert submission.status == Status.PASS and submission.attempts == 1


def test_it_ignores_a_submission_that_no_longer_exists(fake: Any) -> None:
    runner = fake("pass")
    tasks.grade_submission(999_999)
    assert runner.calls == []


def test_it_writes_each_check_as_it_finishes(alice: User, fake: Any) -> None:
    runner = fake("pass", "fail", "pass")
    submission = queued(alice)
    tasks.grade_submission(submission.pk)
    assert runner.rows_seen == [1, 2, 3]  # committed one by one, visible to the page
    rows = list(CheckResult.objects.filter(submission=submission))
    assert [(r.position, r.name, r.status) for r in rows] == [
        (0, "wrapper_heads", "pass"),
        (1, "wrapper_output_shape", "fail"),
        (5, "mha_weight_shapes", "pass"),  # the challenge's own order, not arrival order
    ]
    failing = rows[1]
    assert failing.message == "expected shape (2, 6, 4), got (2, 4, 6)"
    assert (failing.elapsed_ms, failing.video_youtube_id, failing.card_number) == (
        12,
        "XideUOB2mF8",
        16,
    )


def test_it_records_the_verdict_with_the_exercism_results(alice: User, fake: Any) -> None:
    fake("pass", "fail", stdout="hello from the learner\n")
    submission = queued(alice)
    tasks.grade_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FAIL and submission.message == "summary"
    assert submission.stdout == "hello from the learner\n"
    assert submission.result["version"] == 3 and submission.result["status"] == "fail"
    assert [t["status"] for t in submission.result["tests"]] == ["pass", "fail"]
    assert submission.started_at <= submission.finished_at
    assert submission.xp_awarded == 0 and not XPEntry.objects.exists()


def test_it_awards_the_challenge_xp_once_for_two_passing_submissions(
    alice: User, fake: Any
) -> None:
    fake("pass", "pass")
    first = queued(alice)
    tasks.grade_submission(first.pk)
    second = queued(alice)
    tasks.grade_submission(second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.PASS, Status.PASS)
    entry = XPEntry.objects.get(learner=alice)
    assert entry.reason == f"challenge:{MHA}:pass" and entry.amount == challenge().xp
    assert (first.xp_awarded, second.xp_awarded) == (challenge().xp, 0)


def test_it_awards_xp_per_learner_and_per_challenge(alice: User, bob: User, fake: Any) -> None:
    fake("pass")
    for submission in (queued(alice), queued(bob), queued(alice, "causal-attention")):
        tasks.grade_submission(submission.pk)
    assert XPEntry.objects.count() == 3


def test_it_turns_a_grader_crash_into_an_error_verdict(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> GradeReport:
        raise RuntimeError("bug in a judge")

    monkeypatch.setattr(tasks.runner, "run", broken)
    submission = queued(alice)
    tasks.grade_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.ERROR and "not your code" in submission.message


def test_it_reports_the_soft_time_limit(alice: User, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: Any, **kwargs: Any) -> GradeReport:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tasks.runner, "run", slow)
    submission = queued(alice)
    tasks.grade_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.ERROR
    assert "took longer than 40 s" in submission.message


def test_it_stores_output_with_nul_bytes_and_lone_surrogates(alice: User, fake: Any) -> None:
    fake("pass", stdout="a\x00b \ud800 c")
    submission = queued(alice)
    tasks.grade_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.stdout == "a\ufffdb ? c"
    assert submission.result["stdout"] == "a\ufffdb ? c"


def test_it_drops_the_verdict_of_a_superseded_attempt(alice: User, fake: Any) -> None:
    fake("pass")
    submission = tasks.claim(queued(alice).pk)
    assert submission is not None
    # Meanwhile the sweep gave it to another worker (attempt 2).
    Submission.objects.filter(pk=submission.pk).update(attempts=2)
    report = GradeReport(status="pass", message="late", checks=())
    assert tasks.record_verdict(submission=submission, report=report) is False
    submission.refresh_from_db()
    assert submission.status == Status.RUNNING and not XPEntry.objects.exists()


def test_it_backfills_checks_the_live_callback_missed(alice: User) -> None:
    submission = tasks.claim(queued(alice).pk)
    assert submission is not None
    check = CheckReport(name="wrapper_heads", status="pass", message="ok")
    tasks.record_verdict(submission=submission, report=GradeReport("pass", "ok", checks=[check]))
    assert list(submission.checks.values_list("name", "status")) == [("wrapper_heads", "pass")]


def test_it_reclaims_a_stale_running_submission_and_drops_its_partial_checks(
    alice: User, fake: Any
) -> None:
    runner = fake("pass")
    long_ago = timezone.now() - timedelta(seconds=120)
    submission = queued(alice, status=Status.RUNNING, attempts=1, started_at=long_ago)
    CheckResult.objects.create(submission=submission, position=0, name="old", status="error")
    tasks.grade_submission(submission.pk)  # the broker re-delivered it (acks_late)
    submission.refresh_from_db()
    assert len(runner.calls) == 1 and submission.attempts == 2
    assert list(submission.checks.values_list("name", flat=True)) == ["wrapper_heads"]


def test_it_leaves_a_running_submission_to_its_worker(alice: User, fake: Any) -> None:
    runner = fake("pass")
    submission = queued(alice, status=Status.RUNNING, attempts=1, started_at=timezone.now())
    tasks.grade_submission(submission.pk)
    assert runner.calls == []


def test_it_gives_each_challenge_time_limits_just_above_its_sandbox_budget(
    settings: Any,
) -> None:
    assert tasks.time_limits(MHA) == (40, 50)  # 20 s wall clock + 5 s grace + 15 s margin
    assert tasks.time_limits("training") == (80, 90)  # 60 s wall clock
    assert tasks.time_limits("no-such-challenge") == (80, 90)  # the ceilings
    settings.GRADING_TASK_SOFT_TIME_LIMIT, settings.GRADING_TASK_TIME_LIMIT = 30, 45
    assert tasks.time_limits("training") == (30, 45)


# --- the sweep ----------------------------------------------------------------------------


def test_the_sweep_sends_queued_submissions_the_broker_never_accepted(
    alice: User, bob: User, sent: list[Any]
) -> None:
    old = timezone.now() - timedelta(seconds=30)
    missed = queued(alice)
    Submission.objects.filter(pk=missed.pk).update(created_at=old)
    fresh = queued(bob)  # just submitted: its on-commit send may still be under way
    accepted = queued(alice, "causal-attention", enqueued_at=timezone.now())
    Submission.objects.filter(pk=accepted.pk).update(created_at=old)
    counts = tasks.sweep_submissions()
    assert sent == [(missed.pk, "grading-cpu")]
    assert counts == {"resent": 1, "requeued": 0, "failed": 0}
    missed.refresh_from_db()
    assert missed.enqueued_at is not None and missed.status == Status.QUEUED
    assert fresh.pk and accepted.pk  # untouched


def test_the_sweep_resends_a_queued_submission_whose_message_was_lost(
    alice: User, sent: list[Any]
) -> None:
    lost = queued(alice, enqueued_at=timezone.now() - timedelta(seconds=700))
    Submission.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(seconds=700))
    tasks.sweep_submissions()
    assert sent == [(lost.pk, "grading-cpu")]


def test_the_sweep_requeues_a_stuck_submission_with_attempts_left(
    alice: User, sent: list[Any]
) -> None:
    stuck = queued(
        alice, status=Status.RUNNING, attempts=1, started_at=timezone.now() - timedelta(seconds=120)
    )
    counts = tasks.sweep_submissions()
    stuck.refresh_from_db()
    assert stuck.status == Status.QUEUED and stuck.enqueued_at is not None
    assert sent == [(stuck.pk, "grading-cpu")] and counts["requeued"] == 1


def test_the_sweep_gives_up_after_two_attempts_with_a_message(alice: User, sent: list[Any]) -> None:
    stuck = queued(
        alice, status=Status.RUNNING, attempts=2, started_at=timezone.now() - timedelta(seconds=120)
    )
    counts = tasks.sweep_submissions()
    stuck.refresh_from_db()
    assert stuck.status == Status.ERROR and stuck.finished_at is not None
    assert "Grading was interrupted 2 times" in stuck.message
    assert sent == [] and counts["failed"] == 1


def test_the_sweep_leaves_submissions_being_graded_alone(alice: User, sent: list[Any]) -> None:
    busy = queued(alice, status=Status.RUNNING, attempts=1, started_at=timezone.now())
    assert tasks.sweep_submissions() == {"resent": 0, "requeued": 0, "failed": 0}
    busy.refresh_from_db()
    assert busy.status == Status.RUNNING and sent == []


def test_a_requeued_submission_is_graded_on_its_second_attempt(
    alice: User, fake: Any, sent: list[Any]
) -> None:
    fake("pass")
    stuck = queued(
        alice, status=Status.RUNNING, attempts=1, started_at=timezone.now() - timedelta(seconds=120)
    )
    tasks.sweep_submissions()
    tasks.grade_submission(stuck.pk)
    stuck.refresh_from_db()
    assert stuck.status == Status.PASS and stuck.attempts == 2


# --- worker start-up ----------------------------------------------------------------------


def test_it_logs_the_isolation_layers_at_worker_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(tasks.runner, "isolation_layers", lambda: ["bubblewrap 0.8", "seccomp"])
    with caplog.at_level(logging.INFO, logger="grading.tasks"):
        assert tasks.warm_sandbox() == ["bubblewrap 0.8", "seccomp"]
    assert "isolation layers:\n  - bubblewrap 0.8\n  - seccomp" in caplog.text


def test_it_says_loudly_when_the_sandbox_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(
        tasks.runner, "isolation_layers", lambda: ["sandbox unavailable: bwrap missing"]
    )
    with caplog.at_level(logging.INFO, logger="grading.tasks"):
        tasks.warm_sandbox()
    assert any(r.levelno == logging.ERROR and "UNAVAILABLE" in r.message for r in caplog.records)


# --- the admin's "grade again" action -------------------------------------------------------


def test_the_admin_can_grade_finished_submissions_again(
    alice: User,
    bob: User,
    staff: User,
    sent: list[Any],
    fake: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from django.test import Client
    from django.urls import reverse

    from tests.factories import PASSWORD

    fake("pass")
    done = queued(alice, status=Status.ERROR, attempts=1, finished_at=timezone.now())
    busy = queued(bob)  # still queued: not touched
    client = Client()
    client.login(username=staff.username, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:grading_submission_changelist"),
            {"action": "regrade", "_selected_action": [done.pk, busy.pk]},
        )
    assert response.status_code == 302
    change = client.get(reverse("admin:grading_submission_change", args=[done.pk]))
    assert change.status_code == 200
    done.refresh_from_db()
    assert (done.status, done.attempts, done.finished_at) == (Status.QUEUED, 0, None)
    assert sent == [(done.pk, "grading-cpu")]
    tasks.grade_submission(done.pk)
    done.refresh_from_db()
    assert done.status == Status.PASS
