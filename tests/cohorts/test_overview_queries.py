"""The overview and the drill-down cost a constant number of queries, whatever the
cohort's size (measured at 5 and 40 learners with submissions, checks, reviews and XP)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts import overview
from cohorts.models import Cohort
from progress.models import XPEntry
from tests.cohorts.test_overview import challenges, review, submit
from tests.factories import join, make_user

pytestmark = pytest.mark.usefixtures("content")

# overview.build: learners with their XP, challenges, submissions, failing checks, reviews.
BUILD_QUERIES = 5


def grow(cohort: Cohort, size: int) -> list[User]:
    """Add learners until the cohort has `size`, each with some work of every kind."""
    first, second = challenges()[:2]
    learners = []
    for index in range(cohort.memberships.learners().count(), size):
        learner = make_user(f"learner{index:03d}")
        join(cohort, learner)
        submit(learner, first, "fail", failing=("test_shape",))
        submit(learner, first if index % 2 else second, "pass")
        review(learner, rating=3)
        XPEntry.objects.create(learner=learner, reason=f"challenge:{first.slug}:pass", amount=10)
        learners.append(learner)
    return learners


def count(client: Client, url: str, **headers: str) -> int:
    """The queries of a request whose pages are computed, not served by the page cache."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("size", [5, 40])
def test_it_builds_the_overview_in_a_fixed_number_of_queries(
    django_assert_num_queries: object, cohort_a: Cohort, size: int
) -> None:
    grow(cohort_a, size)

    with django_assert_num_queries(BUILD_QUERIES):  # type: ignore[operator]
        data = overview.build(cohort=cohort_a, now=timezone.now())
    assert len(data.rows) == size


@pytest.mark.parametrize("size", [5, 40])
def test_it_serves_the_overview_grid_in_at_most_ten_queries(
    django_assert_max_num_queries: object, client: Client, carol: User, cohort_a: Cohort, size: int
) -> None:
    grow(cohort_a, size)
    client.force_login(carol)
    url = reverse("cohorts:overview", args=[cohort_a.pk]) + "?sort=progress"

    # The htmx render is the whole response of the overview itself: session, user,
    # cohort access and the build — no nav.
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.content.decode().count('class="learner-row') == size


def test_it_does_not_grow_the_full_pages_with_the_cohort(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    overview_url = reverse("cohorts:overview", args=[cohort_a.pk])
    csv_url = reverse("cohorts:overview-csv", args=[cohort_a.pk])
    client.force_login(carol)
    learners = grow(cohort_a, 5)
    small = [
        count(client, overview_url),
        count(client, csv_url),
        count(client, reverse("cohorts:learner", args=[cohort_a.pk, learners[0].pk])),
    ]
    grow(cohort_a, 40)
    large = [
        count(client, overview_url),
        count(client, csv_url),
        count(client, reverse("cohorts:learner", args=[cohort_a.pk, learners[0].pk])),
    ]
    assert small == large
    assert large[1] <= 10  # the CSV has no nav


@pytest.mark.parametrize("size", [5, 40])
def test_it_serves_the_drill_down_in_a_fixed_number_of_queries(
    django_assert_max_num_queries: object, client: Client, carol: User, cohort_a: Cohort, size: int
) -> None:
    learner = grow(cohort_a, size)[0]
    client.force_login(carol)
    url = reverse("cohorts:learner", args=[cohort_a.pk, learner.pk])

    # session, user, cohort access, the learner's row (4), submissions + checks, retention.
    with django_assert_max_num_queries(11):  # type: ignore[operator]
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200


def test_it_does_not_grow_a_learners_own_dashboard_with_the_cohort(
    client: Client, cohort_a: Cohort
) -> None:
    learner = grow(cohort_a, 5)[0]
    client.force_login(learner)
    small = count(client, reverse("progress:dashboard"))
    grow(cohort_a, 40)
    assert count(client, reverse("progress:dashboard")) == small


def test_it_pages_a_large_grid_after_sorting(client: Client, carol: User, cohort_a: Cohort) -> None:
    grow(cohort_a, 60)
    client.force_login(carol)
    url = reverse("cohorts:overview", args=[cohort_a.pk])

    first = client.get(url).content.decode()
    second = client.get(url + "?sort=name&page=2", headers={"HX-Request": "true"}).content.decode()
    clamped = client.get(url + "?page=99").content.decode()
    bad = client.get(url + "?page=0").content.decode()

    assert first.count('class="learner-row') == 50
    assert "Learners 1–50 of 60" in first and 'rel="next"' in first
    assert second.count('class="learner-row') == 10
    assert 'data-learner="learner059"' in second and 'data-learner="learner000"' not in second
    assert "Learners 51–60 of 60" in clamped
    assert "Pages start at 1." in bad and "Learners 1–50 of 60" in bad
