"""What to study now: one queue per learner, in Anki's order.

1. learning and relearning cards whose step is due (exact time),
2. review cards due today (the learner's day, their time zone),
3. new cards, up to the daily new-card limit: the key cards of the challenges the learner
   has reached, the current challenge's first,
4. when nothing else is left, learning cards due within the next ``LEARN_AHEAD`` (Anki's
   "learn ahead limit"), so a short session need not wait a minute for a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import F, Func, QuerySet, Subquery, Value, prefetch_related_objects
from django.db.models.functions import Coalesce

from accelerator.http import AuthenticatedHttpRequest
from accounts.models import User
from curriculum.models import Card, Challenge
from flashcards.models import LEARNING, RELEARNING, REVIEW, CardState, ReviewLog, ReviewSettings
from progress import activity, freshness
from progress.days import day_bounds, local_date, now_utc, today

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
    leeches: int = 0  # not part of the queue; read in the same query for the dashboard

    @property
    def remaining(self) -> int:
        return self.new + self.learning + self.review

    @property
    def session_total(self) -> int:
        return self.reviewed_today + self.remaining

    @property
    def percent(self) -> int:
        return round(100 * self.reviewed_today / self.session_total) if self.session_total else 100


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """The number of rows of ``queryset`` as a scalar subquery (0 when there are none)."""
    return Coalesce(Subquery(queryset.order_by().values(n=Func(F("pk"), function="COUNT"))), 0)


def _new_per_day(learner: User) -> Coalesce:
    """The learner's daily new-card limit as a scalar subquery (the default without
    settings of their own)."""
    prefs = ReviewSettings.objects.filter(learner=learner).values("new_per_day")
    return Coalesce(Subquery(prefs), ReviewSettings.DEFAULT_NEW_PER_DAY)


def _introduced_today(learner: User, now: datetime) -> QuerySet[CardState]:
    start, end = day_bounds(learner=learner, day=today(learner=learner, now=now))
    return CardState.objects.filter(
        learner=learner, introduced_at__gte=start, introduced_at__lt=end
    )


def _learner_row(learner: User) -> QuerySet[User]:
    """The learner's own row: somewhere to read several scalar subqueries in one query."""
    return User.objects.filter(pk=learner.pk)


def new_today(*, learner: User, now: datetime) -> int:
    """How many more new cards today's limit allows (one query)."""
    row = (
        _learner_row(learner)
        .values(limit=_new_per_day(learner), introduced=_count(_introduced_today(learner, now)))
        .get()
    )
    return max(0, row["limit"] - row["introduced"])


def _links(reached: list[Challenge]) -> QuerySet[Any]:
    return Challenge.cards.through.objects.filter(challenge_id__in=[c.pk for c in reached])


def candidate_new_cards(*, learner: User, reached: list[Challenge] | None = None) -> list[Card]:
    """Cards of the reached challenges the learner has never reviewed, in study order:
    the current challenge's key cards first, then the other reached challenges' in
    curriculum order (each card once). ``reached``: ``activity.reached_challenges`` when
    the caller has it already."""
    if reached is None:
        reached = activity.reached_challenges(learner=learner)
    if not reached:
        return []
    order = {challenge.pk: position for position, challenge in enumerate(reached)}
    seen_ids = CardState.objects.filter(learner=learner).values("card_id")
    links = _links(reached).exclude(card_id__in=seen_ids).select_related("card__tier")
    ranked = sorted(links, key=lambda link: (order[link.challenge_id], link.card.number))
    seen: set[int] = set()
    cards: list[Card] = []
    for link in ranked:
        if link.card_id not in seen:
            seen.add(link.card_id)
            cards.append(link.card)
    return cards


def new_cards(
    *, learner: User, now: datetime, reached: list[Challenge] | None = None
) -> list[Card]:
    """The new cards still on offer today, after the daily limit."""
    remaining = new_today(learner=learner, now=now)
    if not remaining:
        return []
    return candidate_new_cards(learner=learner, reached=reached)[:remaining]


def _end_of_today(learner: User, now: datetime) -> datetime:
    return day_bounds(learner=learner, day=today(learner=learner, now=now))[1]


