"""In Chromium, with a real Celery worker: the attention explorer computes its maps on the
worker, redraws them for the mask, dropout and head, and runs a learner's own
MultiHeadAttention in the grading sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from accounts.models import User
from curriculum.models import Challenge
from grading.models import Submission
from playgrounds import attention
from playgrounds.models import PlaygroundRun
from tests.conftest import PageProblems, log_in
from tests.grading.worker import Worker, grading_worker  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOOK = Path(__file__).resolve().parents[1] / "grading" / "solutions" / "multi-head-attention"
# The first computation may train the model (seconds, once per deployment).
FIRST_MAPS_MS = 150_000

# Records whether the progress box was ever shown (installed before the page's scripts).
WATCH_PROGRESS = """
window.__progressSeen = false;
new MutationObserver(function () {
  var box = document.getElementById("attention-run");
  if (box && !box.hidden) { window.__progressSeen = true; }
}).observe(document, { attributes: true, childList: true, subtree: true });
"""


def cells(page: Page) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        "#attention-svg .att-cell",
        """els => els.map(g => ({row: +g.dataset.row, col: +g.dataset.col,
            cls: g.getAttribute("class"), value: +g.dataset.value,
            fill: g.querySelector("rect").getAttribute("fill")}))""",
    )


def cell(page: Page, row: int, col: int) -> Any:
    return page.locator(f'#attention-svg .att-cell[data-row="{row}"][data-col="{col}"]')


def dropped(page: Page) -> set[tuple[int, int]]:
    return {(c["row"], c["col"]) for c in cells(page) if "is-dropped" in c["cls"]}


def test_a_visitor_explores_masks_heads_and_dropout(
    live_server: Any,
    page: Page,
    page_problems: PageProblems,
    grading_worker: Worker,  # noqa: F811
) -> None:
    page.add_init_script(WATCH_PROGRESS)
    page.goto(f"{live_server.url}/play/attention/")
    expect(page.locator("#attention-form[data-ready=true]")).to_be_attached()
    svg = page.locator('#attention-svg[data-drawn="client"]')
    svg.wait_for(timeout=FIRST_MAPS_MS)
    grading_worker.assert_alive()
    assert page.evaluate("window.__progressSeen") is True
    expect(page.locator("#attention-run")).to_be_hidden()

    # The default sentence: 12 tokens, the causal mask on, hatched above the diagonal.
    run = PlaygroundRun.objects.get(kind="attention-maps", status="done")
    result = run.result
    weights = np.array(result["maps"]["causal"])
    n = len(result["tokens"])
    assert n == 12 and len(cells(page)) == n * n
    expect(page.locator("#attention-svg .att-cell.is-masked")).to_have_count(n * (n - 1) // 2)
    assert cell(page, 0, 1).get_attribute("class") == "att-cell is-masked"
    assert cell(page, 0, 1).locator("rect").get_attribute("fill") == "url(#att-hatch)"
    assert abs(float(cell(page, 5, 2).get_attribute("data-value")) - weights[0, 0, 5, 2]) < 1e-6
    expect(page.locator(".att-mini")).to_have_count(16)
    expect(page.locator("#attention-readout")).to_contain_text("Point at a cell")
    cell(page, 5, 2).hover()
    expect(page.locator("#attention-readout")).to_contain_text(f"{weights[0, 0, 5, 2]:.4f}")
    page.locator("#attention-svg").focus()  # by keyboard: the first key lands on (0, 0)
    for key in ("ArrowDown", "ArrowDown", "ArrowDown", "ArrowRight", "ArrowRight"):
        page.keyboard.press(key)
    expect(page.locator("#attention-svg .att-cell.is-cursor")).to_have_attribute("data-row", "2")
    expect(page.locator("#attention-readout")).to_contain_text(
        f"“always” → “always”: {weights[0, 0, 2, 2]:.4f}"
    )

    # Mask off: the upper triangle is coloured by the unmasked model's weights.
    page.get_by_label("Off: every token sees the whole sentence").check()
    expect(page.locator("#attention-svg .att-cell.is-masked")).to_have_count(0)
    upper = cell(page, 0, 1)
    assert upper.get_attribute("class") in ("att-cell", "att-cell is-dark")
    assert (upper.locator("rect").get_attribute("fill") or "").startswith("rgb(")
    full = np.array(result["maps"]["none"])
    assert abs(float(upper.get_attribute("data-value")) - full[0, 0, 0, 1]) < 1e-6
    assert full[0, 0, 0, 1] > 0

    # Another head: the enlarged picture changes.
    before = [c["fill"] for c in cells(page)]
    page.locator('.att-mini[data-layer="2"][data-head="1"]').click()
    expect(page.locator("#map-layer")).to_have_text("3")
    expect(page.locator("#map-head")).to_have_text("2")
    expect(page.locator('.att-mini.is-selected[data-layer="2"][data-head="1"]')).to_have_count(1)
    after = [c["fill"] for c in cells(page)]
    assert after != before
    assert abs(float(cell(page, 4, 7).get_attribute("data-value")) - full[2, 1, 4, 7]) < 1e-6

    # Dropout p = 0.5: the cells the server's generator drops, survivors doubled.
    page.get_by_label("p = 0.5").check()
    keep = attention.dropout_keep(1, 2, 1, n, 0.5)
    assert dropped(page) == {(i, j) for i in range(n) for j in range(n) if not keep[i, j]}
    survivor = next((i, j) for i in range(n) for j in range(n) if keep[i, j])
    value = float(cell(page, *survivor).get_attribute("data-value"))
    assert abs(value - 2 * full[2, 1, survivor[0], survivor[1]]) < 2e-6
    expect(page.locator("#attention-note")).to_contain_text("multiplied by 1 / (1 − 0.5) = 2")
    first = dropped(page)
    page.get_by_role("button", name="New dropout sample").click()
    expect(page.locator("#seed-value")).to_have_text("2")
    keep = attention.dropout_keep(2, 2, 1, n, 0.5)
    assert dropped(page) == {(i, j) for i in range(n) for j in range(n) if not keep[i, j]}
    assert dropped(page) != first
    assert "mask=none" in page.url and "dropout=0.5" in page.url and "seed=2" in page.url

    # A new sentence: a new computation, a new picture; rare tokens are marked.
    page.fill("#id_text", "Your journey starts with one step")
    page.get_by_role("button", name="Show attention").click()
    expect(page.locator("#attention-svg .att-cell")).to_have_count(36, timeout=60_000)
    expect(page.locator("#attention-svg .att-queries .att-label.is-rare")).to_have_count(4)
    assert "journey" in page.url
    page_problems.assert_clean()

    # Too long: told exactly what to change, at the field; the text and the picture stay.
    long = "word " * 20
    page.fill("#id_text", long)
    page.get_by_role("button", name="Show attention").click()
    expect(page.locator("#text-error")).to_have_text(
        "Your sentence is 20 GPT-2 tokens long; the explorer shows at most 16 (bigger maps "
        "are unreadable). Remove 4 tokens (about 3 words)."
    )
    expect(page.locator("#id_text")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_text")).to_have_value(long)
    expect(page.locator("#attention-svg .att-cell")).to_have_count(36)
    assert page_problems.failed_requests == [f"400 {live_server.url}/play/attention/run/"]
    assert all("400" in error for error in page_problems.console_errors)


def test_a_learner_sees_her_own_multi_head_attention_beside_the_reference(
    live_server: Any,
    page: Page,
    page_problems: PageProblems,
    alice: User,
    grading_worker: Worker,  # noqa: F811
) -> None:
    call_command("load_content", verbosity=0)
    submission = Submission.objects.create(
        learner=alice,
        challenge=Challenge.objects.get(slug="multi-head-attention"),
        source=(BOOK / "book.py").read_text(),
        status=Submission.Status.PASS,
    )
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/play/attention/?text=The+cat+sat+on+the+mat.")
    page.locator('#attention-svg[data-drawn="client"]').wait_for(timeout=FIRST_MAPS_MS)
    mine = page.get_by_label(f"Your MultiHeadAttention (submission #{submission.pk}", exact=False)
    mine.check()
    page.locator('#attention-svg[data-source="submission"]').wait_for(timeout=60_000)
    grading_worker.assert_alive()

    expect(page.locator("#attention-compare")).to_contain_text("Your maps match the reference")
    expect(page.locator("#attention-source")).to_contain_text(f"submission #{submission.pk}")
    expect(page.locator("#attention-svg .att-cell")).to_have_count(49)
    expect(page.locator("#attention-svg .att-cell.is-masked")).to_have_count(21)
    expect(page.get_by_label("Off: every token sees the whole sentence")).to_be_disabled()
    expect(page.locator("#mask-note")).to_be_visible()
    run = PlaygroundRun.objects.get(kind="attention-submission", status="done")
    assert run.owner == alice and run.params["submission"] == submission.pk
    yours = np.array(run.result["maps"]["causal"])
    reference = np.array(run.result["reference"]["causal"])
    assert np.abs(yours - reference).max() < 2e-6
    assert abs(float(cell(page, 3, 1).get_attribute("data-value")) - yours[0, 0, 3, 1]) < 1e-6
    assert "reference" in (cell(page, 3, 1).locator("title").text_content() or "")

    # Back to the project's model: the mask can be switched again.
    page.get_by_label("The small GPT, trained").check()
    page.locator('#attention-svg[data-source="trained"]').wait_for(timeout=60_000)
    expect(page.get_by_label("Off: every token sees the whole sentence")).to_be_enabled()
    page_problems.assert_clean()
