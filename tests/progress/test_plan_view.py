"""POST /progress/plan/ — set the start date of the learner's path."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from progress.models import LearningPlan

pytestmark = pytest.mark.usefixtures("content")
URL = reverse("progress:plan")


def today(user: User) -> date:
    return timezone.localdate(timezone=user.zone)


def test_it_sets_the_start_date_and_returns_the_calendar(client: Client, alice: User) -> None:
    client.force_login(alice)
    start = today(alice)
    response = client.post(
        URL,
        {"start_date": start.isoformat(), "study_days": "weekdays"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="learning-plan"')
    assert 'class="calendar"' in html
    plan = LearningPlan.objects.get(learner=alice)
    assert (plan.start_date, plan.study_days) == (start, "weekdays")


def test_a_plain_form_post_redirects_to_the_path(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(URL, {"start_date": today(alice).isoformat(), "study_days": "daily"})
    assert response.status_code == 302
    assert response["Location"] == reverse("curriculum:path") + "#learning-plan"


def test_a_replayed_post_changes_nothing(client: Client, alice: User) -> None:
    client.force_login(alice)
    data = {"start_date": today(alice).isoformat(), "study_days": "weekdays"}
    client.post(URL, data)
    stamp = LearningPlan.objects.get(learner=alice).updated_at
    client.post(URL, data)
    assert LearningPlan.objects.filter(learner=alice).count() == 1
    assert LearningPlan.objects.get(learner=alice).updated_at == stamp


def test_it_changes_an_existing_plan(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.post(URL, {"start_date": today(alice).isoformat(), "study_days": "weekdays"})
    later = today(alice) + timedelta(days=7)
    client.post(URL, {"start_date": later.isoformat(), "study_days": "daily"})
    plan = LearningPlan.objects.get(learner=alice)
    assert (plan.start_date, plan.study_days) == (later, "daily")


@pytest.mark.parametrize("days", [366, -366])
def test_it_refuses_a_date_more_than_a_year_away(client: Client, alice: User, days: int) -> None:
    client.force_login(alice)
    typed = (today(alice) + timedelta(days=days)).isoformat()
    response = client.post(URL, {"start_date": typed, "study_days": "weekdays"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a start date within a year of today" in html
    assert f'value="{typed}"' in html  # what was typed is kept
    assert not LearningPlan.objects.exists()


def test_it_shows_the_errors_in_the_partial_for_htmx(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(
        URL, {"start_date": "tomorrow", "study_days": "sometimes"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200  # htmx swaps only successful responses
    html = response.content.decode()
    assert "Enter a date as YYYY-MM-DD" in html
    assert "Select a valid choice" in html
    assert not LearningPlan.objects.exists()


def test_it_keeps_each_learners_plan_apart(client: Client, alice: User, bob: User) -> None:
    client.force_login(alice)
    client.post(URL, {"start_date": today(alice).isoformat(), "study_days": "weekdays"})
    client.force_login(bob)
    client.post(
        URL, {"start_date": (today(bob) - timedelta(days=3)).isoformat(), "study_days": "daily"}
    )
    assert LearningPlan.objects.get(learner=alice).study_days == "weekdays"


def test_a_visitor_is_sent_to_log_in(client: Client) -> None:
    response = client.post(URL, {"start_date": "2026-01-05", "study_days": "weekdays"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_refuses_a_get(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get(URL).status_code == 405
