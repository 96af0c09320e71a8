"""cohorts:overview and cohorts/overview.py — the instructor's learners × challenges grid."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts import overview
from cohorts.models import Cohort
from curriculum.models import Card, Challenge
from flashcards.models import LEARNING, REVIEW, ReviewLog
from grading.models import CheckResult, Submission
from progress.models import XPEntry

_tokens = itertools.count()


def submit(
    learner: User,
    challenge: Challenge,
    status: str,
    *,
    at: datetime | None = None,
    failing: tuple[str, ...] = (),
) -> Submission:
    """A finished submission (rows written directly: test data, not the grading flow)."""
    submission = Submission.objects.create(
        learner=learner, challenge=challenge, source="print('hi')\n", status=status
    )
    if at is not None:
        Submission.objects.filter(pk=submission.pk).update(created_at=at)
        submission.refresh_from_db()
    for position, name in enumerate(failing):
        CheckResult.objects.create(
            submission=submission, position=position, name=name, status="fail"
        )
    return submission


def review(
    learner: User, *, rating: int, state_before: int | None = REVIEW, at: datetime | None = None
) -> ReviewLog:
    return ReviewLog.objects.create(
        learner=learner,
        card=Card.objects.order_by("number").first(),
        rating=rating,
        token=f"t{next(_tokens)}",
        reviewed_at=at or timezone.now(),
        state_before=state_before,
        interval_before_days=5 if state_before == REVIEW else None,
        interval_seconds=86400,
    )


def challenges() -> list[Challenge]:
    return list(Challenge.objects.current().order_by("number"))


def url(cohort: Cohort, **params: object) -> str:
    base = reverse("cohorts:overview", args=[cohort.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


pytestmark = pytest.mark.usefixtures("content")


def test_it_builds_cells_summaries_and_retention(
    carol: User, alice: User, bob: User, cohort_a: Cohort
) -> None:
    first, second = challenges()[:2]
    now = timezone.now()
    submit(alice, first, "fail", failing=("test_shape",))
    submit(alice, first, "pass")
    for _ in range(5):
        submit(bob, first, "fail", failing=("test_shape", "test_dtype"))
    submit(bob, second, "error", failing=("test_dtype",))
    review(alice, rating=3)
    review(alice, rating=1)
    review(alice, rating=1, state_before=LEARNING)  # learning steps don't count
    XPEntry.objects.create(learner=alice, reason="challenge:x:pass", amount=40)

    data = overview.build(cohort=cohort_a, now=now)

    assert len(data.challenges) == 14
    rows = {row.user.username: row for row in data.rows}
    assert set(rows) == {"alice", "bob"}  # carol teaches: not a row
    a, b = rows["alice"], rows["bob"]
    assert a.cells[0].status == overview.PASSED and a.cells[0].attempts == 2
    assert a.cells[0].passed_at is not None
    assert a.cells[1].status == overview.NOT_STARTED
    assert b.cells[0].status == overview.ATTEMPTED and b.cells[0].is_stuck
    assert b.is_stuck and not a.is_stuck
    assert b.stuck_on == [first]
    assert (a.reviews, a.retention_passed, a.retention_total) == (3, 1, 2)
    assert a.retention_percent == 50
    assert b.retention is None
    assert a.xp == 40 and b.xp == 0
    summary = data.summaries[0]
    assert (summary.attempted, summary.passed, summary.pass_rate_percent) == (2, 1, 50)
    assert summary.median_attempts == 3.5
    assert summary.failing_checks == [("test_shape", 6), ("test_dtype", 5)]
    assert data.summaries[1].failing_checks == [("test_dtype", 1)]
    assert data.summaries[2].pass_rate_percent is None


def test_it_flags_quiet_learners_by_their_last_activity(
    carol: User, alice: User, bob: User, cohort_a: Cohort
) -> None:
    now = timezone.now()
    review(alice, rating=3, at=now - timedelta(days=10))
    submit(bob, challenges()[0], "fail", at=now - timedelta(days=2))
    alice.memberships.update(joined_at=now - timedelta(days=30))

    data = overview.build(cohort=cohort_a, now=now, quiet_days=7)
    rows = {row.user.username: row for row in data.rows}
    assert rows["alice"].is_quiet and not rows["bob"].is_quiet
    assert rows["bob"].last_activity is not None
    assert overview.build(cohort=cohort_a, now=now, quiet_days=14).quiet_count == 0


def test_it_does_not_flag_a_new_joiner_without_activity_as_quiet(
    alice: User, cohort_a: Cohort
) -> None:
    assert not overview.build(cohort=cohort_a, now=timezone.now()).rows[0].is_quiet


def test_it_sorts_by_name_progress_and_activity(
    carol: User, alice: User, bob: User, cohort_a: Cohort
) -> None:
    now = timezone.now()
    submit(bob, challenges()[0], "pass", at=now - timedelta(days=1))
    review(alice, rating=3, at=now - timedelta(days=3))
    data = overview.build(cohort=cohort_a, now=now)

    def names(sort: str) -> list[str]:
        return [row.user.username for row in data.arranged(sort=sort)]

    assert names("name") == ["alice", "bob"]
    assert names("progress") == ["bob", "alice"]
    assert names("activity") == ["alice", "bob"]  # quietest first


def test_it_shows_the_grid_to_the_cohorts_instructor(
    client: Client, carol: User, alice: User, bob: User, cohort_a: Cohort
) -> None:
    for _ in range(5):
        submit(bob, challenges()[0], "fail", failing=("test_shape",))
    client.force_login(carol)

    response = client.get(url(cohort_a))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="overview-grid"' in page
    assert 'data-learner="alice"' in page and 'data-learner="bob"' in page
    assert "cell-stuck" in page
    assert "test_shape" in page  # the failing checks table
    assert reverse("cohorts:learner", args=[cohort_a.pk, alice.pk]) in page
    assert "<html" in page


def test_it_filters_to_stuck_learners(
    client: Client, carol: User, alice: User, bob: User, cohort_a: Cohort
) -> None:
    for _ in range(5):
        submit(bob, challenges()[0], "fail")
    client.force_login(carol)

    page = client.get(url(cohort_a, show="stuck")).content.decode()

    assert 'data-learner="bob"' in page
    assert 'data-learner="alice"' not in page


def test_it_says_when_no_learner_matches_the_filter(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    page = client.get(url(cohort_a, show="stuck")).content.decode()

    assert "No stuck learners right now." in page


def test_it_renders_only_the_grid_for_htmx(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    response = client.get(url(cohort_a, sort="progress"), headers={"HX-Request": "true"})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="card overview" id="overview-grid"')
    assert "<html" not in page and "failing-checks" not in page
    assert '<option value="progress" selected>' in page


def test_it_reports_bad_parameters_and_falls_back_to_defaults(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    response = client.get(url(cohort_a, quiet_days="abc", sort="nope", show="stuck"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "“Quiet after” must be a whole number of days." in page
    assert "Select a valid choice" in page
    assert 'name="quiet_days" value="7"' in page
    assert "No stuck learners right now." in page  # the valid filter still applies


def test_it_rejects_post(client: Client, carol: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    assert client.post(url(cohort_a)).status_code == 405


def test_it_links_instructors_to_it_from_the_cohort_page(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    page = client.get(reverse("cohorts:detail", args=[cohort_a.pk])).content.decode()

    assert url(cohort_a) in page
    assert reverse("cohorts:overview-csv", args=[cohort_a.pk]) in page


def test_it_does_not_link_learners_to_it(client: Client, alice: User, cohort_a: Cohort) -> None:
    client.force_login(alice)

    page = client.get(reverse("cohorts:detail", args=[cohort_a.pk])).content.decode()

    assert url(cohort_a) not in page


def test_it_links_the_csv_export_to_the_current_filter(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    page = client.get(url(cohort_a, show="quiet", sort="activity"), headers={"HX-Request": "true"})

    csv_url = reverse("cohorts:overview-csv", args=[cohort_a.pk])
    assert f"{csv_url}?sort=activity&amp;show=quiet&amp;quiet_days=7" in page.content.decode()
