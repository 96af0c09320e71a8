"""In Chromium: the sampling explorer redraws its bars as the temperature slider moves."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PageProblems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _probability(page: Page, token: str) -> float:
    value = page.locator(f'#sampling-svg [data-token="{token}"] rect').get_attribute(
        "data-probability"
    )
    assert value is not None
    return float(value)


def test_a_learner_moves_the_temperature_and_the_bars_change(
    live_server: object, page: Page, page_problems: PageProblems
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    page.goto(f"{base}/play/sampling/")
    expect(page.locator("#sampling-form[data-ready=true]")).to_be_attached()
    page.evaluate("window.__noReload = 1")
    before = _probability(page, "forward")
    height = page.locator('#sampling-svg [data-token="forward"] rect').get_attribute("height")
    assert 0.5 < before < 0.6

    slider = page.locator("#id_temperature")
    slider.focus()
    slider.press("End")  # temperature 5: a much flatter distribution
    expect(page.locator("#temperature-value")).to_have_text("5.00")
    after = _probability(page, "forward")
    assert after < 0.3
    assert (
        page.locator('#sampling-svg [data-token="forward"] rect').get_attribute("height") != height
    )
    assert _probability(page, "pizza") > 0.02

    slider.press("Home")  # temperature 0: greedy
    expect(page.locator("#sampling-note")).to_contain_text("greedy")
    assert _probability(page, "forward") == 1.0

    page.locator("#id_logits").fill("1, 2, 3")
    expect(page.locator('#sampling-svg [data-token="#2"]')).to_be_attached()
    page.locator("#id_logits").fill("1, x")
    expect(page.locator("#logits-error")).to_contain_text("is not a number")

    assert page.evaluate("window.__noReload") == 1
    assert "temperature=0" in page.url
    page_problems.assert_clean()
