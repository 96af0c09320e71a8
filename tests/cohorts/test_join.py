"""cohorts:join — the join-code form."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts import membership
from cohorts.models import Cohort, Membership, format_code
from tests.factories import make_user

URL = reverse("cohorts:join")
HX = {"HX-Request": "true"}


def test_it_shows_the_form(client: Client, db: None) -> None:
    client.force_login(make_user("lena"))

    response = client.get(URL)

    assert response.status_code == 200
    assert b'name="code"' in response.content


def test_it_prefills_the_code_from_the_query_string(client: Client, db: None) -> None:
    client.force_login(make_user("lena"))

    assert b'value="ABCD-2345"' in client.get(URL, {"code": "ABCD-2345"}).content


def test_it_joins_and_lands_on_the_cohort(client: Client, cohort_a: Cohort) -> None:
    lena = make_user("lena")
    client.force_login(lena)

    response = client.post(URL, {"code": format_code(cohort_a.join_code).lower()}, follow=True)

    assert Membership.objects.filter(user=lena, cohort=cohort_a).exists()
    assert response.redirect_chain == [(reverse("cohorts:detail", args=[cohort_a.pk]), 302)]
    assert "Welcome to Cohort A!" in response.content.decode()


def test_it_redirects_the_whole_page_after_an_htmx_join(client: Client, cohort_a: Cohort) -> None:
    client.force_login(make_user("lena"))

    response = client.post(URL, {"code": cohort_a.join_code}, headers=HX)

    assert response["HX-Redirect"] == reverse("cohorts:detail", args=[cohort_a.pk])


def test_it_explains_a_wrong_code_and_keeps_it(client: Client, cohort_a: Cohort) -> None:
    client.force_login(make_user("lena"))

    response = client.post(URL, {"code": "zzzz-zzzz"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "No cohort has the join code ZZZZ-ZZZZ" in page
    assert 'value="zzzz-zzzz"' in page


def test_it_returns_the_form_partial_with_the_error_for_htmx(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    membership.revoke_code(cohort=cohort_a, by=carol)
    client.force_login(make_user("lena"))

    response = client.post(URL, {"code": cohort_a.join_code}, headers=HX)

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="join-form">')
    assert "<html" not in page
    assert "has been revoked by the instructors of Cohort A" in page


def test_it_requires_a_code(client: Client, db: None) -> None:
    client.force_login(make_user("lena"))

    response = client.post(URL, {"code": ""})

    assert response.context["form"].errors["code"] == ["This field is required."]


def test_it_changes_nothing_on_a_replayed_post(
    client: Client, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(alice)

    response = client.post(URL, {"code": cohort_a.join_code}, follow=True)

    assert Membership.objects.filter(user=alice).count() == 1
    assert "You are already in Cohort A." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("cohorts:detail", args=[cohort_a.pk])


def test_it_refuses_other_methods(client: Client, db: None) -> None:
    client.force_login(make_user("lena"))

    assert client.put(URL).status_code == 405


def test_it_sends_anonymous_visitors_to_log_in(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.url == f"{reverse('accounts:login')}?next={URL}"


def test_it_keeps_the_code_when_the_session_expired(client: Client, cohort_a: Cohort) -> None:
    response = client.post(URL, {"code": format_code(cohort_a.join_code).lower()})

    link = reverse("cohorts:join-link", args=[cohort_a.join_code])
    assert response.url == f"{reverse('accounts:login')}?next={link}"
    assert not Membership.objects.exclude(user__username="carol").exists()
