"""The review session, rate, undo, settings and card list views."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from curriculum.models import Card
from flashcards.models import CardState, ReviewLog, ReviewSettings
from flashcards.reviews import record_review
from progress.days import now_utc
from progress.models import XPEntry
from tests.flashcards.conftest import Deck

HTMX = {"HTTP_HX_REQUEST": "true"}
REVIEW = reverse("flashcards:review")
RATE = reverse("flashcards:rate")
UNDO = reverse("flashcards:undo")
SETTINGS = reverse("flashcards:settings")
CARDS = reverse("flashcards:cards")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(html: str) -> dict[str, str]:
    """The hidden fields of the rendered rating form."""
    fields = dict(
        re.findall(r'<input type="hidden" name="(card|token|reps)" value="([^"]*)"', html)
    )
    assert set(fields) == {"card", "token", "reps"}, html
    return fields


@pytest.fixture
def session(deck: Deck, alice: User) -> Client:
    return _client(alice)


# --- review ---------------------------------------------------------------------------


def test_it_shows_the_first_new_card_with_the_interval_each_button_gives(
    session: Client, deck: Deck
) -> None:
    response = session.get(REVIEW)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert 'id="review-session"' in html and "Question 1?" in html and "Answer 1" in html
    assert "<code>code</code>" in html  # card markup
    # fsrs's learning steps for a new card: Again 1m, Hard 6m, Good 10m, Easy days.
    for name, interval in (("Again", "1m"), ("Hard", "6m"), ("Good", "10m")):
        assert re.search(
            rf'rate-name">{name}</span>\s*<span class="rate-interval">{interval}<', html
        )
    assert "js/review.js" in html
    assert "4 new" in html


def test_it_renders_only_the_session_partial_for_htmx(session: Client) -> None:
    html = session.get(REVIEW, **HTMX).content.decode()
    assert html.lstrip().startswith('<section id="review-session"') and "<html" not in html


def test_it_says_when_everything_is_done(alice: User, db: None) -> None:
    html = _client(alice).get(REVIEW).content.decode()
    assert "All done for now" in html and "No cards yet" in html


def test_it_sends_anonymous_visitors_to_log_in(client: Client, deck: Deck) -> None:
    for url, method in (
        (REVIEW, "get"),
        (RATE, "post"),
        (UNDO, "post"),
        (SETTINGS, "get"),
        (CARDS, "get"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("url", "method"),
    [(REVIEW, "post"), (RATE, "get"), (UNDO, "get"), (CARDS, "post"), (SETTINGS, "put")],
)
def test_it_refuses_the_wrong_http_method(session: Client, url: str, method: str) -> None:
    assert getattr(session, method)(url).status_code == 405


# --- rate -----------------------------------------------------------------------------


def test_it_rates_a_card_and_swaps_in_the_next_one(session: Client, alice: User) -> None:
    form = _form(session.get(REVIEW).content.decode())
    response = session.post(RATE, {**form, "rating": "3", "duration": "5300"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="review-session"')
    assert "Question 2?" in html  # the next new card
    assert "1</strong> reviewed today" in html and "Undo “Good” on #1" in html
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["xp-changed"]["total"] == 1
    log = ReviewLog.objects.get()
    assert (log.learner, log.card.number, log.rating, log.duration_ms) == (alice, 1, 3, 5300)


def test_it_redirects_a_plain_form_post_back_to_the_session(session: Client) -> None:
    form = _form(session.get(REVIEW).content.decode())
    response = session.post(RATE, {**form, "rating": "4"})
    assert response.status_code == 302 and response["Location"] == REVIEW
    assert ReviewLog.objects.count() == 1


def test_it_changes_nothing_on_a_replayed_rating(session: Client, alice: User) -> None:
    form = _form(session.get(REVIEW).content.decode())
    first = session.post(RATE, {**form, "rating": "3"}, **HTMX)
    state = CardState.objects.get().snapshot()
    replay = session.post(RATE, {**form, "rating": "3"}, **HTMX)
    assert replay.status_code == 200 and "HX-Trigger" not in replay
    assert ReviewLog.objects.count() == 1 and CardState.objects.get().snapshot() == state
    assert XPEntry.objects.filter(learner=alice).count() == 1
    # The same next card both times: a double click lands where the first click did.
    assert _form(replay.content.decode())["card"] == _form(first.content.decode())["card"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rating": "7"}, "Choose Again (1), Hard (2), Good (3) or Easy (4)."),
        ({"rating": ""}, "Choose Again (1), Hard (2), Good (3) or Easy (4)."),
        ({"token": ""}, "This card&#x27;s form is incomplete; reload the page."),
        ({"token": "short"}, "This card&#x27;s form is damaged; reload the page."),
    ],
)
def test_it_explains_a_bad_rating_and_keeps_the_card(
    session: Client, change: dict[str, str], message: str
) -> None:
    form = _form(session.get(REVIEW).content.decode())
    response = session.post(RATE, {**form, "rating": "3", **change})
    html = response.content.decode()
    assert response.status_code == 400 and message in html and "Question 1?" in html
    assert not ReviewLog.objects.exists()
    htmx = session.post(RATE, {**form, "rating": "3", **change}, **HTMX)
    assert htmx.status_code == 200 and message in htmx.content.decode()


def test_it_refuses_a_card_that_is_not_on_offer(session: Client, deck: Deck) -> None:
    form = _form(session.get(REVIEW).content.decode())
    response = session.post(RATE, {**form, "card": "7", "rating": "3"})
    assert response.status_code == 400 and "not reached" in response.content.decode()
    assert not ReviewLog.objects.exists()


def test_it_404s_for_an_unknown_card(session: Client) -> None:
    form = _form(session.get(REVIEW).content.decode())
    assert session.post(RATE, {**form, "card": "99", "rating": "3"}).status_code == 404


def test_it_404s_when_replaying_another_learners_review(
    session: Client, deck: Deck, bob: User
) -> None:
    form = _form(session.get(REVIEW).content.decode())
    session.post(RATE, {**form, "rating": "3"})
    thief = _client(bob)
    assert thief.post(RATE, {**form, "rating": "3"}).status_code == 404
    assert not ReviewLog.objects.filter(learner=bob).exists()


def test_it_tells_when_the_card_was_rated_in_another_window(session: Client) -> None:
    form_a = _form(session.get(REVIEW).content.decode())
    form_b = _form(session.get(REVIEW).content.decode())  # a second tab, same card
    session.post(RATE, {**form_a, "rating": "1"}, **HTMX)
    response = session.post(RATE, {**form_b, "rating": "4"})
    assert (
        response.status_code == 409
        and "already rated in another window" in response.content.decode()
    )
    assert ReviewLog.objects.count() == 1


# --- undo -----------------------------------------------------------------------------


def test_it_undoes_the_last_rating(session: Client, alice: User) -> None:
    form = _form(session.get(REVIEW).content.decode())
    session.post(RATE, {**form, "rating": "1"}, **HTMX)
    log = ReviewLog.objects.get()
    response = session.post(UNDO, {"review": log.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "Took back “Again” on card #1" in html
    assert "Question 1?" in html and not CardState.objects.exists()
    assert json.loads(response["HX-Trigger"])["xp-changed"]["total"] == 0
    # Replayed: nothing more is undone.
    replay = session.post(UNDO, {"review": log.pk}, **HTMX)
    assert "already taken back" in replay.content.decode() and "HX-Trigger" not in replay


def test_it_redirects_a_plain_undo_with_a_message(session: Client) -> None:
    form = _form(session.get(REVIEW).content.decode())
    session.post(RATE, {**form, "rating": "3"})
    response = session.post(UNDO, {"review": ReviewLog.objects.get().pk}, follow=True)
    assert response.redirect_chain == [(REVIEW, 302)]
    assert "Took back “Good”" in response.content.decode()


def test_it_404s_when_undoing_another_learners_review(deck: Deck, alice: User, bob: User) -> None:
    log = record_review(learner=bob, card=deck.cards[1], rating=3, token="b" * 32)
    response = _client(alice).post(UNDO, {"review": log.pk})
    assert response.status_code == 404
    assert ReviewLog.objects.effective().get() == log


def test_it_explains_a_malformed_undo(session: Client) -> None:
    response = session.post(UNDO, {"review": "abc"})
    assert response.status_code == 400 and "Enter a whole number" in response.content.decode()


def test_it_offers_no_undo_for_an_old_rating(deck: Deck, alice: User) -> None:
    record_review(
        learner=alice,
        card=deck.cards[1],
        rating=3,
        token="a" * 32,
        now=now_utc() - timedelta(hours=2),
    )
    assert 'id="undo-form"' not in _client(alice).get(REVIEW).content.decode()


# --- settings -------------------------------------------------------------------------


def test_it_shows_and_saves_flashcard_settings(session: Client, alice: User) -> None:
    html = session.get(SETTINGS).content.decode()
    assert 'value="90"' in html and 'value="10"' in html and "default parameters" in html
    response = session.post(SETTINGS, {"retention_percent": "85", "new_per_day": "5"})
    assert response.status_code == 302
    prefs = ReviewSettings.objects.get(learner=alice)
    assert (prefs.desired_retention, prefs.new_per_day) == (0.85, 5)
    again = session.post(SETTINGS, {"retention_percent": "85", "new_per_day": "5"}, **HTMX)
    assert again.status_code == 200 and "saved" in again.content.decode()
    assert ReviewSettings.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"retention_percent": "99", "new_per_day": "5"}, "less than or equal to 97"),
        ({"retention_percent": "50", "new_per_day": "5"}, "greater than or equal to 70"),
        ({"retention_percent": "90", "new_per_day": "80"}, "less than or equal to 50"),
        ({"retention_percent": "", "new_per_day": "5"}, "This field is required"),
    ],
)
def test_it_explains_invalid_settings_and_keeps_the_old_ones(
    session: Client, alice: User, data: dict[str, str], message: str
) -> None:
    response = session.post(SETTINGS, data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not ReviewSettings.objects.filter(learner=alice).exists()
    htmx = session.post(SETTINGS, data, **HTMX)
    assert htmx.content.decode().lstrip().startswith('<section id="review-settings"')


# --- card list ------------------------------------------------------------------------


def test_it_lists_the_learners_cards_and_their_leeches(deck: Deck, alice: User, bob: User) -> None:
    record_review(learner=alice, card=deck.cards[1], rating=3, token="a" * 32)
    record_review(learner=bob, card=deck.cards[2], rating=3, token="b" * 32)
    CardState.objects.filter(learner=bob).update(leech=True, lapses=9)
    client = _client(alice)
    html = client.get(CARDS).content.decode()
    assert "Topic 1" in html and "Learning" in html and "Leech</span>" not in html
    leeches = client.get(CARDS + "?leeches=1").content.decode()
    assert "No leeches" in leeches  # bob's leech is not alice's
    partial = client.get(CARDS, **HTMX).content.decode()
    assert partial.lstrip().startswith('<section id="card-list"')
    CardState.objects.filter(learner=alice).update(leech=True, lapses=8)
    assert "Topic 1" in client.get(CARDS + "?leeches=1").content.decode()


def test_it_shows_the_cards_due_on_the_home_page(content: None, alice: User) -> None:
    html = _client(alice).get(reverse("home")).content.decode()
    spot = re.search(r'<div id="cards-due".*?</div>', html, re.S)
    assert spot is not None and "<strong>4</strong> cards to study today" in spot.group(0)
    assert reverse("flashcards:review") in spot.group(0)


def test_it_anchors_each_card_so_check_results_can_link_to_it(
    content: None, alice: User, client: Client
) -> None:
    client.force_login(alice)

    html = client.get(CARDS).content.decode()

    assert 'id="card-9"' in html
    card = Card.objects.get(number=9)
    assert card.front and card.front in html
