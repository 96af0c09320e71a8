"""In Chromium: the tokenizer playground re-tokenizes as the learner types."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PageProblems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_types_and_the_tokens_change(
    live_server: object, page: Page, page_problems: PageProblems
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    page.goto(f"{base}/play/tokenizer/")
    expect(page.locator("#tokenizer-form[data-ready=true]")).to_be_attached()
    page.evaluate("window.__noReload = 1")
    bpe_count, simple_count = page.locator("#bpe-count"), page.locator("#simple-count")
    unknown = page.locator("#simple-unknown")
    # The book's example: 19 GPT-2 tokens; "Hello" and "palace" are unknown to the simple one.
    expect(bpe_count).to_have_attribute("data-count", "19")
    expect(unknown).to_have_attribute("data-count", "2")
    expect(page.locator("#simple-tokens .tok-unk")).to_have_text(["Hello", "palace"])
    expect(page.locator('#bpe-tokens .tok-special[data-ids="50256"]')).to_have_text("<|endoftext|>")

    box = page.locator("#id_text")
    box.fill("Hello, do you like tea?")
    expect(bpe_count).to_have_attribute("data-count", "7")
    expect(simple_count).to_have_attribute("data-count", "7")
    expect(page.locator("#text-count")).to_have_text("23 / 2,000 characters")

    box.press("End")
    box.press_sequentially(" unbelievably", delay=15)  # typed, key by key
    expect(bpe_count).to_have_attribute("data-count", "8")
    expect(page.locator("#bpe-tokens .tok").last).to_have_text("·unbelievably")
    expect(page.locator("#bpe-tokens .tok").last).to_have_attribute("data-ids", "48943")
    expect(unknown).to_have_attribute("data-count", "2")
    expect(page.locator("#simple-tokens .tok-unk").last).to_have_text("unbelievably")
    expect(page.locator("#simple-roundtrip")).to_contain_text("<|unk|>")
    assert "text=Hello" in page.url  # the address follows, so the result can be shared

    # An emoji split across byte tokens shows as the emoji, in one dashed span.
    box.fill("Hi 👋🏽")
    split = page.locator("#bpe-tokens .tok-split")
    expect(split).to_have_count(2)
    expect(split.first).to_have_text("·👋")
    expect(split.first).to_have_attribute("data-ids", "50169 233")
    assert "\ufffd" not in page.locator("#bpe-tokens").inner_text()
    expect(page.locator("#bpe-roundtrip")).to_contain_text("gives back exactly your text")
    split.first.hover()  # its two ids light up in the list
    expect(page.locator("#bpe-ids span.is-hot")).to_have_text(["50169", "233"])

    # 1,500 accented letters: sent as a POST body (a GET address could not hold them).
    box.fill("é" * 1500)
    expect(page.locator("#text-count")).to_have_text("1,500 / 2,000 characters")
    expect(bpe_count).to_have_attribute("data-count", "1500")
    assert page.url == f"{base}/play/tokenizer/"

    # Over the limit: a message with the length, no request, and the text stays.
    long_text = "tea " * 500 + "x"
    box.fill(long_text)
    expect(page.locator("#text-error")).to_have_text(
        "Your text is 2,001 characters long; the playground tokenizes at most 2,000. "
        "Shorten it by 1 character (your text is still in the box)."
    )
    expect(page.locator("#text-count")).to_have_class("small is-over")
    expect(page.locator("#tokenizer-result")).to_have_class("tok-result is-stale")
    assert box.input_value() == long_text

    box.press("End")
    box.press("Backspace")  # back to 2,000: tokenized again, the message goes
    expect(page.locator("#text-error")).to_have_text("")
    expect(bpe_count).to_have_attribute("data-count", "502")

    page.locator("#id_ids").check()  # ids under the tokens, drawn by CSS
    after = page.locator("#simple-tokens .tok").first.evaluate(
        "el => getComputedStyle(el, '::after').content"
    )
    assert after == '"975"'

    assert page.evaluate("window.__noReload") == 1
    page_problems.assert_clean()


def test_the_page_works_without_javascript(live_server: object, browser: object) -> None:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{live_server.url}/play/tokenizer/")  # type: ignore[attr-defined]
    page.locator("#id_text").fill("Akwirw ier")
    page.get_by_role("button", name="Tokenize").click()
    expect(page.locator("#bpe-ids")).to_have_text("[33901, 86, 343, 86, 220, 959]")
    expect(page.locator("#simple-tokens .tok-unk")).to_have_count(2)
    expect(page.locator("#id_text")).to_have_value("Akwirw ier")
    context.close()
