"""/learn/path/ — the recommended path, and a learner's calendar with real dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from progress.models import LearningPlan
from progress.plan import set_plan

pytestmark = pytest.mark.usefixtures("content")
URL = reverse("curriculum:path")


def monday_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_it_shows_the_path_to_a_visitor(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Weeks 1–2" in html and "Weeks 9–11" in html
    assert "Days 8–12" in html and "⭐ Critical" in html
    assert "#45 GPT-2 pretraining data" in html  # kept with training, as the seed has it
    assert 'name="start_date"' not in html
    assert reverse("accounts:signup") in html


def test_it_offers_a_learner_the_start_date_form(client: Client, alice: User) -> None:
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert f'action="{reverse("progress:plan")}"' in html
    assert 'type="date"' in html
    assert "Start my calendar" in html


def test_it_lays_the_path_onto_real_dates(client: Client, alice: User) -> None:
    today = timezone.localdate(timezone=alice.zone)
    start = monday_before(today)
    set_plan(learner=alice, start_date=start, study_days=LearningPlan.StudyDays.WEEKDAYS)
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert f'data-plan-start="{start.isoformat()}"' in html
    assert f"Day 1 is <strong>{start:%A} {start.day} {start:%B %Y}</strong>" in html
    # 53 weekdays: day 53 falls on the Wednesday of the eleventh week.
    end = start + timedelta(weeks=10, days=2)
    assert f"day 53, is <strong>{end:%A} {end.day} {end:%B %Y}</strong>" in html
    assert f'aria-current="date" data-date="{today.isoformat()}"' in html
    assert "Update my calendar" in html


def test_it_marks_past_days_behind(client: Client, alice: User) -> None:
    today = timezone.localdate(timezone=alice.zone)
    set_plan(learner=alice, start_date=today - timedelta(days=14), study_days="daily")
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert "You are 14 days behind the plan." in html
    assert html.count("cal-cell status-behind") == 14


def test_it_renders_the_plan_partial_for_htmx(client: Client, alice: User) -> None:
    client.force_login(alice)
    html = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="learning-plan"')


def test_it_refuses_a_post(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.post(URL).status_code == 405
