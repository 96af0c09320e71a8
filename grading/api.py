"""The grading API, for submitting from a notebook or a script (docs/api.md).

Authentication is a personal API token only (``Authorization: Bearer <token>``, issued on
the profile page). Session cookies are ignored here, which is why these views, and only
these, are exempt from CSRF: a browser cannot attach the bearer header on its own.

    POST /api/challenges/<slug>/submissions   multipart ``file`` (or ``source``), or JSON
                                              {"source": "...", "filename": "..."}
    GET  /api/submissions/<id>                status, live checks, the Exercism results

Errors are JSON ``{"error": <code>, "detail": <sentence>}`` with a 4xx status.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.tokens import user_for_authorization_header
from curriculum.models import Challenge
from grading.forms import SubmissionForm
from grading.models import Submission
from grading.submissions import NotGradable, RateLimited, submit


def error(status: int, code: str, detail: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": code, "detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _unauthorized() -> JsonResponse:
    return error(
        401,
        "unauthorized",
        "Send your personal API token as `Authorization: Bearer <token>` "
        "(create one on your profile page).",
        WWW_Authenticate='Bearer realm="api"',
    )


def _learner(request: HttpRequest) -> User | None:
    return user_for_authorization_header(request.headers.get("Authorization"))


@csrf_exempt
@require_POST
def create_submission(request: HttpRequest, slug: str) -> JsonResponse:
    learner = _learner(request)
    if learner is None:
        return _unauthorized()
    challenge = Challenge.objects.current().filter(slug=slug).first()
    if challenge is None:
        return error(404, "unknown_challenge", f"There is no challenge “{slug}”.")
    try:
        parsed = _source(request)
    except RequestDataTooBig:
        return error(413, "too_large", "The request is too large; a submission is at most 256 KB.")
    if isinstance(parsed, JsonResponse):
        return parsed
    source, filename = parsed
    try:
        submission = submit(
            learner=learner,
            challenge=challenge,
            source=source,
            filename=filename,
            client_token=request.headers.get("Idempotency-Key", ""),
        )
    except RateLimited as exc:
        return error(429, "rate_limited", str(exc), Retry_After=str(exc.retry_after))
    except NotGradable as exc:
        return error(404, "not_gradable", str(exc))
    # 202: accepted, grading follows; 201: refused by the checks on the input, already final.
    return JsonResponse(
        submission_json(request, submission), status=201 if submission.is_finished else 202
    )


def _source(request: HttpRequest) -> tuple[str | bytes, str] | JsonResponse:
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return error(400, "bad_json", "The request body is not valid JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("source"), str):
            return error(400, "bad_input", 'Send JSON like {"source": "<your module>"}.')
        filename = body.get("filename")
        return body["source"], filename if isinstance(filename, str) else "solution.py"
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = SubmissionForm(request.POST, request.FILES)
        if not form.is_valid():
            return error(400, "bad_input", " ".join(form.error_text()))
        if "file" not in request.FILES and "source" not in request.POST:
            return error(400, "bad_input", "Send your module as the multipart field `file`.")
        return form.submitted()
    return error(
        415,
        "unsupported_media_type",
        "Send multipart/form-data with a `file` field, or application/json with `source`.",
    )


@require_GET
def submission(request: HttpRequest, pk: int) -> JsonResponse:
    learner = _learner(request)
    if learner is None:
        return _unauthorized()
    found = (
        Submission.objects.select_related("challenge")
        .defer("original")
        .filter(pk=pk, learner=learner)
        .first()
    )
    if found is None:
        return error(404, "not_found", f"You have no submission {pk}.")
    return JsonResponse(submission_json(request, found, detail=True))


def submission_json(
    request: HttpRequest, sub: Submission, *, detail: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": sub.pk,
        "challenge": sub.challenge.slug,
        "status": sub.status,
        "message": sub.message,
        "created_at": sub.created_at.isoformat(),
        "finished_at": sub.finished_at.isoformat() if sub.finished_at else None,
        "url": request.build_absolute_uri(reverse("grading:api-submission", args=[sub.pk])),
        "html_url": request.build_absolute_uri(reverse("grading:submission-detail", args=[sub.pk])),
    }
    if detail:
        data |= {
            "started_at": sub.started_at.isoformat() if sub.started_at else None,
            "attempts": sub.attempts,
            "xp_awarded": sub.xp_awarded,
            # While grading runs, the checks finished so far; afterwards the same list as
            # results["tests"].
            "checks": [
                {
                    "name": c.name,
                    "status": c.status,
                    "message": c.message,
                    "elapsed_s": c.elapsed_ms / 1000,
                }
                for c in sub.checks.all()
            ],
            "results": sub.result,
        }
    return data
