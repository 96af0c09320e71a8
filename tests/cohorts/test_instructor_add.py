"""cohorts:instructor-add — an instructor adds a co-instructor by username."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort, MemberRole, Membership

HX = {"HX-Request": "true"}


def url(cohort: Cohort) -> str:
    return reverse("cohorts:instructor-add", args=[cohort.pk])


def test_it_adds_a_co_instructor(client: Client, carol: User, erin: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    response = client.post(url(cohort_a), {"username": "erin"}, follow=True)

    assert cohort_a.role_of(erin) == MemberRole.INSTRUCTOR
    assert "erin now teaches Cohort A with you" in response.content.decode()


def test_it_returns_the_instructors_partial_for_htmx(
    client: Client, carol: User, erin: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    response = client.post(url(cohort_a), {"username": "Erin"}, headers=HX)

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="instructors"')
    assert "<html" not in page
    assert "erin now teaches" in page


def test_it_keeps_the_username_and_explains_an_error(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    full = client.post(url(cohort_a), {"username": "alice"})
    partial = client.post(url(cohort_a), {"username": "nobody"}, headers=HX)

    assert full.status_code == 200
    assert "alice has a learner account" in full.content.decode()
    assert 'value="alice"' in full.content.decode()
    assert "There is no user called “nobody”" in partial.content.decode()
    assert cohort_a.role_of(alice) == MemberRole.LEARNER


def test_it_changes_nothing_on_a_replayed_post(
    client: Client, carol: User, erin: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)
    client.post(url(cohort_a), {"username": "erin"})

    response = client.post(url(cohort_a), {"username": "erin"}, headers=HX)

    assert Membership.objects.filter(cohort=cohort_a, user=erin).count() == 1
    assert "erin already teaches Cohort A" in response.content.decode()


def test_it_answers_404_to_learners_and_outsiders(
    client: Client, alice: User, dave: User, erin: User, cohort_a: Cohort
) -> None:
    for who in (alice, dave):
        client.force_login(who)
        assert client.post(url(cohort_a), {"username": "erin"}).status_code == 404
    assert cohort_a.role_of(erin) is None


def test_it_refuses_get(client: Client, carol: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    assert client.get(url(cohort_a)).status_code == 405


def test_it_sends_anonymous_visitors_to_log_in(client: Client, cohort_a: Cohort) -> None:
    response = client.post(url(cohort_a), {"username": "erin"})

    assert response.url.startswith(reverse("accounts:login"))
