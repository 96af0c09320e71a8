from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from playgrounds import jobs


@never_cache
@require_GET
def run_status(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """A computation's progress or result, for its owner only (404 for anyone else)."""
    run = jobs.owner_of(request).runs().filter(pk=run_id).first()
    if run is None:
        raise Http404("No such computation.")
    return JsonResponse(jobs.status_payload(run))


def start_run(request: HttpRequest, kind: str, params: dict[str, Any]) -> JsonResponse:
    """What a playground's POST answers: where to poll (202), or why not (429/400).

    The caller has validated ``params`` (bounded inputs, clear messages) before this.
    """
    try:
        run = jobs.start(kind, params, owner=jobs.owner_of(request))
    except jobs.TooBusy as error:
        return JsonResponse({"error": str(error)}, status=429)
    except jobs.PlaygroundError as error:
        return JsonResponse({"error": str(error)}, status=400)
    url = reverse("playgrounds:run-status", args=[run.pk])
    return JsonResponse({"run": str(run.pk), "status_url": url, "status": run.status}, status=202)
