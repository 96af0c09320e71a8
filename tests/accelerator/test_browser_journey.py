"""A new learner's first session, end to end in Chromium (issue 2): sign up, join a
cohort with the instructor's code, open a challenge, tick a video, see progress grow."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from cohorts import membership
from cohorts.models import format_code
from progress.models import VideoWatch
from tests.conftest import PageProblems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("content")
def test_it_takes_a_new_learner_from_sign_up_to_progress(
    live_server: object, page: Page, page_problems: PageProblems, carol: User
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    cohort = membership.create_cohort(instructor=carol, name="Attention Is All We Need")

    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password1]", "analytical-engine-1843")
    page.fill("input[name=password2]", "analytical-engine-1843")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/cohorts/join/")
    page.fill("input[name=code]", format_code(cohort.join_code))
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_url(f"{base}/cohorts/{cohort.pk}/")

    page.goto(f"{base}/learn/")
    foundation_videos = page.locator('#tier-foundation [data-meter="videos-foundation"]')
    expect(foundation_videos).to_have_text("0 / 8")

    page.locator("#tier-foundation").get_by_role("link", name="2. Build Token + Position").click()
    page.wait_for_url(f"{base}/learn/challenges/embeddings/")
    watch = page.locator("#video-watch-token-embeddings")
    watch.get_by_role("button", name="Mark as watched").click()
    expect(watch.locator('[data-watched="true"]')).to_have_text("✓ Watched")

    page.goto(f"{base}/learn/")
    expect(foundation_videos).to_have_text("1 / 8")
    ada = User.objects.get(username="ada")
    assert ada.memberships.filter(cohort=cohort).exists()
    assert VideoWatch.objects.filter(learner=ada, video__slug="token-embeddings").exists()
    page_problems.assert_clean()
