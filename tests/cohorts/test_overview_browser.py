"""Browser flow: carol opens the cohort overview and filters to stuck learners in place."""

from __future__ import annotations

from typing import Any

import pytest

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
    assert page.locator("td.cell-stuck").count() == 1
    assert page.evaluate("window.overviewMarker") == "still here"
    page_problems.assert_clean()
