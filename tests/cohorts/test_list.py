"""cohorts:list — my cohorts, as learner and as instructor."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from cohorts import membership
from cohorts.models import Cohort
from tests.factories import make_user

URL = reverse("cohorts:list")


def test_it_lists_the_cohorts_a_learner_is_in(
    client: Client, alice: User, cohort_b: Cohort
) -> None:
    client.force_login(alice)

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Cohort A" in page
    assert "Cohort B" not in page
    assert "Teaching" not in page
    assert "Create a cohort" not in page
    assert reverse("cohorts:detail", args=[alice.memberships.get().cohort_id]) in page


def test_it_lists_taught_cohorts_with_their_codes(
    client: Client, carol: User, cohort_a: Cohort, alice: User
) -> None:
    client.force_login(carol)

    page = client.get(URL).content.decode()

    assert "Teaching" in page
    assert cohort_a.display_code in page
    assert "1 learner" in page
    assert "Create a cohort" in page


def test_it_shows_both_roles_for_someone_who_teaches_and_learns(
    client: Client, erin: User, cohort_a: Cohort, cohort_b: Cohort
) -> None:
    membership.join_cohort(learner=erin, code=cohort_a.join_code)
    client.force_login(erin)

    response = client.get(URL)

    assert response.context["teaching"].get() == cohort_b
    assert response.context["learning"].get() == cohort_a


def test_it_invites_a_learner_without_cohorts_to_join(client: Client, db: None) -> None:
    client.force_login(make_user("lena"))

    page = client.get(URL).content.decode()

    assert "You are not in a cohort yet" in page
    assert f'action="{reverse("cohorts:join")}"' in page


def test_it_renders_the_full_page_for_htmx_too(client: Client, alice: User) -> None:
    # The list has no partial: an htmx navigation (hx-boost) gets the whole page.
    client.force_login(alice)

    response = client.get(URL, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b"<html" in response.content


def test_it_refuses_post(client: Client, alice: User) -> None:
    client.force_login(alice)

    assert client.post(URL).status_code == 405


def test_it_sends_anonymous_visitors_to_log_in(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={URL}"


def test_its_query_count_does_not_grow_with_the_number_of_cohorts(
    client: Client, erin: User, cohort_b: Cohort, django_assert_num_queries: object
) -> None:
    def join_new_cohort(n: int) -> None:
        instructor = make_user(f"i{n}", role="instructor")
        cohort = membership.create_cohort(instructor=instructor, name=f"C{n}")
        membership.join_cohort(learner=erin, code=cohort.join_code)

    client.force_login(erin)
    join_new_cohort(0)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(1, 6):
        join_new_cohort(n)

    cache.clear()  # the nav's figures as computed, as in the first request
    with django_assert_num_queries(len(few.captured_queries)):  # type: ignore[operator]
        assert len(client.get(URL).context["learning"]) == 6


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_it_links_every_cohort_to_its_page(
    client: Client, alice: User, carol: User, who: str
) -> None:
    client.force_login({"alice": alice, "carol": carol}[who])
    cohort = Cohort.objects.get(name="Cohort A")

    assert reverse("cohorts:detail", args=[cohort.pk]) in client.get(URL).content.decode()