def upcoming_states(*, learner: User, now: datetime) -> list[CardState]:
    """The learner's cards due before the end of their day plus ``LEARN_AHEAD``: every card
    ``next_item`` can serve today but new ones.

    Which rows these are changes only with the learner's writes and their day, so the page
    cache may keep the list for the day (the review page does); the clock then picks from
    it (``due_states``, ``learn_ahead_states``) as the queries would. The rows carry their
    own columns only, which is what the clock and the counts need: the page attaches the
    one card it shows (``card_details``). Twenty cards' texts, tiers and challenges in
    every learner's cache entry cost the page more to unpickle than all the rest of it."""
    end = _end_of_today(learner, now)
    return list(CardState.objects.filter(learner=learner, due__lt=end + LEARN_AHEAD))


def card_details(card_id: int) -> Card:
    """A card with its tier and challenges, as the review page shows it, from the page
    cache: curriculum content, the same for every learner, so one entry per card for all
    of them (progress.freshness.cached_content)."""
    return freshness.cached_content(
        f"card:{card_id}",
        compute=lambda: (
            Card.objects.select_related("tier").prefetch_related("challenges").get(pk=card_id)
        ),
    )


def due_states(
    *, learner: User, now: datetime, upcoming: list[CardState] | None = None
) -> list[CardState]:
    """Learning cards due now, then review cards due today, each by due time.
    ``upcoming``: ``upcoming_states`` when the caller has it already."""
    end = _end_of_today(learner, now)
    if upcoming is None:
        upcoming = list(
            CardState.objects.filter(learner=learner, due__lt=end).select_related("card__tier")
        )
    learning = [s for s in upcoming if s.state in (LEARNING, RELEARNING) and s.due <= now]
    reviews = [s for s in upcoming if s.state == REVIEW and s.due < end]
    return sorted(learning, key=lambda s: s.due) + sorted(reviews, key=lambda s: s.due)


def learn_ahead_states(
    *, learner: User, now: datetime, upcoming: list[CardState] | None = None
) -> list[CardState]:
    """Learning cards due within ``LEARN_AHEAD``. ``upcoming``: as ``due_states``."""
    if upcoming is not None:
        ahead = [
            s
            for s in upcoming
            if s.state in (LEARNING, RELEARNING) and now < s.due <= now + LEARN_AHEAD
        ]
        return sorted(ahead, key=lambda s: s.due)
    return list(
        CardState.objects.filter(
            learner=learner,
            state__in=(LEARNING, RELEARNING),
            due__gt=now,
            due__lte=now + LEARN_AHEAD,
        )
        .select_related("card__tier")
        .order_by("due")
    )


def next_item(
    *,
    learner: User,
    now: datetime,
    reached: list[Challenge] | None = None,
    upcoming: list[CardState] | None = None,
    first_new: Callable[[], Card | None] | None = None,
    card_of: Callable[[CardState], Card] | None = None,
) -> Item | None:
    """The card to study now. ``upcoming`` (``upcoming_states``), ``first_new`` (today's
    first new card, asked only when nothing is due) and ``card_of`` (a state's card) let
    the caller serve them from the page cache (``request_next_item``)."""
    if card_of is None:
        card_of = _card_of
    if due := due_states(learner=learner, now=now, upcoming=upcoming):
        state = due[0]
        return Item(card=card_of(state), state=state, kind=LEARN if state.is_learning else DUE)
    if first_new is not None:
        fresh = first_new()
    else:
        fresh = next(iter(new_cards(learner=learner, now=now, reached=reached)), None)
    if fresh is not None:
        return Item(card=fresh, state=None, kind=NEW)
    if ahead := learn_ahead_states(learner=learner, now=now, upcoming=upcoming):
        return Item(card=card_of(ahead[0]), state=ahead[0], kind=LEARN)
    return None


def _card_of(state: CardState) -> Card:
    return state.card


def _cached_card_of(state: CardState) -> Card:
    state.card = card_details(state.card_id)
    return state.card


