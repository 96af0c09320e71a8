"""cohorts:join-link — the shared link: GET shows the cohort, POST joins."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts import membership
from cohorts.models import Cohort, Membership, format_code
from tests.factories import make_user


def url(code: str) -> str:
    return reverse("cohorts:join-link", args=[code])


def test_it_shows_the_cohort_and_a_join_button_without_joining(
    client: Client, cohort_a: Cohort
) -> None:
    lena = make_user("lena")
    client.force_login(lena)

    response = client.get(url(cohort_a.join_code))

    page = response.content.decode()
    assert "Cohort A" in page
    assert "Taught by carol" in page
    assert f'action="{url(cohort_a.join_code)}"' in page
    assert not Membership.objects.filter(user=lena).exists()


def test_it_accepts_the_code_in_any_spelling(client: Client, cohort_a: Cohort) -> None:
    client.force_login(make_user("lena"))

    response = client.get(url(format_code(cohort_a.join_code).lower()))

    assert response.context["cohort"] == cohort_a


def test_it_joins_on_post(client: Client, cohort_a: Cohort) -> None:
    lena = make_user("lena")
    client.force_login(lena)

    response = client.post(url(cohort_a.join_code))

    assert response.url == reverse("cohorts:detail", args=[cohort_a.pk])
    assert Membership.objects.get(user=lena).cohort == cohort_a


def test_it_tells_a_member_they_are_already_in(
    client: Client, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(alice)

    page = client.get(url(cohort_a.join_code)).content.decode()

    assert "You are already in Cohort A." in page
    assert "Go to the cohort" in page


def test_it_changes_nothing_on_a_replayed_post(client: Client, cohort_a: Cohort) -> None:
    lena = make_user("lena")
    client.force_login(lena)
    client.post(url(cohort_a.join_code))

    response = client.post(url(cohort_a.join_code), follow=True)

    assert Membership.objects.filter(user=lena).count() == 1
    assert "You are already in Cohort A." in response.content.decode()


def test_it_explains_a_revoked_code(client: Client, carol: User, cohort_a: Cohort) -> None:
    membership.revoke_code(cohort=cohort_a, by=carol)
    lena = make_user("lena")
    client.force_login(lena)

    get = client.get(url(cohort_a.join_code)).content.decode()
    post = client.post(url(cohort_a.join_code)).content.decode()

    for page in (get, post):
        assert "This join link doesn’t work" in page
        assert "has been revoked by the instructors of Cohort A" in page
    assert not Membership.objects.filter(user=lena).exists()


def test_it_explains_a_replaced_code(client: Client, carol: User, cohort_a: Cohort) -> None:
    old = cohort_a.join_code
    membership.regenerate_code(cohort=cohort_a, by=carol)
    client.force_login(make_user("lena"))

    assert "has been replaced by a new one" in client.get(url(old)).content.decode()


def test_it_explains_an_unknown_code(client: Client, db: None) -> None:
    client.force_login(make_user("lena"))

    page = client.get(url("QQQQ-QQQQ")).content.decode()

    assert "No cohort has the join code QQQQ-QQQQ" in page


def test_it_refuses_other_methods(client: Client, cohort_a: Cohort) -> None:
    client.force_login(make_user("lena"))

    assert client.put(url(cohort_a.join_code)).status_code == 405


def test_it_sends_anonymous_visitors_to_log_in_and_back(client: Client, cohort_a: Cohort) -> None:
    response = client.get(url(cohort_a.join_code))

    assert response.url == f"{reverse('accounts:login')}?next={url(cohort_a.join_code)}"


def test_it_renders_the_full_page_for_htmx(client: Client, cohort_a: Cohort) -> None:
    client.force_login(make_user("lena"))

    response = client.get(url(cohort_a.join_code), headers={"HX-Request": "true"})

    assert b"<html" in response.content
