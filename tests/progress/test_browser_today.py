"""In Chromium: set a start date on the path page, then see today's plan on the home page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from progress.models import LearningPlan
from tests.conftest import PageProblems, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("content")
def test_a_learner_sets_a_start_date_and_sees_today(
    live_server: object, page: Page, page_problems: PageProblems, alice: User
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    today = timezone.localdate(timezone=alice.zone)
    start = today - timedelta(days=2)
    log_in(page, base, "alice")

    page.goto(f"{base}/learn/path/")
    page.evaluate("window.__noReload = true")
    page.fill("input[name=start_date]", start.isoformat())
    page.select_option("select[name=study_days]", "daily")
    page.get_by_role("button", name="Start my calendar").click()

    summary = page.locator(".plan-summary")
    expect(summary).to_contain_text(f"Day 1 is {start:%A} {start.day} {start:%B %Y}")
    expect(summary).to_contain_text("You are 2 days behind the plan.")
    expect(
        page.locator(f'td[aria-current="date"][data-date="{today.isoformat()}"]')
    ).to_contain_text("Day 3")
    assert page.evaluate("window.__noReload") is True
    plan = LearningPlan.objects.get(learner=alice)
    assert (plan.start_date, plan.study_days) == (start, "daily")

    page.get_by_role("link", name="Today").first.click()
    page.wait_for_url(f"{base}/")
    expect(page.locator("[data-today]")).to_have_text(
        f"Today · {today:%A} {today.day} {today:%B %Y}"
    )
    expect(page.locator("[data-plan-status]")).to_contain_text("Plan day 3 of 53")
    expect(page.locator("[data-plan-status]")).to_contain_text("You are 2 days behind.")
    tomorrow = today + timedelta(days=1)
    expect(page.locator(f'.upcoming [data-date="{tomorrow.isoformat()}"]')).to_contain_text("Day 4")
    expect(page.get_by_role("heading", name="Watch")).to_be_visible()
    page_problems.assert_clean()


@pytest.mark.usefixtures("content")
def test_a_start_date_too_far_away_gets_a_clear_error(
    live_server: object, page: Page, page_problems: PageProblems, alice: User
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, "alice")
    page.goto(f"{base}/learn/path/")
    far = timezone.localdate(timezone=alice.zone) + timedelta(days=400)
    page.fill("input[name=start_date]", far.isoformat())
    page.get_by_role("button", name="Start my calendar").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a start date within a year of today")
    expect(page.locator("input[name=start_date]")).to_have_value(far.isoformat())
    assert not LearningPlan.objects.filter(learner=alice).exists()
    page_problems.assert_clean()
