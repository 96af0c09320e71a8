"""seed_demo — a realistic demo cohort for the overview, fast enough for 500 learners."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from accounts.models import Role, User
from cohorts import overview
from cohorts.models import Cohort
from flashcards.models import REVIEW, ReviewLog
from grading.models import CheckResult, Submission
from progress.models import XPEntry
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("content")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@override_settings(DEBUG=True)
def test_it_creates_a_cohort_with_weeks_of_activity() -> None:
    instructor = make_user("instructor", role=Role.INSTRUCTOR)

    output = seed("--learners", "25", "--weeks", "6")

    cohort = Cohort.objects.get()
    assert "25 learners" in output
    assert cohort.role_of(instructor) == "instructor"
    learners = User.objects.filter(memberships__cohort=cohort, memberships__role="learner")
    assert learners.count() == 25
    submissions = Submission.objects.filter(learner__in=learners)
    assert submissions.filter(status="pass").exists()
    assert submissions.filter(status__in=("fail", "error")).exists()
    assert not submissions.filter(status__in=("queued", "running")).exists()
    oldest = submissions.order_by("created_at").first()
    assert oldest is not None and (timezone.now() - oldest.created_at).days >= 14
    assert CheckResult.objects.filter(submission__in=submissions, status="fail").exists()
    assert ReviewLog.objects.filter(learner__in=learners, state_before=REVIEW).exists()
    # XP matches the passes: one award per first pass, as grading awards it.
    passes = submissions.filter(status="pass").count()
    assert XPEntry.objects.filter(learner__in=learners, reason__endswith=":pass").count() == passes

    data = overview.build(cohort=cohort, now=timezone.now())
    assert len(data.rows) == 25
    assert any(row.retention is not None for row in data.rows)
    assert any(summary.failing_checks for summary in data.summaries)
    assert data.quiet_count > 0  # some learners stopped weeks ago


@override_settings(DEBUG=True)
def test_it_repeats_the_same_data_for_the_same_seed() -> None:
    make_user("instructor", role=Role.INSTRUCTOR)
    seed("--learners", "5", "--seed", "3")
    seed("--learners", "5", "--seed", "3")
    first, second = Cohort.objects.order_by("pk")

    def shape(cohort: Cohort) -> list[int]:
        return [row.passed_count for row in overview.build(cohort=cohort, now=timezone.now()).rows]

    assert shape(first) == shape(second)


@override_settings(DEBUG=True)
def test_it_explains_what_is_missing() -> None:
    with pytest.raises(CommandError, match="seed_demo_users"):
        seed("--learners", "5")
    make_user("instructor", role=Role.INSTRUCTOR)
    with pytest.raises(CommandError, match="between 1 and 5000"):
        seed("--learners", "0")


@override_settings(DEBUG=False)
def test_it_refuses_to_run_with_debug_off() -> None:
    make_user("instructor", role=Role.INSTRUCTOR)
    with pytest.raises(CommandError, match="DEBUG is off"):
        seed("--learners", "5")
    assert not Cohort.objects.exists()
