"""flashcards/queue.py's counts: the nav's "N due" in one query, with the same new-card
limit as the cards next_item actually offers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from flashcards import queue
from flashcards.models import REVIEW, CardState, ReviewSettings
from flashcards.reviews import record_review, undo_last
from progress import activity, xp
from tests.flashcards.conftest import Deck

NOW = datetime(2025, 5, 5, 9, 0, tzinfo=UTC)


def _review(learner: User, card: object, *, rating: int = 3, now: datetime = NOW) -> None:
    record_review(learner=learner, card=card, rating=rating, token=uuid.uuid4().hex, now=now)  # type: ignore[arg-type]


def _new(learner: User, now: datetime = NOW) -> tuple[int, int]:
    """New cards as counted, and as offered."""
    return queue.counts(learner=learner, now=now).new, len(
        queue.new_cards(learner=learner, now=now)
    )


def test_it_counts_as_many_new_cards_as_it_offers(deck: Deck, alice: User) -> None:
    assert _new(alice) == (4, 4)  # the tokenizer's key cards
    xp.award(learner=alice, reason=xp.challenge_pass_reason("tokenizer"), amount=100)
    assert _new(alice) == (7, 7)  # and the embeddings' cards
    ReviewSettings.objects.create(learner=alice, new_per_day=5)
    for number in (5, 6):
        _review(alice, deck.cards[number])
    assert _new(alice) == (3, 3)  # five a day, two introduced today, five left to learn
    ReviewSettings.objects.filter(learner=alice).update(new_per_day=2)
    assert _new(alice) == (0, 0)  # today's limit is used up
    tomorrow = NOW + timedelta(days=1)
    assert _new(alice, tomorrow) == (2, 2)  # a new day, a new limit
    ReviewSettings.objects.filter(learner=alice).update(new_per_day=50)
    assert _new(alice, tomorrow) == (5, 5)  # only five cards left unseen


def test_an_undone_first_review_gives_the_card_back(deck: Deck, alice: User) -> None:
    _review(alice, deck.cards[1])
    assert _new(alice) == (3, 3)
    undo_last(learner=alice, now=NOW)
    assert _new(alice) == (4, 4)


def test_it_counts_the_queue_in_one_query_given_the_reached_challenges(
    deck: Deck, alice: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    _review(alice, deck.cards[1], rating=4)  # a review card, due in a few days
    _review(alice, deck.cards[2], rating=1)  # a learning card, due in a minute
    CardState.objects.filter(learner=alice, card=deck.cards[1]).update(
        due=NOW - timedelta(days=1), leech=True
    )
    reached = activity.reached_challenges(learner=alice)

    with django_assert_num_queries(1):
        counts = queue.counts(learner=alice, now=NOW, reached=reached)
    with django_assert_num_queries(2):  # the learner's standing, then the counts
        assert queue.counts(learner=alice, now=NOW) == counts

    assert CardState.objects.get(learner=alice, card=deck.cards[1]).state == REVIEW
    assert (counts.new, counts.learning, counts.review) == (2, 1, 1)
    assert (counts.reviewed_today, counts.leeches, counts.remaining) == (2, 1, 4)


# --- what the review page keeps in the page cache (queue.upcoming_states) -----------------


def test_the_days_upcoming_rows_pick_the_card_the_queries_pick_whatever_the_time(
    deck: Deck, alice: User
) -> None:
    """The review page keeps ``upcoming_states`` for the day and lets the clock choose from
    it: the same card as the queries, and the same counts, at every moment of the day."""
    _review(alice, deck.cards[1], rating=4)  # a review card, due in a few days
    _review(alice, deck.cards[2], rating=1)  # learning, due in a minute
    _review(alice, deck.cards[3], rating=3)  # learning, due in ten minutes
    CardState.objects.filter(learner=alice, card=deck.cards[1]).update(due=NOW + timedelta(hours=3))
    reached = activity.reached_challenges(learner=alice)
    upcoming = queue.upcoming_states(learner=alice, now=NOW)
    cached_counts = queue.counts(learner=alice, now=NOW, reached=reached)

    for minutes in (0, 1, 5, 11, 30, 179, 181, 60 * 14):
        now = NOW + timedelta(minutes=minutes)
        expected = queue.next_item(learner=alice, now=now, reached=reached)
        served = queue.next_item(
            learner=alice,
            now=now,
            upcoming=upcoming,
            first_new=lambda now=now: next(  # type: ignore[misc]
                iter(queue.new_cards(learner=alice, now=now, reached=reached)), None
            ),
        )
        assert (served.card, served.kind) == (expected.card, expected.kind)  # type: ignore[union-attr]
        recounted = queue.recount(cached_counts, learner=alice, now=now, upcoming=upcoming)
        assert recounted == queue.counts(learner=alice, now=now, reached=reached), minutes
