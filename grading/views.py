"""The grading pages: submit from the panel, watch the checks arrive, browse past attempts.

One view, two renders (STYLE.md): an htmx request gets the partial named after the DOM id
it replaces, anything else the full page. The panel itself is rendered on the curriculum's
challenge page by ``{% grading_panel challenge %}`` (grading/templatetags/grading.py), with
the same context this module builds for the challenge's submissions page.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget, trigger_client_event

from accelerator.http import AuthenticatedHttpRequest, HttpRequest
from accounts.decorators import login_required
from accounts.models import User
from curriculum.models import BuildItem, Card, Challenge, Video
from grading.challenges import get_spec
from grading.forms import SubmissionForm, new_token
from grading.models import Submission
from grading.submissions import NotGradable, RateLimited, submit
from progress import xp

PANEL = "grading/challenge_panel.html"
DETAIL = "grading/submission_detail.html"
LIST = "grading/submission_list.html"
# Attempts listed in the challenge page's panel; the submissions page lists them all.
PANEL_HISTORY = 5


# --- context builders (shared with the template tag) ----------------------------------------


def status_context(submission: Submission) -> dict[str, Any]:
    """What the ``submission-status`` partial renders: the verdict so far and each check,
    with the video and flashcard that teach it."""
    checks = list(submission.checks.all())
    ids = {c.video_youtube_id for c in checks if c.video_youtube_id}
    numbers = {c.card_number for c in checks if c.card_number is not None}
    videos = {v.youtube_id: v for v in Video.objects.filter(youtube_id__in=ids)} if ids else {}
    cards = {c.number: c for c in Card.objects.filter(number__in=numbers)} if numbers else {}
    for check in checks:
        check.video = videos.get(check.video_youtube_id)  # type: ignore[attr-defined]
        check.card = cards.get(check.card_number)  # type: ignore[attr-defined]
    spec = get_spec(submission.challenge.slug)
    total = len(spec.checks) if spec is not None and not submission.is_finished else len(checks)
    return {
        "submission": submission,
        "challenge": submission.challenge,
        "checks": checks,
        "checks_done": len(checks),
        "checks_passed": sum(c.status == "pass" for c in checks),
        "checks_total": max(total, len(checks)),
        # Precheck messages quote the offending line with a caret under it: keep the layout.
        "message_block": "\n" in submission.message,
    }


def history(learner: User, challenge: Challenge, limit: int | None = None) -> QuerySet[Submission]:
    rows = (
        Submission.objects.for_learner(learner)
        .filter(challenge=challenge)
        .annotate(
            passed_count=Count("checks", filter=Q(checks__status="pass")),
            check_count=Count("checks"),
        )
        .defer("source", "stdout", "result", "original")
        # Explicit: Meta.ordering is not applied to a query with GROUP BY.
        .order_by("-created_at", "-pk")
    )
    return rows[:limit] if limit else rows


def panel_context(
    request: HttpRequest,
    challenge: Challenge,
    *,
    source: str | None = None,
    errors: list[str] | None = None,
    history_limit: int | None = PANEL_HISTORY,
) -> dict[str, Any]:
    """The grading panel: the editor (starter, last submission, or the text just refused),
    the latest submission's status and the history of attempts."""
    spec = get_spec(challenge.slug)
    context: dict[str, Any] = {
        "challenge": challenge,
        "gradable": spec is not None,
        "request": request,
        "user": request.user,
        "history_limit": history_limit,
        "form_errors": errors or [],
    }
    if spec is None:
        context["self_checks"] = BuildItem.objects.current().filter(
            challenge=challenge, kind=BuildItem.Kind.SELF_CHECK
        )
        return context
    if not request.user.is_authenticated:
        context["source"] = spec.starter
        return context
    total = Submission.objects.for_learner(request.user).filter(challenge=challenge).count()
    attempts = list(history(request.user, challenge, history_limit))
    for index, row in enumerate(attempts):
        row.number = total - index  # type: ignore[attr-defined]
    latest = attempts[0] if attempts else None
    if latest is not None:
        # The history rows defer the source; the status partial needs the full row.
        latest = Submission.objects.select_related("challenge").get(pk=latest.pk)
        context |= status_context(latest)
    if source is None:
        source = latest.source if latest is not None else spec.starter
    context |= {
        "latest": latest,
        "history": attempts,
        "history_total": total,
        "source": source,
        "token": new_token(),
        "contract": spec.names,
    }
    return context


