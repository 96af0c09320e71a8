"""The review session (keyboard first, HTMX swaps), its rate and undo actions, the
learner's flashcard settings and their card list.

One view, two renders: an htmx request gets the ``review-session`` partial, anything else
the full page. Rate and undo are POST-only endpoints that answer with that same partial
(or redirect back to the page without JS).

htmx does not swap 4xx responses, so a rejected rating answers an htmx request with 200 and
the error in the partial (the card stays on screen, nothing is lost); plain requests get
the full page with a 400/409 status.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accelerator.http import AuthenticatedHttpRequest
from accounts.decorators import login_required
from accounts.models import User
from curriculum.models import Card
from flashcards import queue, reviews, scheduling
from flashcards.forms import RatingForm, ReviewSettingsForm, UndoForm
from flashcards.models import CardState, ReviewLog, ReviewSettings
from progress import freshness, xp
from progress.days import now_utc

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
SESSION = "flashcards/review.html"


def _session(
    request: AuthenticatedHttpRequest,
    *,
    now: datetime,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    learner = request.user
    # The page's database reads come from the page cache under the learner's freshness
    # stamp (progress.freshness), unless this request wrote (a rating, an undo).
    page = freshness.cached(
        "review-page", user=learner, compute=lambda: _ReviewReads.read(learner, now)
    )
    upcoming = page.upcoming
    item = queue.request_next_item(request, now=now, upcoming=upcoming)
    buttons: list[dict[str, Any]] = []
    if item is not None:
        outcomes = scheduling.preview(
            scheduler=scheduling.scheduler_for(
                learner=learner, parameters=page.parameters, desired_retention=page.retention
            ),
            learner_id=learner.pk,
            card_id=item.card.pk,
            state=item.state,
            now=now,
        )
        buttons = [
            {"rating": o.rating, "name": RATING_NAMES[o.rating], "interval": o.label}
            for o in outcomes
        ]
    soonest = None
    if item is None:
        soonest = CardState.objects.filter(learner=learner).order_by("due").first()
    counts = queue.recount(
        queue.request_counts(request, now=now), learner=learner, now=now, upcoming=upcoming
    )
    request._flashcard_counts = counts  # type: ignore[attr-defined]  # the nav's count too
    context = {
        "item": item,
        "buttons": buttons,
        # A fresh one-time token per rendered card: a replay of this form is a no-op.
        "token": secrets.token_urlsafe(24),
        "counts": counts,
        "undoable": reviews.last_undoable(learner=learner, now=now, latest=page.latest),
        "soonest": soonest,
        "error": error,
        "notice": notice,
    }
    if request.htmx:
        # Errors still swap in (htmx leaves 4xx responses unswapped); see the module doc.
        return render(request, f"{SESSION}#review-session", context)
    return render(request, SESSION, context, status=status)


@dataclass(frozen=True)
class _ReviewReads:
    """What the review page reads from the database besides the nav's figures, kept in the
    page cache as one entry. Each part changes only with the learner's own writes (which
    bump their stamp) and their day (part of the key), except the pooled FSRS fit, which
    the nightly optimiser changes for everyone: the buttons' previews follow it within
    ``PAGE_CACHE_SECONDS``, while ratings always read the current one."""

    upcoming: list[CardState]  # queue.upcoming_states
    parameters: scheduling.Parameters
    retention: float
    latest: ReviewLog | None  # reviews.latest_review, for the Undo button

    @classmethod
    def read(cls, learner: User, now: datetime) -> _ReviewReads:
        return cls(
            upcoming=queue.upcoming_states(learner=learner, now=now),
            parameters=scheduling.parameters_for(learner=learner),
            retention=scheduling.desired_retention_for(learner=learner),
            latest=reviews.latest_review(learner=learner),
        )


@require_GET
@login_required
def review(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _session(request, now=now_utc())


@require_POST
@login_required
def rate(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = now_utc()
    form = RatingForm(request.POST)
    if not form.is_valid():
        error = next(iter(form.errors.values()))[0]
        return _session(request, now=now, error=error, status=400)
    data = form.cleaned_data
    card = get_object_or_404(Card.objects.current(), number=data["card"])
    try:
        log = reviews.record_review(
            learner=request.user,
            card=card,
            rating=data["rating"],
            token=data["token"],
            now=now,
            expected_reps=data["reps"],
            duration_ms=data["duration"],
        )
    except reviews.ForeignToken as exc:
        raise Http404 from exc
    except reviews.StaleReview as exc:
        return _session(request, now=now, notice=str(exc), status=409)
    except reviews.ReviewError as exc:
        return _session(request, now=now, error=str(exc), status=400)
    fresh = log.reviewed_at == now  # a replayed token returns the earlier review
    if not request.htmx:
        return redirect("flashcards:review")
    response = _session(request, now=now)
    if fresh:
        trigger_client_event(response, "xp-changed", {"total": xp.total(learner=request.user)})
    return response


@require_POST
@login_required
def undo(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = now_utc()
    form = UndoForm(request.POST)
    if not form.is_valid():
        return _session(request, now=now, error=form.errors["review"][0], status=400)
    review_id = form.cleaned_data["review"]
    if not ReviewLog.objects.filter(pk=review_id, learner=request.user).exists():
        raise Http404("No such review of yours.")
    undone = reviews.undo_last(learner=request.user, expected_id=review_id, now=now)
    if undone is not None:
        notice = (
            f"Took back “{RATING_NAMES[undone.rating]}” on card #{undone.card.number}: "
            "it is back in the queue."
        )
    else:
        notice = "That rating was already taken back, or is no longer the last one."
    if not request.htmx:
        messages.info(request, notice)
        return redirect("flashcards:review")
    response = _session(request, now=now, notice=notice)
    if undone is not None:
        trigger_client_event(response, "xp-changed", {"total": xp.total(learner=request.user)})
    return response


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    instance = ReviewSettings.objects.filter(learner=request.user).first() or ReviewSettings(
        learner=request.user
    )
    form = ReviewSettingsForm(request.POST or None, instance=instance)
    saved = False
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                form.save()
                # The daily new-card limit changes the due counts (nav, dashboard, review).
                freshness.touch(learner=request.user)
            if not request.htmx:
                messages.success(request, "Flashcard settings saved.")
                return redirect("flashcards:settings")
            saved = True
    context = {
        "form": form,
        "saved": saved,
        "parameters": scheduling.parameters_for(learner=request.user),
    }
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    if request.htmx:
        return render(request, "flashcards/settings.html#review-settings", context)
    return render(request, "flashcards/settings.html", context, status=status)


@require_GET
@login_required
def cards(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every card with the learner's memory of it; ``?leeches=1`` lists only leeches."""
    states = {s.card_id: s for s in CardState.objects.filter(learner=request.user)}
    leeches_only = request.GET.get("leeches") == "1"
    rows = [
        {"card": card, "state": states.get(card.pk)}
        for card in Card.objects.current().select_related("tier").prefetch_related("challenges")
        if not leeches_only or (card.pk in states and states[card.pk].leech)
    ]
    context = {
        "rows": rows,
        "leeches_only": leeches_only,
        "leech_count": sum(1 for s in states.values() if s.leech),
        "now": now_utc(),
    }
    template = "flashcards/cards.html#card-list" if request.htmx else "flashcards/cards.html"
    return render(request, template, context)
