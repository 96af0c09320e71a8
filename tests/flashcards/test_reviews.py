"""record_review and undo_last: one review per token, the queue's rules, leeches, undo."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import close_old_connections

from accounts.models import User
from flashcards import queue, reviews
from flashcards.models import LEECH_LAPSES, CardState, ReviewLog, ReviewSettings
from flashcards.reviews import ForeignToken, ReviewError, StaleReview, record_review, undo_last
from progress import xp
from progress.models import XPEntry
from tests.factories import make_user
from tests.flashcards.conftest import Deck, make_deck

NOW = datetime(2025, 5, 5, 9, 0, tzinfo=UTC)


def _token() -> str:
    return uuid.uuid4().hex


def _review_xp(learner: User) -> int:
    return XPEntry.objects.filter(learner=learner, reason__startswith="review:").count()


def test_it_records_a_review_with_its_log_state_and_xp(deck: Deck, alice: User) -> None:
    card = deck.cards[1]
    log = record_review(
        learner=alice, card=card, rating=3, token=_token(), now=NOW, duration_ms=4200
    )
    state = CardState.objects.get(learner=alice, card=card)
    assert (log.card_state, log.rating, log.state_before, log.previous) == (state, 3, None, None)
    assert log.duration_ms == 4200 and log.reviewed_at == NOW
    assert (state.reps, state.state, state.introduced_at) == (1, CardState.State.LEARNING, NOW)
    assert log.interval_seconds == 600  # fsrs's second learning step after "Good"
    assert XPEntry.objects.get(learner=alice, reason=f"review:{log.pk}").amount == xp.REVIEW_XP


def test_it_returns_the_first_review_for_a_replayed_token(deck: Deck, alice: User) -> None:
    token = _token()
    first = record_review(learner=alice, card=deck.cards[1], rating=3, token=token, now=NOW)
    snapshot = CardState.objects.get(learner=alice, card=deck.cards[1]).snapshot()
    again = record_review(
        learner=alice, card=deck.cards[1], rating=1, token=token, now=NOW + timedelta(seconds=1)
    )
    assert again.pk == first.pk and again.rating == 3
    assert ReviewLog.objects.count() == 1 and _review_xp(alice) == 1
    assert CardState.objects.get(learner=alice, card=deck.cards[1]).snapshot() == snapshot


def test_it_refuses_a_token_another_learner_spent(deck: Deck, alice: User, bob: User) -> None:
    token = _token()
    record_review(learner=alice, card=deck.cards[1], rating=3, token=token, now=NOW)
    with pytest.raises(ForeignToken):
        record_review(learner=bob, card=deck.cards[1], rating=3, token=token, now=NOW)
    assert not CardState.objects.filter(learner=bob).exists()


def test_it_refuses_a_form_rendered_before_the_card_changed(deck: Deck, alice: User) -> None:
    record_review(learner=alice, card=deck.cards[1], rating=1, token=_token(), now=NOW)
    with pytest.raises(StaleReview, match="already rated"):
        record_review(
            learner=alice, card=deck.cards[1], rating=3, token=_token(), now=NOW, expected_reps=0
        )
    assert ReviewLog.objects.count() == 1


@pytest.mark.parametrize("rating", [0, 5, -1])
def test_it_refuses_a_rating_outside_one_to_four(deck: Deck, alice: User, rating: int) -> None:
    with pytest.raises(ReviewError, match="Again"):
        record_review(learner=alice, card=deck.cards[1], rating=rating, token=_token(), now=NOW)


def test_it_refuses_a_malformed_token(deck: Deck, alice: User) -> None:
    with pytest.raises(ReviewError, match="reload"):
        record_review(learner=alice, card=deck.cards[1], rating=3, token="x'; drop", now=NOW)


def test_it_only_offers_new_cards_from_reached_challenges(deck: Deck, alice: User) -> None:
    with pytest.raises(ReviewError, match="not reached"):
        record_review(learner=alice, card=deck.cards[7], rating=3, token=_token(), now=NOW)
    # Passing the first challenge makes the second current, not the third.
    xp.award(learner=alice, reason=xp.challenge_pass_reason("tokenizer"), amount=100)
    offered = [c.number for c in queue.new_cards(learner=alice, now=NOW)]
    assert offered == [5, 6, 49, 1, 2, 3, 48]  # the current challenge's key cards first


def test_it_keeps_to_the_daily_new_card_limit_in_the_learners_day(deck: Deck, alice: User) -> None:
    alice.timezone = "Asia/Tokyo"  # UTC+9: a new day starts at 15:00 UTC
    alice.save()
    ReviewSettings.objects.create(learner=alice, new_per_day=2)
    for number in (1, 2):
        record_review(learner=alice, card=deck.cards[number], rating=4, token=_token(), now=NOW)
    assert queue.new_cards(learner=alice, now=NOW) == []
    with pytest.raises(ReviewError, match="new-card limit"):
        record_review(learner=alice, card=deck.cards[3], rating=3, token=_token(), now=NOW)
    tokyo_tomorrow = datetime(2025, 5, 5, 15, 0, tzinfo=UTC)
    assert [c.number for c in queue.new_cards(learner=alice, now=tokyo_tomorrow)] == [3, 48]


def test_it_refuses_a_review_card_before_its_day(deck: Deck, alice: User) -> None:
    record_review(learner=alice, card=deck.cards[1], rating=4, token=_token(), now=NOW)
    state = CardState.objects.get(learner=alice, card=deck.cards[1])
    assert state.state == CardState.State.REVIEW
    with pytest.raises(ReviewError, match="not due until"):
        record_review(learner=alice, card=deck.cards[1], rating=3, token=_token(), now=NOW)
    # Due any time on its due day (Anki's day-based review queue).
    morning = state.due.replace(hour=0, minute=1)
    assert (
        queue.unavailable_reason(learner=alice, card=deck.cards[1], state=state, now=morning)
        is None
    )


def test_it_counts_lapses_and_flags_a_leech(deck: Deck, alice: User) -> None:
    card = deck.cards[1]
    now = NOW
    record_review(learner=alice, card=card, rating=4, token=_token(), now=now)
    while not (state := CardState.objects.get(learner=alice, card=card)).leech:
        now = max(now, state.due) + timedelta(minutes=1)
        rating = 1 if state.state == CardState.State.REVIEW else 4
        record_review(learner=alice, card=card, rating=rating, token=_token(), now=now)
    assert state.lapses == LEECH_LAPSES
    assert list(CardState.objects.leeches()) == [state]


def test_it_undoes_the_last_rating_exactly(deck: Deck, alice: User) -> None:
    card = deck.cards[1]
    record_review(learner=alice, card=card, rating=3, token=_token(), now=NOW)
    before = CardState.objects.get(learner=alice, card=card).snapshot()
    later = NOW + timedelta(minutes=11)
    log = record_review(learner=alice, card=card, rating=1, token=_token(), now=later)
    undone = undo_last(learner=alice, expected_id=log.pk, now=later + timedelta(seconds=5))
    assert undone is not None and undone.pk == log.pk
    assert CardState.objects.get(learner=alice, card=card).snapshot() == before
    log.refresh_from_db()
    assert log.undone_at is not None
    assert not XPEntry.objects.filter(reason=f"review:{log.pk}").exists()
    assert ReviewLog.objects.effective().count() == 1


def test_it_makes_a_card_new_again_when_its_first_review_is_undone(deck: Deck, alice: User) -> None:
    log = record_review(learner=alice, card=deck.cards[1], rating=3, token=_token(), now=NOW)
    assert undo_last(learner=alice, now=NOW + timedelta(minutes=1)) is not None
    assert not CardState.objects.filter(learner=alice).exists()
    assert deck.cards[1] in queue.new_cards(learner=alice, now=NOW)
    # The token stays spent: replaying the undone rating does not bring it back.
    replay = record_review(learner=alice, card=deck.cards[1], rating=3, token=log.token, now=NOW)
    assert replay.pk == log.pk and not CardState.objects.filter(learner=alice).exists()


def test_it_ignores_a_replayed_undo(deck: Deck, alice: User) -> None:
    first = record_review(learner=alice, card=deck.cards[1], rating=3, token=_token(), now=NOW)
    second = record_review(learner=alice, card=deck.cards[2], rating=3, token=_token(), now=NOW)
    assert undo_last(learner=alice, expected_id=second.pk, now=NOW) is not None
    assert undo_last(learner=alice, expected_id=second.pk, now=NOW) is None
    assert ReviewLog.objects.effective().get() == first  # the earlier rating stands


def test_it_only_undoes_recent_ratings(deck: Deck, alice: User) -> None:
    log = record_review(learner=alice, card=deck.cards[1], rating=3, token=_token(), now=NOW)
    late = NOW + reviews.UNDO_WINDOW + timedelta(seconds=1)
    assert undo_last(learner=alice, expected_id=log.pk, now=late) is None
    assert ReviewLog.objects.effective().count() == 1


def test_it_caps_review_xp_per_day(
    deck: Deck, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xp, "REVIEW_XP_DAILY_CAP", 2)
    for number in (1, 2, 3):
        record_review(learner=alice, card=deck.cards[number], rating=3, token=_token(), now=NOW)
    assert ReviewLog.objects.count() == 3 and _review_xp(alice) == 2


def test_it_clamps_an_implausible_review_duration(deck: Deck, alice: User) -> None:
    log = record_review(
        learner=alice, card=deck.cards[1], rating=3, token=_token(), now=NOW, duration_ms=10**9
    )
    assert log.duration_ms == reviews.MAX_DURATION_MS


@pytest.mark.django_db(transaction=True)
def test_it_records_one_review_when_the_same_rating_arrives_concurrently() -> None:
    """Eight threads, eight connections, one token: one review, one XP award."""
    deck = make_deck()
    learner = make_user("racer")
    token = _token()
    barrier = threading.Barrier(8)
    results: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait()
            log = record_review(learner=learner, card=deck.cards[1], rating=3, token=token)
            results.append(log.pk)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1 and len(results) == 8
    assert ReviewLog.objects.count() == 1
    assert CardState.objects.get().reps == 1
    assert XPEntry.objects.filter(learner=learner).count() == 1
