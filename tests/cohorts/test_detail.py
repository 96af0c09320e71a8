"""cohorts:detail — members only; instructors see roster and code, learners a summary."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from cohorts import membership
from cohorts.models import Cohort
from tests.factories import make_user


def url(cohort: Cohort) -> str:
    return reverse("cohorts:detail", args=[cohort.pk])


def test_it_shows_instructors_the_roster_and_join_code(
    client: Client, carol: User, alice: User, bob: User, cohort_a: Cohort
) -> None:
    alice.first_name, alice.last_name = "Alice", "Liddell"
    alice.save()
    client.force_login(carol)

    response = client.get(url(cohort_a))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Alice Liddell" in page
    assert "bob" in page
    assert alice.memberships.get().joined_at.strftime("%-d %b %Y") in page
    assert cohort_a.display_code in page
    assert f'value="http://testserver/cohorts/join/{cohort_a.join_code}/"' in page
    assert 'data-copy-target="#join-url"' in page
    assert 'id="cohort-overview"' in page  # the placeholder for the later overview


def test_it_shows_learners_the_name_instructors_and_fellow_count(
    client: Client, carol: User, alice: User, bob: User, cohort_a: Cohort
) -> None:
    client.force_login(alice)

    response = client.get(url(cohort_a))

    page = response.content.decode()
    assert "Cohort A" in page
    assert "carol" in page
    assert "1 other learner" in page
    assert "bob" not in page  # learners do not see each other's names
    assert cohort_a.join_code not in page
    assert "cohort-overview" not in page


def test_it_says_when_a_learner_is_alone(client: Client, alice: User, cohort_a: Cohort) -> None:
    client.force_login(alice)

    assert "Just you so far" in client.get(url(cohort_a)).content.decode()


def test_it_hides_a_cohort_from_non_members_with_a_404(
    client: Client, dave: User, erin: User, cohort_a: Cohort, staff: User
) -> None:
    for outsider in (dave, erin, staff):
        client.force_login(outsider)
        assert client.get(url(cohort_a)).status_code == 404


def test_it_answers_404_for_a_tampered_id(client: Client, alice: User, cohort_a: Cohort) -> None:
    client.force_login(alice)

    assert client.get(reverse("cohorts:detail", args=[cohort_a.pk + 1000])).status_code == 404
    assert client.get(f"/cohorts/{cohort_a.pk}x/").status_code == 404


def test_it_refuses_post(client: Client, alice: User, cohort_a: Cohort) -> None:
    client.force_login(alice)

    assert client.post(url(cohort_a)).status_code == 405


def test_it_sends_anonymous_visitors_to_log_in(client: Client, cohort_a: Cohort) -> None:
    response = client.get(url(cohort_a))

    assert response.url == f"{reverse('accounts:login')}?next={url(cohort_a)}"


def test_it_renders_the_full_page_for_htmx(client: Client, carol: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    response = client.get(url(cohort_a), headers={"HX-Request": "true"})

    assert b"<html" in response.content


def test_its_query_count_does_not_grow_with_the_roster(
    client: Client, carol: User, cohort_a: Cohort, django_assert_num_queries: object
) -> None:
    client.force_login(carol)
    membership.join_cohort(learner=make_user("l0"), code=cohort_a.join_code)
    with CaptureQueriesContext(connection) as small:
        client.get(url(cohort_a))
    for n in range(1, 15):
        membership.join_cohort(learner=make_user(f"l{n}"), code=cohort_a.join_code)

    cache.clear()  # the nav's figures as computed, as in the first request
    with django_assert_num_queries(len(small.captured_queries)):  # type: ignore[operator]
        response = client.get(url(cohort_a))
    assert len(response.context["learners"]) == 15
