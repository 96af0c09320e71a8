"""The curriculum pages: tiers, a tier, a challenge, the learning path and statistics.

All of them are public (the curriculum is the product's shop window); a signed-in learner
also sees their own progress. Progress is read through progress's functions, and the
ticks themselves are POSTs to progress's views (progress/views.py).

One view, two renders (STYLE.md): an htmx request gets the page's main partial.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accelerator.http import HttpRequest
from curriculum import stats as curriculum_stats
from curriculum.models import BuildItem, Card, Challenge, PathStep, QuickLink, Tier, Tip, Video
from progress.completion import (
    ChallengeProgress,
    challenge_progress,
    done_item_ids,
    tier_progress,
    watched_video_ids,
)
from progress.forms import PlanForm
from progress.plan import learner_today, path_steps, schedule_for


def _partial(request: HttpRequest, template: str, name: str) -> str:
    """The page template, or its ``name`` partial for an htmx (not boosted) request."""
    if request.htmx and not request.htmx.boosted:
        return f"{template}#{name}"
    return template


@require_GET
def tiers(request: HttpRequest) -> HttpResponse:
    learner = request.user if request.user.is_authenticated else None
    statistics = curriculum_stats.from_db()
    by_tier_stats = {t.slug: t for t in statistics.tiers}
    progress = tier_progress(learner) if learner else {}
    rows = [
        {"tier": tier, "stats": by_tier_stats.get(tier.slug), "progress": progress.get(tier.pk)}
        for tier in Tier.objects.current().prefetch_related(
            Prefetch("challenges", queryset=Challenge.objects.current())
        )
    ]
    return render(
        request,
        _partial(request, "curriculum/tiers.html", "tier-list"),
        {"rows": rows, "totals": statistics.totals},
    )


@require_GET
def tier(request: HttpRequest, slug: str) -> HttpResponse:
    tier = get_object_or_404(Tier.objects.current(), slug=slug)
    learner = request.user if request.user.is_authenticated else None
    by_challenge = challenge_progress(learner) if learner else {}
    stats = next((t for t in curriculum_stats.from_db().tiers if t.slug == slug), None)
    challenges = [
        {"challenge": c, "progress": by_challenge.get(c.pk)}
        for c in tier.challenges.current().prefetch_related(
            Prefetch("videos", queryset=Video.objects.current())
        )
    ]
    return render(
        request,
        _partial(request, "curriculum/tier.html", "tier-challenges"),
        {
            "tier": tier,
            "stats": stats,
            "challenges": challenges,
            "progress": tier_progress(learner, by_challenge).get(tier.pk) if learner else None,
            "cards": Card.objects.current().filter(tier=tier),
        },
    )


def challenge_context(request: HttpRequest, challenge: Challenge) -> dict[str, Any]:
    """What the challenge page and its partials render (also used by progress's POSTs)."""
    learner = request.user if request.user.is_authenticated else None
    videos = list(Video.objects.current().filter(challenge=challenge))
    items = list(BuildItem.objects.current().filter(challenge=challenge))
    watched, done = watched_video_ids(learner), done_item_ids(learner)
    progress = None
    if learner is not None:
        progress = challenge_progress(learner, watched=watched, done=done).get(
            challenge.pk, ChallengeProgress()
        )
    siblings = list(Challenge.objects.current().values_list("slug", "number", "title"))
    index = next(i for i, row in enumerate(siblings) if row[0] == challenge.slug)
    return {
        "challenge": challenge,
        "tier": challenge.tier,
        "videos": videos,
        "video_seconds": sum(v.seconds for v in videos),
        "items": items,
        "cards": challenge.cards.current(),
        "watched": watched,
        "done": done,
        "progress": progress,
        "challenge_count": len(siblings),
        "playlist_url": settings.PLAYLIST_URL,
        "previous": siblings[index - 1] if index > 0 else None,
        "next": siblings[index + 1] if index + 1 < len(siblings) else None,
        "steps": PathStep.objects.filter(challenge=challenge),
    }


@require_GET
def challenge(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge.objects.current().select_related("tier"), slug=slug)
    return render(
        request,
        _partial(request, "curriculum/challenge.html", "challenge-progress"),
        challenge_context(request, challenge),
    )


def path_context(request: HttpRequest, form: PlanForm | None = None) -> dict[str, Any]:
    """What the path page and its ``learning-plan`` partial render (also after a POST)."""
    steps = path_steps()
    total_days = max((s.day_end for s in steps), default=0)
    context: dict[str, Any] = {"total_days": total_days, "weekday_weeks": math.ceil(total_days / 5)}
    schedule = None
    if request.user.is_authenticated:
        learner = request.user
        today = learner_today(learner)
        schedule = schedule_for(learner, today=today, steps=steps)
        if form is None:
            initial = (
                {"start_date": schedule.plan.start_date, "study_days": schedule.plan.study_days}
                if schedule
                else {"start_date": today}
            )
            form = PlanForm(initial=initial, today=today)
        context |= {"schedule": schedule, "form": form, "today": today}
    days_of: dict[int, list[Any]] = {}
    for day in schedule.days if schedule else ():
        days_of.setdefault(day.step.pk, []).append(day)
    weeks: list[dict[str, Any]] = []
    for step in steps:
        if not weeks or weeks[-1]["label"] != step.week_label:
            weeks.append({"label": step.week_label, "tier": step.challenge.tier, "rows": []})
        days = days_of.get(step.pk, [])
        weeks[-1]["rows"].append(
            {
                "step": step,
                "start": days[0].date if days else None,
                "end": days[-1].date if days else None,
                "status": _step_status(days),
            }
        )
    context["weeks"] = weeks
    return context


def _step_status(days: list[Any]) -> str:
    if not days:
        return ""
    if all(d.done for d in days):
        return "done"
    if any(d.is_today for d in days):
        return "today"
    if any(d.status == "behind" for d in days):
        return "behind"
    return "upcoming"


@require_GET
def path(request: HttpRequest) -> HttpResponse:
    return render(
        request, _partial(request, "curriculum/path.html", "learning-plan"), path_context(request)
    )


@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    statistics = curriculum_stats.from_db()
    most = max((c.cards for c in statistics.concepts), default=0)
    return render(
        request,
        _partial(request, "curriculum/stats.html", "stats-tables"),
        {
            "statistics": statistics,
            "concept_max": most,
            "tips": Tip.objects.all(),
            "links": QuickLink.objects.all(),
        },
    )
