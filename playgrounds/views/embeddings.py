"""The embedding explorer page (/play/embeddings/): a 2-D map of a small embedding the
project trains itself, with a similar-word lookup (maths: playgrounds/embeddings.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from playgrounds import embeddings as maths
from playgrounds.views.runs import start_run

KIND = "embedding-train"


@require_http_methods(["GET", "POST"])
def embeddings(request: HttpRequest) -> HttpResponse:
    """GET: the page, its form filled from the query string (invalid values keep their
    defaults and are reported next to their field, status 400).

    POST (what ``static/js/embeddings.js`` sends, asking for JSON): validate the settings
    and start the training on a worker (202 with the status URL, or 400/429 with the
    reason). A POST from a browser without JavaScript is redirected to the page for its
    settings, which explains that the plot needs JavaScript.
    """
    if request.method == "POST":
        settings = maths.parse(request.POST)
        errors = {name: message for name, message in settings.errors.items() if name != "word"}
        wants_json = "application/json" in request.headers.get("Accept", "")
        if errors and wants_json:
            return JsonResponse({"error": " ".join(errors.values()), "errors": errors}, status=400)
        if errors:
            return _page(request, settings, status=400)
        if not wants_json:
            return SeeOther(_page_url(settings))
        return start_run(request, KIND, settings.params())
    settings = maths.parse(request.GET)
    return _page(request, settings, status=400 if settings.errors else 200)


class SeeOther(HttpResponseRedirect):
    status_code = 303


def _page_url(settings: maths.Settings) -> str:
    query = {
        "dim": settings.dim,
        "epochs": settings.epochs,
        "projection": settings.projection,
        "trained": "yes" if settings.trained else "no",
    }
    return f"{reverse('playgrounds:embeddings')}?{urlencode(query)}"


def _page(request: HttpRequest, settings: maths.Settings, *, status: int) -> HttpResponse:
    data = maths.corpus()
    context = {
        "settings": settings,
        "dimensions": maths.DIMENSIONS,
        "projections": maths.PROJECTIONS.items(),
        "min_epochs": maths.MIN_EPOCHS,
        "max_epochs": maths.MAX_EPOCHS,
        "max_word_chars": maths.MAX_WORD_CHARS,
        "plotted": len(data.plotted),
        "neighbours": maths.NEIGHBOURS,
        "window": maths.WINDOW,
        "corpus_words": len(data.ids),
        "vocabulary": len(data.words),
        "seed": maths.SEED,
    }
    return render(request, "playgrounds/embeddings.html", context, status=status)
