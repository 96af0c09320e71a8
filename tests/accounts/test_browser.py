"""Browser flows: sign up and join a cohort; reset a forgotten password by e-mail."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.models import User
from cohorts import membership
from cohorts.models import format_code
from tests.conftest import PageProblems, log_in

pytestmark = pytest.mark.browser


def test_it_signs_up_a_visitor_who_then_joins_a_cohort(
    page: Any, live_server: Any, carol: User, page_problems: PageProblems
) -> None:
    cohort = membership.create_cohort(instructor=carol, name="Transformers Tuesday")

    page.goto(f"{live_server.url}/")
    page.locator("nav").get_by_role("link", name="Sign up", exact=True).click()
    page.fill("input[name=username]", "newton")
    page.fill("input[name=email]", "newton@example.com")
    page.fill("input[name=password1]", "apples-fall-down-1687")
    page.fill("input[name=password2]", "apples-fall-down-1687")
    page.select_option("select[name=timezone]", "Europe/London")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "Welcome, newton!" in page.content()

    page.get_by_role("link", name="Cohorts").click()
    page.get_by_text("You are not in a cohort yet").wait_for()
    page.fill("input[name=code]", format_code(cohort.join_code).lower())
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_url(f"{live_server.url}/cohorts/{cohort.pk}/")
    assert "Welcome to Transformers Tuesday!" in page.content()

    page.get_by_role("link", name="← My cohorts").click()
    learning = page.locator("section[aria-labelledby=learning-heading]")
    learning.get_by_role("link", name="Transformers Tuesday").wait_for()
    assert User.objects.get(username="newton").timezone == "Europe/London"
    page_problems.assert_clean()


def test_it_shows_a_clear_error_for_a_wrong_code_in_the_browser(
    page: Any, live_server: Any, alice: User, page_problems: PageProblems
) -> None:
    log_in(page, live_server.url, "alice")

    page.goto(f"{live_server.url}/cohorts/join/")
    page.fill("input[name=code]", "zzzz zzzz")
    page.get_by_role("button", name="Join", exact=True).click()

    page.locator("#join-form .errorlist").get_by_text(
        "No cohort has the join code ZZZZ-ZZZZ"
    ).wait_for()
    assert page.input_value("input[name=code]") == "zzzz zzzz"
    page_problems.assert_clean()


def test_it_resets_a_forgotten_password_through_the_mailed_link(
    page: Any, live_server: Any, alice: User, mailoutbox: list[Any], page_problems: PageProblems
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("input[name=email]", "alice@example.com")
    page.get_by_role("button", name="Send the reset link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mailoutbox[0].body)
    assert link
    page.goto(link.group(0))
    page.get_by_role("heading", name="Choose a new password").wait_for()
    page.fill("input[name=new_password1]", "a-fresh-start-2026")
    page.fill("input[name=new_password2]", "a-fresh-start-2026")
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_role("heading", name="Your password is reset").wait_for()

    page.get_by_role("link", name="Log in", exact=True).last.click()
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "a-fresh-start-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page_problems.assert_clean()
