"""What to study now: one queue per learner, in Anki's order.

1. learning and relearning cards whose step is due (exact time),
2. review cards due today (the learner's day, their time zone),
3. new cards, up to the daily new-card limit: the key cards of the challenges the learner
   has reached, the current challenge's first,
4. when nothing else is left, learning cards due within the next ``LEARN_AHEAD`` (Anki's
   "learn ahead limit"), so a short session need not wait a minute for a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from accounts.models import User
from curriculum.models import Card, Challenge
from flashcards.models import LEARNING, RELEARNING, REVIEW, CardState, ReviewLog, ReviewSettings
from progress import activity
from progress.days import day_bounds, local_date, today

LEARN_AHEAD = timedelta(minutes=20)
FORECAST_DAYS = 30

NEW, LEARN, DUE = "new", "learning", "review"


@dataclass(frozen=True)
class Item:
    card: Card
    state: CardState | None  # None: a new card
    kind: str


@dataclass(frozen=True)
class Counts:
    new: int
    learning: int
    review: int
    reviewed_today: int

    @property
    def remaining(self) -> int:
        return self.new + self.learning + self.review

    @property
    def session_total(self) -> int:
        return self.reviewed_today + self.remaining

    @property
    def percent(self) -> int:
        return round(100 * self.reviewed_today / self.session_total) if self.session_total else 100


def new_per_day(*, learner: User) -> int:
    prefs = ReviewSettings.objects.filter(learner=learner).first()
    return prefs.new_per_day if prefs else ReviewSettings.DEFAULT_NEW_PER_DAY


def introduced_today(*, learner: User, now: datetime) -> int:
    start, end = day_bounds(learner=learner, day=today(learner=learner, now=now))
    return CardState.objects.filter(
        learner=learner, introduced_at__gte=start, introduced_at__lt=end
    ).count()


def candidate_new_cards(*, learner: User) -> list[Card]:
    """Cards of the reached challenges the learner has never reviewed, in study order:
    the current challenge's key cards first, then the other reached challenges' in
    curriculum order (each card once)."""
    reached = activity.reached_challenges(learner=learner)
    order = {challenge.pk: position for position, challenge in enumerate(reached)}
    links = Challenge.cards.through.objects.filter(challenge_id__in=order).select_related("card")
    seen = set(CardState.objects.filter(learner=learner).values_list("card_id", flat=True))
    ranked = sorted(links, key=lambda link: (order[link.challenge_id], link.card.number))
    cards: list[Card] = []
    for link in ranked:
        if link.card_id not in seen:
            seen.add(link.card_id)
            cards.append(link.card)
    return cards


def new_cards(*, learner: User, now: datetime) -> list[Card]:
    """The new cards still on offer today, after the daily limit."""
    remaining = max(0, new_per_day(learner=learner) - introduced_today(learner=learner, now=now))
    return candidate_new_cards(learner=learner)[:remaining] if remaining else []


def _end_of_today(learner: User, now: datetime) -> datetime:
    return day_bounds(learner=learner, day=today(learner=learner, now=now))[1]


def due_states(*, learner: User, now: datetime) -> list[CardState]:
    """Learning cards due now, then review cards due today, each by due time."""
    end = _end_of_today(learner, now)
    states = CardState.objects.filter(learner=learner, due__lt=end).select_related("card")
    learning = [s for s in states if s.state in (LEARNING, RELEARNING) and s.due <= now]
    reviews = [s for s in states if s.state == REVIEW]
    return sorted(learning, key=lambda s: s.due) + sorted(reviews, key=lambda s: s.due)


def learn_ahead_states(*, learner: User, now: datetime) -> list[CardState]:
    return list(
        CardState.objects.filter(
            learner=learner,
            state__in=(LEARNING, RELEARNING),
            due__gt=now,
            due__lte=now + LEARN_AHEAD,
        )
        .select_related("card")
        .order_by("due")
    )


def next_item(*, learner: User, now: datetime) -> Item | None:
    if due := due_states(learner=learner, now=now):
        state = due[0]
        return Item(card=state.card, state=state, kind=LEARN if state.is_learning else DUE)
    if fresh := new_cards(learner=learner, now=now)[:1]:
        return Item(card=fresh[0], state=None, kind=NEW)
    if ahead := learn_ahead_states(learner=learner, now=now):
        return Item(card=ahead[0].card, state=ahead[0], kind=LEARN)
    return None


def counts(*, learner: User, now: datetime) -> Counts:
    end = _end_of_today(learner, now)
    states = list(
        CardState.objects.filter(learner=learner, due__lt=end).values_list("state", "due")
    )
    learning = sum(
        1 for state, due in states if state in (LEARNING, RELEARNING) and due <= now + LEARN_AHEAD
    )
    reviews = sum(1 for state, _ in states if state == REVIEW)
    start, end = day_bounds(learner=learner, day=today(learner=learner, now=now))
    done = (
        ReviewLog.objects.effective()
        .filter(learner=learner, reviewed_at__gte=start, reviewed_at__lt=end)
        .count()
    )
    return Counts(
        new=len(new_cards(learner=learner, now=now)),
        learning=learning,
        review=reviews,
        reviewed_today=done,
    )


def unavailable_reason(
    *, learner: User, card: Card, state: CardState | None, now: datetime
) -> str | None:
    """Why this card may not be rated now, or None when it may (it is on offer)."""
    if state is None:
        if all(c.pk != card.pk for c in new_cards(learner=learner, now=now)):
            return (
                f"Card #{card.number} is not on today's list of new cards: it belongs to a "
                "challenge you have not reached, or today's new-card limit is used up."
            )
        return None
    if state.is_learning and state.due > now + LEARN_AHEAD:
        until = state.due.astimezone(learner.zone)
        return f"Card #{card.number} is in a learning step until {until:%H:%M}."
    if state.state == REVIEW and state.due >= _end_of_today(learner, now):
        day = local_date(learner=learner, at=state.due)
        return f"Card #{card.number} is not due until {day:%A %d %B}."
    return None


def forecast(*, learner: User, now: datetime, days: int = FORECAST_DAYS) -> list[tuple[date, int]]:
    """Cards due on each of the next ``days`` learner-local days; today includes overdue."""
    first = today(learner=learner, now=now)
    end = day_bounds(learner=learner, day=first + timedelta(days=days - 1))[1]
    per_day = dict.fromkeys((first + timedelta(days=n) for n in range(days)), 0)
    for due in CardState.objects.filter(learner=learner, due__lt=end).values_list("due", flat=True):
        day = max(first, local_date(learner=learner, at=due))
        per_day[day] += 1
    return list(per_day.items())
