"""Scheduling is fsrs's: simulated review histories through our workflow must leave every
card exactly where fsrs itself puts it, and the button labels must tell the truth."""

from __future__ import annotations

import inspect
import random
import uuid
from datetime import UTC, datetime, timedelta

import fsrs
import fsrs.scheduler
import pytest

from accounts.models import User
from flashcards import queue, scheduling
from flashcards.models import CardState, ReviewLog, ReviewSettings, SchedulerFit
from flashcards.reviews import record_review
from progress import xp
from tests.flashcards.conftest import Deck

START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def _token() -> str:
    return uuid.uuid4().hex


def _simulate(
    learner: User, *, seed: int, steps: int, scheduler: fsrs.Scheduler
) -> dict[int, fsrs.Card]:
    """Review whatever the queue offers, with random ratings at random times, and replay
    the same ratings through a bare fsrs.Scheduler. Returns fsrs's cards by card id."""
    rng = random.Random(seed)
    reference: dict[int, fsrs.Card] = {}
    now = START
    reviewed = 0
    while reviewed < steps:
        item = queue.next_item(learner=learner, now=now)
        if item is None:
            # Nothing on offer: come back when the next card is due (or tomorrow, for new ones).
            soonest = CardState.objects.filter(learner=learner).order_by("due").first()
            tomorrow = now + timedelta(days=1)
            now = min(soonest.due, tomorrow) if soonest else tomorrow
            now += timedelta(minutes=rng.randint(0, 300))
            continue
        rating = rng.choices([1, 2, 3, 4], weights=[15, 15, 60, 10])[0]
        record_review(learner=learner, card=item.card, rating=rating, token=_token(), now=now)
        card = reference.get(item.card.pk) or fsrs.Card(card_id=0, due=now)
        reference[item.card.pk], _ = scheduler.review_card(
            card, fsrs.Rating(rating), review_datetime=now
        )
        reviewed += 1
        now += timedelta(minutes=rng.choice([1, 3, 12, 45, 180, 600, 1500]))
    return reference


def _assert_matches(learner: User, reference: dict[int, fsrs.Card]) -> None:
    states = {s.card_id: s for s in CardState.objects.filter(learner=learner)}
    assert set(states) == set(reference)
    for card_id, expected in reference.items():
        state = states[card_id]
        assert state.state == int(expected.state)
        assert state.step == expected.step
        assert state.stability == expected.stability
        assert state.difficulty == expected.difficulty
        assert state.due == expected.due
        assert state.last_review == expected.last_review


def test_it_schedules_exactly_as_fsrs_on_simulated_histories(
    deck: Deck, alice: User, settings: object
) -> None:
    settings.FLASHCARDS_FUZZ = False  # type: ignore[attr-defined]
    xp.award(learner=alice, reason=xp.challenge_pass_reason("tokenizer"), amount=100)
    for seed in (1, 2):
        CardState.objects.all().delete()
        ReviewLog.objects.all().delete()
        reference = _simulate(
            alice, seed=seed, steps=90, scheduler=fsrs.Scheduler(enable_fuzzing=False)
        )
        _assert_matches(alice, reference)
        # The histories walk through every state, lapses included, into long intervals.
        before = set(ReviewLog.objects.values_list("state_before", flat=True))
        assert before == {None, 1, 2, 3}
        assert CardState.objects.filter(lapses__gt=0).exists()
        assert any(c.stability and c.stability > 10 for c in reference.values())


def test_it_uses_the_learners_desired_retention_and_fitted_parameters(
    deck: Deck, alice: User, settings: object
) -> None:
    settings.FLASHCARDS_FUZZ = False  # type: ignore[attr-defined]
    weights = list(fsrs.scheduler.DEFAULT_PARAMETERS)
    weights[2] = 4.0  # initial stability after "Good": 4 days instead of 2.3
    SchedulerFit.objects.create(
        scope="pooled", parameters=weights, review_count=600, fitted_at=START
    )
    ReviewSettings.objects.create(learner=alice, desired_retention=0.8)
    reference = _simulate(
        alice,
        seed=3,
        steps=60,
        scheduler=fsrs.Scheduler(parameters=weights, desired_retention=0.8, enable_fuzzing=False),
    )
    _assert_matches(alice, reference)