# --- views --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def challenge_submissions(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """GET: every attempt at this challenge (htmx: the ``submission-history`` partial).
    POST: submit the panel's form (htmx: the new ``submission-status``; else a redirect)."""
    challenge = get_object_or_404(Challenge.objects.current(), slug=slug)
    if request.method == "POST":
        return _submit(request, challenge)
    if request.htmx:
        limit = request.GET.get("limit", "")
        context = panel_context(
            request, challenge, history_limit=int(limit) if limit.isdigit() else None
        )
        return render(request, f"{PANEL}#submission-history", context)
    return render(request, LIST, panel_context(request, challenge, history_limit=None))


def _submit(request: AuthenticatedHttpRequest, challenge: Challenge) -> HttpResponse:
    form = SubmissionForm(request.POST, request.FILES)
    typed = request.POST.get("source", "")
    if not form.is_valid():
        return _refused(request, challenge, typed, form.error_text(), status=400)
    source, filename = form.submitted()
    try:
        submission = submit(
            learner=request.user,
            challenge=challenge,
            source=source,
            filename=filename,
            client_token=form.cleaned_data.get("token") or "",
        )
    except RateLimited as exc:
        response = _refused(request, challenge, typed, [str(exc)], status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except NotGradable as exc:
        return _refused(request, challenge, typed, [str(exc)], status=409)
    if not request.htmx:
        return redirect("grading:submission-detail", pk=submission.pk)
    submission = Submission.objects.select_related("challenge").get(pk=submission.pk)
    context = status_context(submission) | {"token": new_token()}
    response = render(request, f"{PANEL}#submission-submitted", context)
    trigger_client_event(response, "grading-changed", {"id": submission.pk})
    return response


def _refused(
    request: AuthenticatedHttpRequest,
    challenge: Challenge,
    typed: str,
    errors: list[str],
    *,
    status: int,
) -> HttpResponse:
    """Nothing was saved: say why, next to the form, and keep the learner's text.

    htmx gets the errors swapped into the form (status 200, since htmx does not swap error
    responses; the editor keeps its text because it is not replaced). A plain POST gets the
    submissions page again with the text back in the editor and the real status code.
    """
    if request.htmx:
        response = render(request, f"{PANEL}#submission-form-errors", {"form_errors": errors})
        return reswap(retarget(response, "#submission-form-errors"), "outerHTML")
    context = panel_context(request, challenge, source=typed, errors=errors, history_limit=None)
    return render(request, LIST, context, status=status)


@require_GET
@login_required
def submission_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One submission: read-only code and results (htmx: the ``submission-status`` partial,
    which the page polls every second while the submission is queued or running)."""
    submission = get_object_or_404(
        Submission.objects.select_related("challenge").defer("original"),
        pk=pk,
        learner=request.user,
    )
    context = status_context(submission)
    if not request.htmx:
        return render(request, DETAIL, context)
    response = render(request, f"{DETAIL}#submission-status", context)
    if submission.is_finished:
        # Only a poll sees the change to finished (a page load renders it in full), so
        # these fire once: the history refreshes, and on the first pass the XP badge.
        trigger_client_event(
            response, "grading-changed", {"id": submission.pk, "status": submission.status}
        )
        if submission.xp_awarded:
            trigger_client_event(
                response,
                "xp-changed",
                {
                    "amount": submission.xp_awarded,
                    "reason": xp.challenge_pass_reason(submission.challenge.slug),
                },
            )
    return response
