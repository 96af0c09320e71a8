"""Django admin for cohorts and memberships: staff manage everything there."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort, MemberRole


def test_it_lists_cohorts_with_codes_and_counts(
    client: Client, staff: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(staff)

    response = client.get(reverse("admin:cohorts_cohort_changelist"))

    assert response.status_code == 200
    assert cohort_a.display_code in response.content.decode()


def test_it_shows_a_cohort_with_its_members(
    client: Client, staff: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(staff)

    response = client.get(reverse("admin:cohorts_cohort_change", args=[cohort_a.pk]))

    assert response.status_code == 200
    assert "alice" in response.content.decode()


def test_it_makes_the_creator_an_instructor_of_a_cohort_added_in_admin(
    client: Client, staff: User, carol: User
) -> None:
    client.force_login(staff)

    response = client.post(
        reverse("admin:cohorts_cohort_add"),
        {
            "name": "Made in admin",
            "created_by": carol.pk,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "retired_codes-TOTAL_FORMS": "0",
            "retired_codes-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Cohort.objects.get(name="Made in admin").role_of(carol) == MemberRole.INSTRUCTOR


def test_it_regenerates_codes_with_an_action(client: Client, staff: User, cohort_a: Cohort) -> None:
    client.force_login(staff)
    old = cohort_a.join_code

    client.post(
        reverse("admin:cohorts_cohort_changelist"),
        {"action": "regenerate_codes", "_selected_action": [cohort_a.pk]},
    )

    cohort_a.refresh_from_db()
    assert cohort_a.join_code != old


def test_it_lists_memberships(client: Client, staff: User, alice: User) -> None:
    client.force_login(staff)

    response = client.get(reverse("admin:cohorts_membership_changelist"))

    assert response.status_code == 200
    assert "alice" in response.content.decode()
