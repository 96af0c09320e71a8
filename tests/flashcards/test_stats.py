"""True retention as Anki counts it, the due forecast and the review queue's counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from accounts.models import User
from flashcards import queue, stats
from flashcards.models import REVIEW, CardState, ReviewLog
from tests.flashcards.conftest import Deck

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)


def _state(learner: User, card: object, **fields: object) -> CardState:
    defaults = {"due": NOW, "introduced_at": NOW - timedelta(days=60)}
    return CardState.objects.create(learner=learner, card=card, **{**defaults, **fields})


def _log(
    learner: User, state: CardState, *, rating: int, ago: timedelta, **fields: object
) -> ReviewLog:
    return ReviewLog.objects.create(
        learner=learner,
        card=state.card,
        card_state=state,
        rating=rating,
        token=f"t{ReviewLog.objects.count()}-{learner.pk}-padding",
        reviewed_at=NOW - ago,
        interval_seconds=86400,
        **fields,
    )


def test_it_computes_true_retention_from_review_state_reviews_only(
    deck: Deck, alice: User, bob: User
) -> None:
    state = _state(alice, deck.cards[1], state=REVIEW, stability=10, difficulty=5)
    young = {"state_before": REVIEW, "interval_before_days": 5}
    mature = {"state_before": REVIEW, "interval_before_days": 30}
    _log(alice, state, rating=3, ago=timedelta(hours=1), **young)
    _log(alice, state, rating=1, ago=timedelta(hours=2), **young)
    _log(alice, state, rating=4, ago=timedelta(hours=3), **mature)
    _log(alice, state, rating=2, ago=timedelta(days=3), **mature)
    _log(alice, state, rating=1, ago=timedelta(days=20), **mature)
    # Not counted: learning steps, an undone review, another learner's review.
    _log(alice, state, rating=1, ago=timedelta(hours=1), state_before=1)
    _log(alice, state, rating=1, ago=timedelta(hours=1), undone_at=NOW, **young)
    other = _state(bob, deck.cards[1], state=REVIEW)
    _log(bob, other, rating=1, ago=timedelta(hours=1), **young)

    rows = {row.label: row for row in stats.true_retention(learner=alice, now=NOW)}
    today = rows["Today"]
    assert (today.young_passed, today.young_total, today.mature_passed, today.mature_total) == (
        1,
        2,
        1,
        1,
    )
    assert today.total == 2 / 3 and today.young == 0.5 and today.mature == 1.0
    assert rows["Yesterday"].count == 0 and rows["Yesterday"].total is None
    assert (rows["Last 7 days"].count, rows["Last 7 days"].total) == (4, 3 / 4)
    assert (rows["Last 30 days"].count, rows["Last 30 days"].total) == (5, 3 / 5)


def test_it_forecasts_due_cards_per_day_with_overdue_today(deck: Deck, alice: User) -> None:
    alice.timezone = "Pacific/Auckland"  # UTC+12 in June: NOW is 00:00 on 11 June there
    alice.save()
    _state(alice, deck.cards[1], state=REVIEW, due=NOW - timedelta(days=3))  # overdue
    _state(alice, deck.cards[2], state=REVIEW, due=NOW + timedelta(hours=2))  # 11 June
    _state(alice, deck.cards[3], state=REVIEW, due=NOW + timedelta(days=1))  # 12 June
    _state(alice, deck.cards[48], state=REVIEW, due=NOW + timedelta(days=40))  # beyond
    forecast = queue.forecast(learner=alice, now=NOW)
    assert len(forecast) == 30 and forecast[0] == (date(2025, 6, 11), 2)
    assert forecast[1] == (date(2025, 6, 12), 1) and sum(n for _, n in forecast) == 3
    chart = stats.forecast_chart(learner=alice, now=NOW)
    assert chart.peak == 2 and chart.total == 3 and len(chart.bars) == 30
    tallest = chart.bars[0]
    assert tallest.y == 0 and tallest.height == chart.axis_y
    assert chart.bars[2].height == 2.0  # an empty day keeps a visible stub
    assert tallest.title == "Wed 11 Jun: 2 cards due"


def test_it_counts_the_queue_like_anki(deck: Deck, alice: User) -> None:
    _state(alice, deck.cards[1], state=REVIEW, due=NOW - timedelta(days=1))
    _state(alice, deck.cards[2], state=1, step=0, due=NOW + timedelta(minutes=5))  # learn ahead
    _state(alice, deck.cards[3], state=1, step=0, due=NOW + timedelta(hours=2))  # later today
    counts = queue.counts(learner=alice, now=NOW)
    assert (counts.new, counts.learning, counts.review) == (1, 1, 1)  # card 48 is new
    order = []
    now = NOW
    item = queue.next_item(learner=alice, now=now)
    assert item is not None and (item.kind, item.card.number) == ("review", 1)
    CardState.objects.filter(card=deck.cards[1]).update(due=NOW + timedelta(days=5))
    item = queue.next_item(learner=alice, now=now)
    order.append((item.kind, item.card.number))
    assert order == [("new", 48)]  # new cards before learning ahead
    CardState.objects.create(
        learner=alice,
        card=deck.cards[48],
        due=NOW + timedelta(days=3),
        state=REVIEW,
        introduced_at=NOW,
    )
    item = queue.next_item(learner=alice, now=now)
    assert (item.kind, item.card.number) == ("learning", 2)
