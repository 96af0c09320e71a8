"""Who may see the instructor views of cohort A: only its instructors and staff. Everyone
else gets a 404 (never a 403, so cohort and user ids reveal nothing); anonymous visitors
are sent to log in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort

pytestmark = pytest.mark.usefixtures("content")

VIEWS = ["cohorts:overview", "cohorts:overview-csv", "cohorts:learner"]
# viewer fixture name → expected status
VIEWERS = {
    "anonymous": 302,
    "alice": 404,  # a learner in the cohort (and the subject of the drill-down)
    "bob": 404,  # another learner in the cohort
    "dave": 404,  # a learner of another cohort
    "erin": 404,  # the instructor of another cohort
    "carol": 200,  # the cohort's instructor
    "staff": 200,
}


def view_url(name: str, cohort: Cohort, learner: User) -> str:
    if name == "cohorts:learner":
        return reverse(name, args=[cohort.pk, learner.pk])
    return reverse(name, args=[cohort.pk])


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize(("viewer", "expected"), list(VIEWERS.items()))
def test_it_lets_only_the_cohorts_instructors_and_staff_in(
    request: pytest.FixtureRequest,
    client: Client,
    name: str,
    viewer: str,
    expected: int,
    alice: User,
    bob: User,
    dave: User,
    erin: User,
    carol: User,
    cohort_a: Cohort,
) -> None:
    if viewer != "anonymous":
        client.force_login(request.getfixturevalue(viewer))
    target = view_url(name, cohort_a, alice)

    response = client.get(target)

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
        assert "next=" in response["Location"]


@pytest.mark.parametrize("name", VIEWS)
def test_it_tells_htmx_to_log_in_instead_of_swapping_the_login_page(
    client: Client, name: str, alice: User, cohort_a: Cohort
) -> None:
    response = client.get(view_url(name, cohort_a, alice), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_it_404s_for_a_cohort_that_does_not_exist(client: Client, staff: User) -> None:
    client.force_login(staff)

    assert client.get(reverse("cohorts:overview", args=[999999])).status_code == 404
