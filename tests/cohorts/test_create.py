"""cohorts:create — instructors create a cohort and land on its page."""

from __future__ import annotations

import uuid

from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort

URL = reverse("cohorts:create")


def test_it_shows_the_form_with_a_one_time_token(client: Client, carol: User) -> None:
    client.force_login(carol)

    response = client.get(URL)

    assert response.status_code == 200
    assert isinstance(response.context["form"].initial["creation_token"], uuid.UUID)
    assert b'name="creation_token"' in response.content


def test_it_creates_a_cohort_and_redirects_to_it(client: Client, carol: User) -> None:
    client.force_login(carol)

    response = client.post(
        URL, {"name": "Spring 2026", "creation_token": str(uuid.uuid4())}, follow=True
    )

    cohort = Cohort.objects.get(name="Spring 2026")
    assert response.redirect_chain == [(reverse("cohorts:detail", args=[cohort.pk]), 302)]
    page = response.content.decode()
    assert "Spring 2026 is ready" in page
    assert cohort.display_code in page
    assert f"http://testserver/cohorts/join/{cohort.join_code}/" in page


def test_it_creates_one_cohort_for_a_replayed_post(client: Client, carol: User) -> None:
    client.force_login(carol)
    data = {"name": "Twice", "creation_token": str(uuid.uuid4())}

    first = client.post(URL, data)
    second = client.post(URL, data)

    assert Cohort.objects.filter(name="Twice").count() == 1
    assert first.url == second.url


def test_it_keeps_the_input_and_explains_a_bad_name(client: Client, carol: User) -> None:
    client.force_login(carol)
    token = str(uuid.uuid4())

    response = client.post(URL, {"name": "   ", "creation_token": token})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert token in response.content.decode()
    assert not Cohort.objects.exists()


def test_it_refuses_a_tampered_token(client: Client, carol: User) -> None:
    client.force_login(carol)

    response = client.post(URL, {"name": "X", "creation_token": "not-a-uuid"})

    assert response.status_code == 200
    assert response.context["form"].errors["creation_token"]
    assert not Cohort.objects.exists()


def test_it_renders_the_form_partial_for_htmx(client: Client, carol: User) -> None:
    client.force_login(carol)

    response = client.post(
        URL, {"name": "", "creation_token": str(uuid.uuid4())}, headers={"HX-Request": "true"}
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="cohort-form">')
    assert "<html" not in page
    assert "errorlist" in page


def test_it_redirects_the_whole_page_after_an_htmx_create(client: Client, carol: User) -> None:
    client.force_login(carol)

    response = client.post(
        URL,
        {"name": "Via htmx", "creation_token": str(uuid.uuid4())},
        headers={"HX-Request": "true"},
    )

    cohort = Cohort.objects.get(name="Via htmx")
    assert response["HX-Redirect"] == reverse("cohorts:detail", args=[cohort.pk])


def test_it_forbids_learners(client: Client, alice: User) -> None:
    client.force_login(alice)

    get = client.get(URL)
    post = client.post(URL, {"name": "Mine", "creation_token": str(uuid.uuid4())})

    assert get.status_code == post.status_code == 403
    assert "Only instructors can create cohorts" in post.content.decode()
    assert not Cohort.objects.filter(name="Mine").exists()


def test_it_refuses_other_methods(client: Client, carol: User) -> None:
    client.force_login(carol)

    assert client.put(URL).status_code == 405


def test_it_sends_anonymous_visitors_to_log_in(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.url == f"{reverse('accounts:login')}?next={URL}"


def test_a_form_token_from_someone_elses_cohort_reveals_nothing(
    client: Client, carol: User, erin: User
) -> None:
    token = str(uuid.uuid4())
    carols = Client()
    carols.force_login(carol)
    carols.post(URL, {"name": "Carol's secret cohort", "creation_token": token})
    client.force_login(erin)
    response = client.post(URL, {"name": "Erin's", "creation_token": token}, follow=True)
    assert response.status_code == 200
    assert "This form has expired" in response.content.decode()
    assert "secret" not in response.content.decode()
    assert Cohort.objects.filter(created_by=erin, name="Erin's").count() == 0
