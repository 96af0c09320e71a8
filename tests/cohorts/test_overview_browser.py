"""Browser flow: carol opens the cohort overview and filters to stuck learners in place."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import User
from cohorts.models import Cohort
from tests.cohorts.test_overview import challenges, submit
from tests.conftest import PageProblems, log_in

pytestmark = pytest.mark.browser


def test_it_filters_the_grid_to_stuck_learners_without_a_reload(
    transactional_db: None,
    content: None,
    page: Any,
    live_server: Any,
    carol: User,
    alice: User,
    bob: User,
    cohort_a: Cohort,
    page_problems: PageProblems,
) -> None:
    for _ in range(5):
        submit(bob, challenges()[0], "fail", failing=("test_shape",))
    log_in(page, live_server.url, "carol")

    page.goto(f"{live_server.url}/cohorts/{cohort_a.pk}/")
    page.get_by_role("link", name="Open the overview").click()
    page.wait_for_url(f"{live_server.url}/cohorts/{cohort_a.pk}/overview/")
    assert page.locator("tr.learner-row").count() == 2
    # A marker on window survives an htmx swap but not a page load.
    page.evaluate("window.overviewMarker = 'still here'")

    page.locator("a[data-filter=stuck]").click()
    page.wait_for_url("**/overview/?show=stuck*")
    page.locator("a[data-filter=stuck][aria-current=true]").wait_for()

    rows = page.locator("tr.learner-row")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-learner") == "bob"
    stuck = page.locator("td.cell-stuck")
    assert stuck.count() == 1
    # The cell says its status; pointing at it names the challenge (static/js/overview.js),
    # in the grid htmx swapped in as much as in the page first loaded.
    assert stuck.get_attribute("title") == "Attempted, 5 attempts"
    stuck.hover()
    first = challenges()[0]
    expect(stuck).to_have_attribute(
        "title", f"{first.number}. {first.title}: Attempted, 5 attempts"
    )
    assert page.evaluate("window.overviewMarker") == "still here"
    page_problems.assert_clean()


def test_it_opens_the_roster_form_in_place_and_sends_invitations(
    transactional_db: None,
    content: None,
    page: Any,
    live_server: Any,
    carol: User,
    alice: User,
    cohort_a: Cohort,
    page_problems: PageProblems,
    mailoutbox: list[Any],
) -> None:
    log_in(page, live_server.url, "carol")
    page.goto(f"{live_server.url}/cohorts/{cohort_a.pk}/overview/")
    assert page.locator("#roster-import textarea").count() == 0  # loaded when asked for
    page.evaluate("window.overviewMarker = 'still here'")

    page.get_by_role("link", name="Invite learners…").click()
    emails = page.get_by_label("E-mail addresses")
    expect(emails).to_be_focused()
    emails.fill("new1@example.com\nnot-an-address")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator("#roster-import [role=alert]")).to_contain_text(
        "1 entry is not an e-mail address: not-an-address"
    )
    expect(emails).to_have_value("new1@example.com\nnot-an-address")  # nothing lost

    emails.fill("new1@example.com, alice@example.com")
    page.get_by_role("button", name="Send invitations").click()

    expect(page.locator("#roster-import [role=status]")).to_have_text(
        "Sent 1 invitation. Skipped 1 already in the cohort."
    )
    assert [m.to for m in mailoutbox] == [["new1@example.com"]]
    assert page.url == f"{live_server.url}/cohorts/{cohort_a.pk}/overview/"
    assert page.evaluate("window.overviewMarker") == "still here"
    page_problems.assert_clean()
