"""In real Chromium: a learner edits code in the challenge page's editor, submits with
Ctrl+Enter, and watches the checks arrive and the verdict, graded by a real worker."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from curriculum.models import Challenge
from grading.challenges import get_spec
from grading.models import Submission
from tests.conftest import PageProblems, log_in
from tests.grading.worker import Worker, grading_worker  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

MHA = "multi-head-attention"
BOOK = Path(__file__).parent / "solutions" / MHA / "book.py"


def slowed(source: str) -> str:
    """The book's code, slowed down a little in every forward pass so grading lasts a few
    seconds and the page's 1 s polling sees checks arrive while others still run."""
    source = source.replace("import torch\n", "import time\nimport torch\n", 1)
    return re.sub(r"(\n    def forward\(self, x\):\n)", r"\1        time.sleep(0.03)\n", source)


def test_it_grades_code_edited_in_the_page_and_shows_the_checks_arrive(
    page: Any,
    live_server: Any,
    alice: User,
    page_problems: PageProblems,
    grading_worker: Worker,  # noqa: F811
) -> None:
    call_command("load_content", verbosity=0)
    spec = get_spec(MHA)
    assert spec is not None
    total = len(spec.checks)
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/learn/challenges/{MHA}/")

    panel = page.locator("#grading-panel")
    editor = panel.locator(".CodeMirror")
    editor.wait_for()
    assert "class MultiHeadAttentionWrapper(nn.Module):" in page.evaluate(
        "document.querySelector('#grading-panel .CodeMirror').CodeMirror.getValue()"
    )  # the starter template
    page.evaluate(
        "src => document.querySelector('#grading-panel .CodeMirror').CodeMirror.setValue(src)",
        slowed(BOOK.read_text(encoding="utf-8")),
    )
    # Type at the end like a learner (the last line is empty): Tab indents by four spaces.
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Tab")
    page.keyboard.type("# typed in the browser")
    page.keyboard.press("Control+Enter")

    status = panel.locator("#submission-status")
    seen: set[tuple[str, int]] = set()
    deadline = time.monotonic() + 60
    while True:
        state = status.get_attribute("data-status") or ""
        seen.add((state, status.locator(".check-result").count()))
        if state in ("pass", "fail", "error"):
            break
        grading_worker.assert_alive()
        assert time.monotonic() < deadline, f"no verdict in the page; saw {sorted(seen)}"
        page.wait_for_timeout(100)

    submission = Submission.objects.get(learner=alice)
    assert submission.source.endswith("context_vec\n    # typed in the browser")
    assert state == "pass", submission.message
    # Live: the page showed the submission waiting or running before its verdict, and (with
    # the slowed code) some checks before all of them.
    assert {s for s, _ in seen} & {"queued", "running"}, sorted(seen)
    assert any(s == "running" and 0 < n < total for s, n in seen), sorted(seen)
    assert status.locator(".check-result.check-pass").count() == total
    xp = Challenge.objects.get(slug=MHA).xp
    assert "✓ Passed" in status.inner_text() and f"+{xp} XP" in status.inner_text()
    # Polling stopped, and the history table refreshed itself with the verdict.
    assert status.get_attribute("hx-trigger") is None
    row = panel.locator(f"#submission-history tr[data-submission='{submission.pk}']")
    row.get_by_text("Passed").wait_for()

    # Resubmitting from the same page makes a new submission: the htmx answer replaced the
    # form's one-time token (a replay of the old one would return the first submission).
    page.evaluate(
        "src => document.querySelector('#grading-panel .CodeMirror').CodeMirror.setValue(src)",
        BOOK.read_text(encoding="utf-8"),
    )
    editor.click()
    page.keyboard.press("Control+Enter")
    second = panel.locator("#submission-status[data-status='pass']").filter(
        has_not_text=f"Submission #{submission.pk} "
    )
    second.wait_for(timeout=30_000)
    assert Submission.objects.filter(learner=alice).count() == 2
    page_problems.assert_clean()