def test_it_prefers_the_learners_own_fit_over_the_pooled_one(deck: Deck, alice: User) -> None:
    pooled = list(fsrs.scheduler.DEFAULT_PARAMETERS)
    own = list(pooled)
    own[0] = 0.5
    assert scheduling.parameters_for(learner=alice).source == "default"
    SchedulerFit.objects.create(
        scope="pooled", parameters=pooled, review_count=900, fitted_at=START
    )
    assert scheduling.parameters_for(learner=alice).source == "pooled"
    SchedulerFit.objects.create(
        scope="learner", learner=alice, parameters=own, review_count=600, fitted_at=START
    )
    chosen = scheduling.parameters_for(learner=alice)
    assert (chosen.source, chosen.weights[0]) == ("learner", 0.5)


def test_it_draws_fsrs_fuzz_from_the_seam_it_patches() -> None:
    # If fsrs stops drawing its fuzz from fsrs.scheduler.random, previews could lie.
    assert fsrs.scheduler.random is scheduling._fuzz_random
    assert "random()" in inspect.getsource(fsrs.Scheduler._get_fuzzed_interval)


def test_it_shows_on_each_button_the_interval_that_rating_then_gives(
    deck: Deck, alice: User
) -> None:
    card = deck.cards[1]
    now = START
    # Walk the card into long review intervals, where fsrs fuzzes.
    for rating in (3, 3, 4, 3, 3):
        state = CardState.objects.filter(learner=alice, card=card).first()
        outcomes = scheduling.preview(
            scheduler=scheduling.scheduler_for(learner=alice),
            learner_id=alice.pk,
            card_id=card.pk,
            state=state,
            now=now,
        )
        log = record_review(learner=alice, card=card, rating=rating, token=_token(), now=now)
        shown = outcomes[rating - 1]
        assert log.interval_seconds == round(shown.interval.total_seconds())
        state = CardState.objects.get(learner=alice, card=card)
        assert state.due == shown.card.due
        now = state.due
    assert state.due - state.last_review > timedelta(days=7)


def test_it_keeps_fuzzed_intervals_within_fsrs_fuzz_range(deck: Deck, alice: User) -> None:
    scheduler = fsrs.Scheduler()
    plain = fsrs.Scheduler(enable_fuzzing=False)
    card = fsrs.Card(card_id=0, due=START)
    for _ in range(3):
        card, _ = plain.review_card(card, fsrs.Rating.Good, review_datetime=card.due)
    unfuzzed, _ = plain.review_card(card, fsrs.Rating.Good, review_datetime=card.due)
    days = (unfuzzed.due - card.due).days
    low, high = scheduler._get_fuzzed_interval.__func__, None  # noqa: F841 (documenting)
    seen = set()
    for seed in range(40):
        with scheduling.seeded_fuzz(str(seed)):
            fuzzed, _ = scheduler.review_card(card, fsrs.Rating.Good, review_datetime=card.due)
        with scheduling.seeded_fuzz(str(seed)):
            again, _ = scheduler.review_card(card, fsrs.Rating.Good, review_datetime=card.due)
        assert fuzzed.due == again.due  # same seed, same draw
        seen.add((fuzzed.due - card.due).days)
    assert len(seen) > 1 and days in range(min(seen), max(seen) + 1)
    assert max(seen) - min(seen) <= max(4, days // 3)


@pytest.mark.parametrize(
    ("delta", "label"),
    [
        (timedelta(seconds=20), "<1m"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=5), "5h"),
        (timedelta(days=3), "3d"),
        (timedelta(days=45), "1.5mo"),
        (timedelta(days=60), "2mo"),
        (timedelta(days=800), "2.2y"),
    ],
)
def test_it_formats_intervals_like_anki(delta: timedelta, label: str) -> None:
    assert scheduling.format_interval(delta) == label
