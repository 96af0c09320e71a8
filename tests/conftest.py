"""The cast (STYLE.md): alice and bob learn in cohort A, carol teaches A, dave learns in B.

Browser fixtures drive Debian's Chromium through Playwright; every page a test
opens records console errors and failed requests so a test can assert there were none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from cohorts.models import Cohort
from tests.factories import join, make_cohort, make_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def content(db: None) -> None:
    """The whole curriculum, loaded through the real loader (idempotent, so cheap to repeat)."""
    call_command("load_content", verbosity=0)


@pytest.fixture
def carol(db: None) -> User:
    return make_user("carol", role=Role.INSTRUCTOR)


@pytest.fixture
def cohort_a(carol: User) -> Cohort:
    return make_cohort("Cohort A", instructor=carol)


@pytest.fixture
def alice(cohort_a: Cohort) -> User:
    user = make_user("alice")
    join(cohort_a, user)
    return user


@pytest.fixture
def bob(cohort_a: Cohort) -> User:
    user = make_user("bob")
    join(cohort_a, user)
    return user


@pytest.fixture
def erin(db: None) -> User:
    """The instructor of cohort B."""
    return make_user("erin", role=Role.INSTRUCTOR)


@pytest.fixture
def cohort_b(erin: User) -> Cohort:
    return make_cohort("Cohort B", instructor=erin)


@pytest.fixture
def dave(cohort_b: Cohort) -> User:
    user = make_user("dave")
    join(cohort_b, user)
    return user


@pytest.fixture
def staff(db: None) -> User:
    return make_user("stella", role=Role.STAFF, is_staff=True, is_superuser=True)


# --- Browser -----------------------------------------------------------------------


@dataclass
class PageProblems:
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        # YouTube is unreachable offline; everything else must load.
        failed = [u for u in self.failed_requests if "youtube" not in u and "ytimg" not in u]
        errors = [e for e in self.console_errors if "youtube" not in e.lower()]
        assert not failed, f"failed requests: {failed}"
        assert not errors, f"console errors: {errors}"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: object, page_problems: PageProblems) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda msg: page_problems.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    # A request aborted because the test navigated on (net::ERR_ABORTED) did not fail.
    page.on(
        "requestfailed",
        lambda req: (
            page_problems.failed_requests.append(req.url)
            if "ERR_ABORTED" not in (req.failure or "")
            else None
        ),
    )
    page.on(
        "response",
        lambda resp: (
            page_problems.failed_requests.append(f"{resp.status} {resp.url}")
            if resp.status >= 400
            else None
        ),
    )
    yield page
    context.close()


def log_in(page: object, live_server_url: str, username: str) -> None:
    """Log in through the real form."""
    from tests.factories import PASSWORD

    page.goto(f"{live_server_url}/accounts/login/")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{live_server_url}/")  # type: ignore[attr-defined]
