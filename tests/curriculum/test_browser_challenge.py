"""In Chromium: tick a video on a challenge page without a reload; the tick persists."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from progress.models import VideoWatch, XPEntry
from tests.conftest import PageProblems, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("content")
def test_a_learner_ticks_a_video_without_a_reload(
    live_server: object, page: Page, page_problems: PageProblems, alice: User
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, "alice")
    page.goto(f"{base}/learn/challenges/tokenizer/")
    counter = page.locator('#challenge-progress [data-meter="challenge"]')
    expect(counter).to_have_text("0 / 10")
    # A full reload would drop this marker; an htmx swap keeps it.
    page.evaluate("window.__noReload = 'still here'")

    watch = page.locator("#video-watch-byte-pair-encoding")
    watch.get_by_role("button", name="Mark as watched").click()

    expect(watch.locator('[data-watched="true"]')).to_have_text("✓ Watched")
    expect(counter).to_have_text("1 / 10")
    expect(page.locator('#challenge-progress [data-count="videos"]')).to_have_text(
        "1 of 5 videos watched"
    )
    assert page.evaluate("window.__noReload") == "still here"
    assert VideoWatch.objects.filter(learner=alice, video__slug="byte-pair-encoding").exists()
    assert XPEntry.objects.filter(learner=alice, reason="video:byte-pair-encoding").count() == 1

    page.reload()
    assert page.evaluate("window.__noReload") is None
    expect(page.locator('#video-watch-byte-pair-encoding [data-watched="true"]')).to_be_visible()
    expect(page.locator('#challenge-progress [data-meter="challenge"]')).to_have_text("1 / 10")
    # The broken id shows the playlist link, never a broken player.
    expect(page.locator("#video-tokenizing-text .video-missing a")).to_have_text("video playlist")
    page_problems.assert_clean()


@pytest.mark.usefixtures("content")
def test_a_learner_ticks_a_self_check_item(
    live_server: object, page: Page, page_problems: PageProblems, alice: User
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, "alice")
    page.goto(f"{base}/learn/challenges/embeddings/")
    page.evaluate("window.__noReload = 1")
    item = page.locator("#item-embeddings--pca-tsne")
    item.get_by_role("button").click()
    expect(item.locator('[aria-pressed="true"]')).to_be_visible()
    expect(page.locator('#challenge-progress [data-count="self-checks"]')).to_have_text(
        "1 of 2 self-checks ticked"
    )
    assert page.evaluate("window.__noReload") == 1
    page_problems.assert_clean()


@pytest.mark.usefixtures("content")
def test_the_curriculum_pages_render_cleanly_for_a_visitor(
    live_server: object, page: Page, page_problems: PageProblems
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    for path in ("/", "/learn/", "/learn/expert/", "/learn/path/", "/learn/stats/"):
        page.goto(f"{base}{path}")
        expect(page.locator("main h1")).to_be_visible()
    page_problems.assert_clean()
