"""Playground pages: interactive versions of the book's ideas (DESIGN.md §4)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from playgrounds import sampling as sampling_maths


@require_GET
def sampling(request: HttpRequest) -> HttpResponse:
    """The sampling explorer: the next-token distribution for temperature / top-k / top-p.

    The chart is rendered here for the GET parameters (so the page works without
    JavaScript); ``static/js/sampling.js`` redraws it as the sliders move. Invalid
    parameters keep their defaults and are reported next to their field (status 400).
    """
    settings = sampling_maths.parse(request.GET)
    bars, width = sampling_maths.bars(settings)
    context = {
        "settings": settings,
        "bars": bars,
        "chart_width": width,
        "chart_height": sampling_maths.CHART_HEIGHT,
        "plot_bottom": sampling_maths.PLOT_BOTTOM,
        "token_count": len(settings.logits),
        "max_temperature": sampling_maths.MAX_TEMPERATURE,
        "max_logits": sampling_maths.MAX_LOGITS,
        "book_logits": ", ".join(f"{v:g}" for v in sampling_maths.BOOK_LOGITS),
        "book_vocab": " ".join(sampling_maths.BOOK_VOCAB),
        "book_logits_json": json.dumps(sampling_maths.BOOK_LOGITS),
        "book_labels_json": json.dumps(sampling_maths.BOOK_VOCAB),
        "greedy": settings.temperature == 0,
    }
    status = 400 if settings.errors else 200
    return render(request, "playgrounds/sampling.html", context, status=status)
