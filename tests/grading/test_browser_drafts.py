"""In real Chromium: code typed in the challenge editor survives a lapsed session.

The learner's session expires while they edit; submitting sends the whole page to log in
(not the login form swapped into the status box), and after logging in they are back on the
challenge with their edits restored from the browser's storage, with a way back to the
saved version.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from grading.models import Submission
from tests.conftest import PageProblems, log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MHA = "multi-head-attention"
GET_CODE = "document.querySelector('#grading-panel .CodeMirror').CodeMirror.getValue()"


def test_edits_survive_a_lapsed_session_and_come_back_after_logging_in(
    page: Any, live_server: Any, alice: User, page_problems: PageProblems
) -> None:
    call_command("load_content", verbosity=0)
    base = live_server.url
    log_in(page, base, "alice")
    page.goto(f"{base}/learn/challenges/{MHA}/")
    editor = page.locator("#grading-panel .CodeMirror")
    editor.wait_for()
    starter = page.evaluate(GET_CODE)
    assert "class MultiHeadAttentionWrapper" in starter
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# my own attempt, not saved anywhere yet")

    page.context.clear_cookies(name="sessionid")  # the session lapses
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{base}/accounts/login/**")
    assert f"next=/learn/challenges/{MHA}/" in page.url
    assert not Submission.objects.exists()

    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/learn/challenges/{MHA}/")
    note = page.locator(".draft-note")
    note.wait_for()
    assert "Restored your unsubmitted edits" in note.inner_text()
    restored = page.evaluate(GET_CODE)
    assert restored.endswith("# my own attempt, not saved anywhere yet")
    assert restored.startswith(starter.rstrip("\n")[:40])

    note.get_by_role("button", name="Show the saved version instead").click()
    assert page.evaluate(GET_CODE) == starter
    page.reload()
    page.locator("#grading-panel .CodeMirror").wait_for()
    assert page.evaluate(GET_CODE) == starter  # the draft is gone for good
    assert page.locator(".draft-note").count() == 0
    page_problems.assert_clean()
