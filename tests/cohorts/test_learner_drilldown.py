"""cohorts:learner — one learner's progress, submissions and reviews, for instructors."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort
from tests.cohorts.test_overview import challenges, review, submit

pytestmark = pytest.mark.usefixtures("content")


def url(cohort: Cohort, learner: User) -> str:
    return reverse("cohorts:learner", args=[cohort.pk, learner.pk])


def test_it_shows_progress_submissions_and_reviews(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    first = challenges()[0]
    submission = submit(alice, first, "fail", failing=("test_shape_matches",))
    submission.source = "def attention(q, k, v):\n    return q @ k.T  # <b>not html</b>\n"
    submission.save()
    submit(alice, first, "pass")
    review(alice, rating=3)
    client.force_login(carol)

    response = client.get(url(cohort_a, alice))

    assert response.status_code == 200
    page = response.content.decode()
    assert "alice@example.com" in page
    assert "return q @ k.T  # &lt;b&gt;not html&lt;/b&gt;" in page  # escaped, read-only
    assert "test_shape_matches" in page
    assert f'id="submission-{submission.pk}"' in page
    assert "Last 30 days" in page  # the retention table from flashcards.stats
    assert "<textarea" not in page and "<form" not in page.split('id="learner-detail"')[1]
    assert "<html" in page


def test_it_renders_only_the_detail_for_htmx(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    response = client.get(url(cohort_a, alice), headers={"HX-Request": "true"})

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="learner-detail">')
    assert "<html" not in page
    assert "No submissions yet." in page


def test_it_404s_for_a_learner_of_another_cohort(
    client: Client, carol: User, alice: User, dave: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    assert client.get(url(cohort_a, dave)).status_code == 404


def test_it_404s_for_the_cohorts_instructor_as_a_learner(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    assert client.get(url(cohort_a, carol)).status_code == 404


def test_it_404s_for_an_unknown_user(client: Client, carol: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    assert client.get(reverse("cohorts:learner", args=[cohort_a.pk, 999999])).status_code == 404


def test_it_rejects_post(client: Client, carol: User, alice: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    assert client.post(url(cohort_a, alice)).status_code == 405
