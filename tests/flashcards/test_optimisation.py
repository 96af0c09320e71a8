"""Fitting FSRS parameters with fsrs's Optimizer: pooled until a learner has 512 cross-day
reviews of their own, then per learner; called in-process, enqueueing captured."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import fsrs
import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from curriculum.models import Card
from flashcards import optimisation, scheduling, tasks
from flashcards.models import CardState, ReviewLog, SchedulerFit
from tests.factories import make_user
from tests.flashcards.conftest import make_deck

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def _history(learner: User, cards: list[Card], *, reviews: int, seed: int) -> None:
    """Write a plausible review history: a "true" memory model decides each recall, and
    fsrs schedules the next review. Rows are created directly (fast)."""
    rng = random.Random(seed)
    truth = fsrs.Scheduler(parameters=[*fsrs.scheduler.DEFAULT_PARAMETERS[:20], 0.3])
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    logs: list[ReviewLog] = []
    per_card = max(2, reviews // len(cards) + 1)
    for index, card in enumerate(cards):
        state = CardState.objects.create(learner=learner, card=card, due=START, introduced_at=START)
        sim = fsrs.Card(card_id=state.pk, due=START + timedelta(hours=index))
        true_card = fsrs.Card(card_id=state.pk, due=sim.due)
        now = sim.due
        previous = None
        for _ in range(per_card):
            recall = (
                rng.random() < truth.get_card_retrievability(true_card, now)
                if true_card.last_review
                else rng.random() < 0.7
            )
            rating = (
                fsrs.Rating.Again
                if not recall
                else rng.choice(
                    [fsrs.Rating.Hard, fsrs.Rating.Good, fsrs.Rating.Good, fsrs.Rating.Easy]
                )
            )
            sim, _ = scheduler.review_card(sim, rating, review_datetime=now)
            true_card, _ = truth.review_card(true_card, rating, review_datetime=now)
            logs.append(
                ReviewLog(
                    learner=learner,
                    card=card,
                    card_state=state,
                    rating=int(rating),
                    token=f"{learner.pk}-{state.pk}-{len(logs)}-{seed}-tok",
                    reviewed_at=now,
                    duration_ms=rng.randint(2000, 15000),
                    elapsed_days=(now - previous).days if previous else None,
                    interval_seconds=int((sim.due - now).total_seconds()),
                )
            )
            previous = now
            now = max(sim.due, now + timedelta(days=1)) + timedelta(hours=rng.randint(0, 20))
    ReviewLog.objects.bulk_create(logs)


@pytest.fixture
def cards(db: None) -> list[Card]:
    deck = make_deck()
    extra_tier = deck.challenges[0].tier
    more = [
        Card.objects.create(number=n, title=f"T{n}", concept="training", tier=extra_tier)
        for n in range(10, 60)
        if n not in deck.cards
    ]
    return list(deck.cards.values()) + more


def test_it_keeps_fsrs_defaults_below_512_cross_day_reviews(cards: list[Card]) -> None:
    learner = make_user("newbie")
    _history(learner, cards[:10], reviews=100, seed=1)
    assert optimisation.cross_day_reviews(None) < optimisation.MIN_REVIEWS
    assert optimisation.optimise(learner=None) is None
    tasks.optimise_parameters()
    assert not SchedulerFit.objects.exists()
    assert scheduling.parameters_for(learner=learner).source == "default"


def test_it_fits_pooled_then_per_learner_parameters(
    cards: list[Card], django_capture_on_commit_callbacks: object
) -> None:
    keen, casual = make_user("keen"), make_user("casual")
    _history(keen, cards, reviews=700, seed=2)
    _history(casual, cards[:12], reviews=60, seed=3)
    assert optimisation.cross_day_reviews(keen) >= optimisation.MIN_REVIEWS
    assert optimisation.cross_day_reviews(casual) < optimisation.MIN_REVIEWS

    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        tasks.optimise_parameters()
    pooled_seconds = time.perf_counter() - started
    pooled = SchedulerFit.objects.get(scope="pooled")
    assert pooled.review_count == optimisation.cross_day_reviews(None)
    assert len(callbacks) == 1  # only keen has enough reviews of their own

    started = time.perf_counter()
    tasks.optimise_learner_parameters(keen.pk)
    learner_seconds = time.perf_counter() - started
    own = SchedulerFit.objects.get(scope="learner", learner=keen)
    print(f"optimiser: pooled {pooled_seconds:.1f}s, one learner {learner_seconds:.1f}s")

    for fit in (pooled, own):
        assert len(fit.parameters) == 21
        fsrs.Scheduler(parameters=fit.parameters)  # within fsrs's bounds
        assert tuple(fit.parameters) != scheduling.DEFAULT_PARAMETERS
    assert scheduling.parameters_for(learner=keen).source == "learner"
    assert scheduling.parameters_for(learner=casual).source == "pooled"
    assert scheduling.scheduler_for(learner=casual).parameters == tuple(pooled.parameters)

    # Nothing new since: refitting is skipped.
    fitted_at = own.fitted_at
    tasks.optimise_learner_parameters(keen.pk)
    assert SchedulerFit.objects.get(pk=own.pk).fitted_at == fitted_at


def test_it_leaves_undone_reviews_out_of_the_fit(cards: list[Card]) -> None:
    learner = make_user("undoer")
    _history(learner, cards[:5], reviews=40, seed=4)
    total = len(optimisation.to_fsrs_logs(learner))
    latest = ReviewLog.objects.filter(learner=learner).first()
    assert latest is not None
    ReviewLog.objects.filter(pk=latest.pk).update(undone_at=latest.reviewed_at)
    assert len(optimisation.to_fsrs_logs(learner)) == total - 1


def test_it_skips_a_learner_deleted_since_the_beat_ran(db: None) -> None:
    tasks.optimise_learner_parameters(987654)  # no error, nothing written
    assert not SchedulerFit.objects.exists()


def test_it_fits_from_the_command_line_and_explains_too_few_reviews(cards: list[Card]) -> None:
    learner = make_user("cli")
    _history(learner, cards[:4], reviews=20, seed=5)
    out = StringIO()
    call_command("optimise_fsrs", "--learner", "cli", stdout=out)
    assert "fewer than the 512 fsrs needs" in out.getvalue()
    with pytest.raises(CommandError, match="No user called 'nobody'"):
        call_command("optimise_fsrs", "--learner", "nobody")
