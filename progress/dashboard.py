"""The learner dashboard and the nav's XP badge.

XP and level, streak and daily goal, tier progress, challenge statuses, an activity heat
map (server-rendered SVG) and the next step come from progress; the flashcard panels (cards
due, 30-day forecast, true retention) are flashcards' template tags, so progress never
imports flashcards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from accelerator.http import AuthenticatedHttpRequest
from accounts.decorators import login_required
from accounts.models import User
from curriculum.models import Tier, Video
from progress import activity, completion, freshness, streaks, xp
from progress.days import today as local_today
from progress.models import VideoWatch

HEATMAP_WEEKS = 26
CELL, GAP, LEFT, TOP = 12, 3, 28, 16


@dataclass(frozen=True)
class HeatCell:
    day: date
    xp: int
    active: bool
    frozen: bool
    x: int
    y: int

    @property
    def level(self) -> int:
        """0 idle, 1 active without XP or under 10, 2 under the daily goal, 3 goal met, 4 2×."""
        if not self.active:
            return 0
        if self.xp < 10:
            return 1
        if self.xp < xp.DAILY_GOAL_XP:
            return 2
        return 3 if self.xp < 2 * xp.DAILY_GOAL_XP else 4

    @property
    def title(self) -> str:
        if self.frozen:
            return f"{self.day:%a %d %b %Y}: missed, kept by the week's streak freeze"
        if not self.active:
            return f"{self.day:%a %d %b %Y}: no study"
        return f"{self.day:%a %d %b %Y}: {self.xp} XP"


@dataclass(frozen=True)
class HeatMap:
    cells: list[HeatCell]
    months: list[tuple[int, str]]  # (x, label) at each month's first column
    weekdays: list[tuple[int, str]]
    width: int
    height: int
    active_days: int

    def rects(self) -> SafeString:
        """The cells as SVG, built here in one pass rather than by a template loop: 182
        cells of a dozen template nodes each were most of the dashboard's render time."""
        today = self.cells[-1].day if self.cells else None
        parts = []
        for cell in self.cells:
            classes = f"heat heat-{cell.level}"
            if cell.frozen:
                classes += " heat-frozen"
            if cell.day == today:
                classes += " heat-today"
            # Only numbers, dates and fixed words: the title is escaped all the same.
            parts.append(
                f'<rect class="{classes}" x="{cell.x}" y="{cell.y}" width="{CELL}" '
                f'height="{CELL}" rx="2" data-day="{cell.day:%Y-%m-%d}">'
                f"<title>{escape(cell.title)}</title></rect>"
            )
        return mark_safe("\n".join(parts))  # noqa: S308


def heat_map(
    *,
    learner: User,
    today: date,
    streak: streaks.Streak,
    weeks: int = HEATMAP_WEEKS,
    activity: dict[date, int] | None = None,
) -> HeatMap:
    """The last ``weeks`` weeks, Monday-first columns ending with this week (GitHub style).
    ``activity``: ``streaks.daily_activity`` when the caller has read it already."""
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    if activity is None:
        activity = streaks.daily_activity(learner=learner)
    xp_per_day = {day: amount for day, amount in activity.items() if first <= day <= today}
    active = set(xp_per_day)
    frozen = set(streak.frozen_days)
    cells: list[HeatCell] = []
    months: list[tuple[int, str]] = []
    for column in range(weeks):
        x = LEFT + column * (CELL + GAP)
        for row in range(7):
            day = first + timedelta(weeks=column, days=row)
            if day > today:
                break
            # Label a month at its first column, unless it would run off the right edge.
            if (day.day == 1 or (column == 0 and row == 0)) and column < weeks - 2:
                months.append((x, f"{day:%b}"))
            cells.append(
                HeatCell(
                    day=day,
                    xp=xp_per_day.get(day, 0),
                    active=day in active,
                    frozen=day in frozen,
                    x=x,
                    y=TOP + row * (CELL + GAP),
                )
            )
    weekdays = [
        (TOP + row * (CELL + GAP) + CELL - 2, label)
        for row, label in ((0, "Mon"), (2, "Wed"), (4, "Fri"))
    ]
    return HeatMap(
        cells=cells,
        months=months,
        weekdays=weekdays,
        width=LEFT + weeks * (CELL + GAP),
        height=TOP + 7 * (CELL + GAP),
        active_days=len(active),
    )


@dataclass(frozen=True)
class NextStep:
    text: str
    url: str
    action: str


def next_step(statuses: list[activity.ChallengeStatus], *, learner: User) -> NextStep | None:
    """The one thing to do next in the curriculum (the template puts due flashcards first)."""
    current = next((s for s in statuses if s.is_current), None)
    if current is None:
        return None
    challenge = current.challenge
    url = reverse("curriculum:challenge", args=[challenge.slug])
    video = (
        Video.objects.current()
        .filter(challenge=challenge)
        .exclude(pk__in=VideoWatch.objects.filter(learner=learner).values("video_id"))
        .order_by("position")
        .first()
    )
    if video is not None:
        minutes = max(1, round(video.seconds / 60))
        return NextStep(
            f"Watch “{video.title}” ({minutes} min)", f"{url}#video-{video.slug}", "Watch"
        )
    if not current.progress.passed:
        return NextStep(f"Build and submit “{challenge.title}”", url, "Open challenge")
    return NextStep(f"Tick the self-checks of “{challenge.title}”", url, "Finish challenge")


def dashboard_context(
    *, learner: User, standing: activity.Standing | None = None
) -> dict[str, object]:
    """Everything the dashboard shows but the flashcard panels, in three queries on top of
    ``standing`` (which the view shares with the nav): the tiers, the daily activity and the
    next video. The flashcard panels' template tags add three: counts, forecast, retention."""
    standing = standing or activity.standing(learner=learner)
    day = local_today(learner=learner)
    statuses = standing.statuses
    by_tier = activity.tier_progress(statuses)
    tiers = [
        {"tier": tier, "progress": by_tier.get(tier.pk, completion.TierProgress())}
        for tier in Tier.objects.current().order_by("number")
    ]
    days = streaks.daily_activity(learner=learner)
    streak = streaks.streak(learner=learner, activity=days)
    return {
        "total_xp": standing.total_xp,
        "level": standing.level,
        "streak": streak,
        "goal": streaks.daily_goal(learner=learner, day=day, activity=days),
        "tiers": tiers,
        "statuses": statuses,
        "passed_count": sum(s.status == activity.PASSED for s in statuses),
        "heat": heat_map(learner=learner, today=day, streak=streak, activity=days),
        "next_step": next_step(statuses, learner=learner),
        "today": day,
    }


PANELS = "progress/dashboard.html#dashboard-panels"


@require_GET
@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The panels are one fragment in the page cache under the learner's freshness stamp
    (progress.freshness): no form, no CSRF token, nothing but the learner's own figures."""
    learner = request.user

    def render_panels() -> str:
        standing = activity.request_standing(request)
        context = dashboard_context(learner=learner, standing=standing)
        return render_to_string(PANELS, context, request=request)

    panels = mark_safe(freshness.cached("dashboard-panels", user=learner, compute=render_panels))  # noqa: S308
    if request.htmx and not request.htmx.boosted:
        return HttpResponse(panels)
    return render(request, "progress/dashboard.html", {"panels": panels})


@require_GET
@login_required
def xp_badge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The nav's XP badge, re-fetched whenever a response triggers ``xp-changed``."""
    total = xp.total(learner=request.user)
    return render(
        request,
        "progress/dashboard.html#xp-badge",
        {"total_xp": total, "level": xp.level_for(total)},
    )
