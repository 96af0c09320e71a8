"""In Chromium, with a real Celery worker: the embedding explorer trains its embedding,
shows the progress, draws the word map, looks a word up, and redraws for the untrained
embedding."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PageProblems
from tests.grading.worker import Worker, grading_worker  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _position(page: Page, word: str) -> tuple[str | None, str | None]:
    circle = page.locator(f'#emb-plot .emb-point[data-token="{word}"] circle')
    return circle.get_attribute("cx"), circle.get_attribute("cy")


def _wait_for_map(page: Page, worker: Worker) -> list[tuple[str, str]]:
    """What the progress box showed (state, stage) until the map was drawn."""
    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + 60
    while page.locator("#emb-plot").get_attribute("data-state") != "ready":
        box = page.locator("#emb-run")
        if box.is_visible():
            seen.append(
                (box.get_attribute("data-state") or "", box.locator(".run-stage").inner_text())
            )
        worker.assert_alive()
        assert page.locator("#emb-run .run-error").inner_text() == ""
        assert time.monotonic() < deadline, f"no map; the progress box showed {seen}"
        page.wait_for_timeout(40)
    return seen


def test_a_learner_trains_the_embedding_looks_a_word_up_and_compares_with_untrained(
    live_server: object,
    page: Page,
    page_problems: PageProblems,
    grading_worker: Worker,  # noqa: F811
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    # 64 dimensions and 30 epochs: the slowest training, so its progress is seen.
    page.goto(f"{base}/play/embeddings/?dim=64&epochs=30")
    expect(page.locator("#emb-form[data-ready=true]")).to_be_attached()
    seen = _wait_for_map(page, grading_worker)
    stages = [stage for _, stage in seen]
    assert any(state in ("queued", "running") for state, _ in seen), seen
    assert any(re.fullmatch(r"Training: epoch \d+/30, loss \d+\.\d\d", s) for s in stages), seen
    expect(page.locator("#emb-run")).to_be_hidden()

    points = page.locator("#emb-plot .emb-point")
    expect(points).to_have_count(300)
    assert page.locator("#emb-plot .emb-point.is-labelled").count() >= 30
    expect(page.locator("#emb-caption")).to_contain_text("64 dimensions · trained for 30 epochs")
    expect(page.locator("#emb-variance")).to_contain_text("% of the variance")
    expect(page.locator("#emb-loss")).to_contain_text("before training →")
    expect(page.locator("#emb-loss-chart")).to_be_visible()
    expect(page.locator("#emb-loss-chart polyline")).to_be_attached()

    # Look a word up: its neighbours are listed with their scores and lit up on the map.
    page.locator("#id_word").fill("Query,")  # case and punctuation are ignored
    page.locator("#id_word").press("Enter")
    neighbours = page.locator("#emb-neighbours li")
    expect(neighbours).to_have_count(10)
    expect(page.locator("#emb-neighbours-title")).to_contain_text("Nearest to “query”")
    trained_neighbours = [item.get_attribute("data-word") for item in neighbours.all()]
    assert "key" in trained_neighbours[:3] and "value" in trained_neighbours[:3]
    expect(page.locator("#emb-plot")).to_have_class(re.compile(r"\bhas-selection\b"))
    expect(page.locator('#emb-plot .emb-point.is-query[data-token="query"]')).to_have_count(1)
    lit = page.locator("#emb-plot .emb-point.is-neighbour")
    expect(lit).to_have_count(10)
    assert sorted(g.get_attribute("data-token") or "" for g in lit.all()) == sorted(
        trained_neighbours  # type: ignore[arg-type]
    )
    expect(page.locator("#emb-plot .emb-links line")).to_have_count(10)
    scores = [float(s) for s in page.locator("#emb-neighbours .emb-score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1

    # An unknown word: a clear message and suggestions that work when clicked.
    page.locator("#id_word").fill("temperatur")
    page.locator("#id_word").press("Enter")
    expect(page.locator("#word-error")).to_have_text("“temperatur” is not in the corpus.")
    expect(page.locator("#emb-neighbours")).to_be_hidden()
    suggestion = page.locator('#emb-suggestions button[data-word="temperature"]')
    suggestion.click()
    expect(page.locator("#word-error")).to_have_text("")
    expect(page.locator('#emb-plot .emb-point.is-query[data-token="temperature"]')).to_have_count(1)
    page.locator("#id_word").fill("the")
    page.locator("#id_word").press("Enter")
    expect(page.locator("#word-error")).to_contain_text("“the” is a function word")

    # Clicking a dot looks its word up.
    page.locator('#emb-plot .emb-point[data-token="query"] circle').click()
    expect(page.locator("#id_word")).to_have_value("query")
    expect(neighbours).to_have_count(10)

    # The untrained embedding: every dot moves and the neighbours become arbitrary.
    before = {word: _position(page, word) for word in ("attention", "query", "loss")}
    page.get_by_label("Untrained (random)").check()
    _wait_for_map(page, grading_worker)
    expect(page.locator("#emb-caption")).to_contain_text("untrained (random initialisation)")
    expect(page.locator("#emb-loss-chart")).to_be_hidden()
    for word, position in before.items():
        assert _position(page, word) != position, word
    expect(page.locator('#emb-plot .emb-point.is-query[data-token="query"]')).to_have_count(1)
    untrained_neighbours = [item.get_attribute("data-word") for item in neighbours.all()]
    assert len(untrained_neighbours) == 10
    assert len(set(untrained_neighbours) & set(trained_neighbours)) <= 2

    assert "trained=no" in page.url and "word=query" in page.url
    page_problems.assert_clean()
