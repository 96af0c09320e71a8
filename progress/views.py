"""Home ("today" for a learner, a landing page for a visitor) and the progress POSTs:
ticking a video watched, ticking a self-check build item, setting the plan's start date.

Each POST takes the state wanted (``watched=1`` / ``watched=0``), not a toggle, so a
replayed request changes nothing. An htmx POST gets the partial of the page it came from
(curriculum/challenge.html, curriculum/path.html); a plain form POST is redirected back.
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accelerator.http import AuthenticatedHttpRequest, HttpRequest
from accounts.decorators import login_required
from curriculum import stats as curriculum_stats
from curriculum.models import BuildItem, Video
from curriculum.views import challenge_context, path_context
from progress import activity, freshness, xp
from progress.forms import PlanForm
from progress.plan import learner_today, set_plan
from progress.today import today_plan
from progress.watching import NotSelfCheck, Tick, set_item_done, set_watched

_STATE = {"1": True, "0": False}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        totals = curriculum_stats.from_db().totals
        return render(request, "progress/home.html", {"landing": True, "totals": totals})
    learner = request.user

    def render_today() -> str:
        progress = activity.request_standing(request).progress  # shared with the nav
        plan = today_plan(learner=learner, progress=progress)
        return render_to_string("progress/home.html#today", {"plan": plan}, request=request)

    # One fragment in the page cache under the learner's freshness stamp (progress.freshness):
    # links and the learner's own plan only, no form and no CSRF token.
    today = mark_safe(freshness.cached("home-today", user=learner, compute=render_today))  # noqa: S308
    if request.htmx and not request.htmx.boosted:
        return HttpResponse(today)
    return render(request, "progress/home.html", {"today": today})


def _state(request: HttpRequest, field: str) -> bool | None:
    return _STATE.get(request.POST.get(field, ""))


def _tick_response(
    request: AuthenticatedHttpRequest,
    *,
    partial: str,
    anchor: str,
    video_or_item: Video | BuildItem,
    tick: Tick,
) -> HttpResponse:
    """The ticked row's partial plus the challenge's progress bar (out of band)."""
    challenge = video_or_item.challenge
    if not request.htmx:
        return redirect(reverse("curriculum:challenge", args=[challenge.slug]) + f"#{anchor}")
    context = challenge_context(request, challenge)
    page = "curriculum/challenge.html"
    html = render_to_string(
        f"{page}#{partial}",
        {**context, "video": video_or_item, "item": video_or_item},
        request=request,
    ) + render_to_string(f"{page}#challenge-progress", {**context, "oob": True}, request=request)
    response = HttpResponse(html)
    if tick.awarded is not None:
        trigger_client_event(
            response,
            "xp-changed",
            {"amount": tick.awarded.amount, "total": xp.total(learner=request.user)},
        )
    return response


@require_POST
@login_required
def video_watched(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    video = get_object_or_404(
        Video.objects.current().select_related("challenge__tier"),
        slug=slug,
        challenge__retired=False,
    )
    watched = _state(request, "watched")
    if watched is None:
        return HttpResponseBadRequest(
            "Send watched=1 to mark the video watched or watched=0 to unmark it."
        )
    tick = set_watched(learner=request.user, video=video, watched=watched)
    return _tick_response(
        request, partial="video-watch", anchor=f"video-{video.slug}", video_or_item=video, tick=tick
    )


@require_POST
@login_required
def build_item_done(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(
        BuildItem.objects.current().select_related("challenge__tier"),
        slug=slug,
        challenge__retired=False,
    )
    done = _state(request, "done")
    if done is None:
        return HttpResponseBadRequest("Send done=1 to tick the item or done=0 to untick it.")
    try:
        tick = set_item_done(learner=request.user, item=item, done=done)
    except NotSelfCheck as exc:
        return HttpResponseBadRequest(str(exc))
    return _tick_response(
        request, partial="build-item", anchor=f"item-{item.slug}", video_or_item=item, tick=tick
    )


@require_POST
@login_required
def plan(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set the start date of the learner's path (the path page's form)."""
    form = PlanForm(request.POST, today=learner_today(request.user))
    if form.is_valid():
        set_plan(
            learner=request.user,
            start_date=form.cleaned_data["start_date"],
            study_days=form.cleaned_data["study_days"],
        )
        if not request.htmx:
            return redirect(reverse("curriculum:path") + "#learning-plan")
        form = None  # show the saved plan in a fresh form
    template = "curriculum/path.html"
    if request.htmx:
        template += "#learning-plan"
    # An invalid plain POST re-renders the page with the errors and the values typed.
    status = 200 if form is None or request.htmx else 400
    return render(request, template, path_context(request, form), status=status)