def request_next_item(
    request: AuthenticatedHttpRequest, *, now: datetime, upcoming: list[CardState]
) -> Item | None:
    """``next_item`` for the signed-in user from ``upcoming_states`` the caller kept in the
    page cache, today's first new card from the page cache too (which one is on offer
    changes only with their writes and their day: progress.freshness), and the card it
    shows from ``card_details``. The clock, applied to the cached rows, picks exactly the
    card the queries would."""
    learner = request.user

    def first_new() -> Card | None:
        def read() -> Card | None:
            reached = activity.request_standing(request).reached
            card = next(iter(new_cards(learner=learner, now=now, reached=reached)), None)
            if card is not None:
                prefetch_related_objects([card], "challenges")  # the page lists them
            return card

        return freshness.cached("queue-first-new", user=learner, compute=read)

    return next_item(
        learner=learner,
        now=now,
        upcoming=upcoming,
        first_new=first_new,
        card_of=_cached_card_of,
    )


def recount(counts: Counts, *, learner: User, now: datetime, upcoming: list[CardState]) -> Counts:
    """``counts`` with the two figures that move with the clock alone (learning cards
    falling due, review cards due today) counted again from ``upcoming_states`` at ``now``,
    as ``counts`` would: the review page's figures then match the card it shows, however
    long the page cache kept the rest."""
    end = _end_of_today(learner, now)
    learning = sum(
        1
        for s in upcoming
        if s.state in (LEARNING, RELEARNING) and s.due < end and s.due <= now + LEARN_AHEAD
    )
    review = sum(1 for s in upcoming if s.state == REVIEW and s.due < end)
    return replace(counts, learning=learning, review=review)


def counts(*, learner: User, now: datetime, reached: list[Challenge] | None = None) -> Counts:
    """The queue's sizes as ``next_item`` would serve them, in one query: every count is a
    scalar subquery on the learner's row. ``reached``: ``activity.reached_challenges`` when
    the caller has it already (the nav shares the request's); otherwise one more query."""
    if reached is None:
        reached = activity.reached_challenges(learner=learner)
    start, end = day_bounds(learner=learner, day=today(learner=learner, now=now))
    states = CardState.objects.filter(learner=learner)
    seen_ids = states.values("card_id")
    unseen = Card.objects.filter(pk__in=_links(reached).values("card_id")).exclude(pk__in=seen_ids)
    row = (
        _learner_row(learner)
        .values(
            learning=_count(
                states.filter(
                    state__in=(LEARNING, RELEARNING), due__lt=end, due__lte=now + LEARN_AHEAD
                )
            ),
            review=_count(states.filter(state=REVIEW, due__lt=end)),
            leeches=_count(states.filter(leech=True)),
            limit=_new_per_day(learner),
            introduced=_count(_introduced_today(learner, now)),
            unseen=_count(unseen) if reached else Value(0),
            reviewed_today=_count(
                ReviewLog.objects.effective().filter(
                    learner=learner, reviewed_at__gte=start, reviewed_at__lt=end
                )
            ),
        )
        .get()
    )
    # As new_cards: the candidates, cut to what is left of today's limit.
    new = min(max(0, row["limit"] - row["introduced"]), row["unseen"])
    return Counts(
        new=new,
        learning=row["learning"],
        review=row["review"],
        reviewed_today=row["reviewed_today"],
        leeches=row["leeches"],
    )


def request_counts(request: AuthenticatedHttpRequest, *, now: datetime | None = None) -> Counts:
    """The signed-in user's counts, read once per request and kept on it (the nav, the home
    page, the dashboard and the review page show them), and kept in the page cache under
    their freshness stamp between requests (progress.freshness): cards that fall due with
    the clock alone show within ``PAGE_CACHE_SECONDS``. Counting takes the reached
    challenges from the request's standing: one query of its own."""
    cached: Counts | None = getattr(request, "_flashcard_counts", None)
    if cached is None:
        learner = request.user

        def count() -> Counts:
            reached = activity.request_standing(request).reached
            return counts(learner=learner, now=now or now_utc(), reached=reached)

        cached = freshness.cached("queue-counts", user=learner, compute=count)
        request._flashcard_counts = cached  # type: ignore[attr-defined]
    return cached


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
