"""Browser flow: an instructor creates a cohort, copies its join link, replaces the code."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from cohorts.models import Cohort
from tests.conftest import PageProblems, log_in

pytestmark = pytest.mark.browser


# "Copied!" shows for two seconds, then the label reverts: on a loaded machine a locator
# can poll too late and miss it, so the page records every label the button shows.
def _record_copy_labels(page: Any) -> None:
    page.evaluate(
        """() => {
            window.__copyLabels = [];
            new MutationObserver(() => {
                document.querySelectorAll("[data-copy-target]").forEach(
                    (button) => window.__copyLabels.push(button.textContent.trim()));
            }).observe(document.body, {subtree: true, childList: true, characterData: true});
        }"""
    )


def _wait_for_label(page: Any, label: str) -> None:
    page.wait_for_function("label => window.__copyLabels.includes(label)", arg=label)


def test_it_lets_an_instructor_create_a_cohort_and_share_its_link(
    page: Any, live_server: Any, carol: User, page_problems: PageProblems
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server.url, "carol")

    page.goto(f"{live_server.url}/cohorts/")
    page.get_by_role("link", name="Create a cohort").click()
    page.fill("input[name=name]", "Attention span")
    page.get_by_role("button", name="Create cohort").click()
    cohort = None
    page.get_by_role("heading", name="Attention span").wait_for()
    cohort = Cohort.objects.get(name="Attention span")
    assert page.url == f"{live_server.url}/cohorts/{cohort.pk}/"

    join_url = f"{live_server.url}/cohorts/join/{cohort.join_code}/"
    assert page.input_value("#join-url") == join_url
    assert cohort.display_code in page.inner_text("#join-code")
    _record_copy_labels(page)
    page.get_by_role("button", name="Copy link").click()
    _wait_for_label(page, "Copied!")
    assert page.evaluate("navigator.clipboard.readText()") == join_url

    # Replacing the code swaps the section in place (htmx) with the new link.
    page.get_by_role("button", name="Generate a new code").click()
    page.get_by_text("The old code and link no longer work").wait_for()
    cohort.refresh_from_db()
    assert page.input_value("#join-url") == f"{live_server.url}/cohorts/join/{cohort.join_code}/"
    # The copy button still works on the swapped-in content.
    _record_copy_labels(page)
    page.get_by_role("button", name="Copy link").click()
    _wait_for_label(page, "Copied!")
    page_problems.assert_clean()


def test_it_shows_the_join_link_page_and_joins_only_on_the_button(
    page: Any,
    live_server: Any,
    carol: User,
    alice: User,
    cohort_b: Cohort,
    page_problems: PageProblems,
) -> None:
    log_in(page, live_server.url, "alice")

    page.goto(f"{live_server.url}/cohorts/join/{cohort_b.join_code.lower()}/")
    page.get_by_role("heading", name="Cohort B").wait_for()
    assert not cohort_b.memberships.filter(user=alice).exists()
    page.get_by_role("button", name="Join Cohort B").click()
    page.wait_for_url(f"{live_server.url}/cohorts/{cohort_b.pk}/")
    assert cohort_b.memberships.filter(user=alice).exists()
    page_problems.assert_clean()
