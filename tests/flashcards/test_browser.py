"""In Chromium: review five cards with the keyboard only, take one rating back, and see the
XP badge and the dashboard change — without a full page reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from flashcards.models import ReviewLog
from progress import xp
from tests.conftest import PageProblems, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("content")
def test_a_learner_reviews_five_cards_by_keyboard_undoes_one_and_sees_the_dashboard(
    live_server: object, page: Page, page_problems: PageProblems, alice: User
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, "alice")
    page.goto(f"{base}/flashcards/review/")
    page.evaluate("window.__noReload = true")  # survives only if every step is an htmx swap

    answer = page.locator("#flashcard-answer .flashcard-back")
    reviewed = page.locator("[data-reviewed-today]")
    expect(page.locator(".flashcard-front")).to_contain_text("tokenizer")
    seen: list[str] = []
    for done, key in enumerate(["3", "4", "3", "4", "1"], start=1):
        card = page.locator("#flashcard").get_attribute("data-card")
        assert card is not None
        seen.append(card)
        expect(answer).to_be_hidden()
        page.keyboard.press("Space")
        expect(answer).to_be_visible()
        good = page.locator('#rating-form button[data-rating="3"]')
        expect(good).to_contain_text(re.compile(r"Good\s+\d+(m|h|d)"))
        page.keyboard.press(key)
        expect(reviewed).to_have_text(str(done))
    # The tokenizer's four key cards, then the first one again from its learning step.
    assert seen[:4] == ["1", "2", "3", "48"] and seen[4] == "1"
    expect(page.locator("#xp-badge")).to_contain_text("5 XP")
    remaining = page.locator("[data-remaining]").inner_text()
    expect(page.locator("#nav-due")).to_have_text(f"{remaining} due")  # swapped out of band

    page.keyboard.press("u")
    expect(reviewed).to_have_text("4")
    expect(page.locator("#review-session")).to_contain_text("Took back “Again” on card #1")
    expect(page.locator("#flashcard")).to_have_attribute("data-card", "1")
    expect(page.locator("#xp-badge")).to_contain_text("4 XP")
    assert page.evaluate("window.__noReload") is True

    assert ReviewLog.objects.effective().filter(learner=alice).count() == 4
    assert ReviewLog.objects.filter(learner=alice, undone_at__isnull=False).count() == 1
    assert xp.total(learner=alice) == 4

    page.get_by_role("link", name="Dashboard").first.click()
    page.wait_for_url(f"{base}/progress/dashboard/")
    expect(page.locator("#xp-total")).to_have_text("4")
    expect(page.locator("#goal-earned")).to_have_text("4")
    expect(page.locator("#streak-days")).to_have_text("1")
    expect(page.locator("#streak")).to_contain_text("Today counts")
    expect(page.locator("#cards-due-today")).to_have_text(re.compile(r"\d+"))
    expect(page.locator(".heatmap rect.heat-today")).to_have_class(re.compile(r"heat-1"))
    expect(page.locator(".forecast-chart rect")).to_have_count(30)
    page_problems.assert_clean()
