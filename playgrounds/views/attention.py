"""The attention explorer (/play/attention/): heat maps of every layer's and head's
attention weights for a sentence, for the project's small GPT or the learner's own class."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import numpy as np
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from grading.models import Submission
from playgrounds import attention as maths
from playgrounds import jobs
from playgrounds.models import PlaygroundRun
from playgrounds.views.runs import start_run

MHA_SLUG = "multi-head-attention"


def passing_submission(request: HttpRequest) -> Submission | None:
    """The signed-in learner's latest passing multi-head-attention submission: always taken
    from ``request.user``, never from an id the client sent."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return (
        Submission.objects.for_learner(user)
        .filter(challenge__slug=MHA_SLUG, status=Submission.Status.PASS)
        .only("pk", "created_at", "finished_at")
        .order_by("-created_at", "-pk")
        .first()
    )


def no_submission_message(request: HttpRequest) -> str:
    challenge = reverse("curriculum:challenge", args=[MHA_SLUG])
    if not request.user.is_authenticated:
        return (
            "Sign in to see your own MultiHeadAttention here: once you have passed the "
            f"multi-head-attention challenge ({challenge}), the explorer runs your class."
        )
    return (
        "You have no passing multi-head-attention submission yet. Pass the challenge at "
        f"{challenge} and your own MultiHeadAttention appears here, beside the reference."
    )


def run_params(settings: maths.Settings) -> dict[str, Any]:
    """The project model's job parameters (the model version makes a stored result of an
    older model never count)."""
    return {"text": settings.text, "model": settings.source, "version": maths.model_version()}


def stored_result(settings: maths.Settings) -> dict[str, Any] | None:
    """A finished computation of the project's model for exactly these inputs, if any (it is
    shareable: anyone's identical run will do)."""
    if settings.source not in maths.MODEL_SOURCES or "text" in settings.errors:
        return None
    key = jobs.params_key("attention-maps", run_params(settings))
    run = (
        PlaygroundRun.objects.filter(
            kind="attention-maps", key=key, status=PlaygroundRun.Status.DONE
        )
        .only("result")
        .first()
    )
    return run.result if run is not None else None


def drawing(settings: maths.Settings, result: dict[str, Any]) -> dict[str, Any]:
    """The selected map and the layer x head overview, ready for the template."""
    tokens = result["tokens"]
    maps = result["maps"]["causal" if settings.causal else "none"]
    n = len(tokens)
    vmax = maths.scale_max(settings.dropout)
    grid = [
        [
            {
                "layer": layer,
                "head": head,
                "href": "?"
                + urlencode(settings.query() | {"layer": str(layer + 1), "head": str(head + 1)}),
                "selected": (layer, head) == (settings.layer, settings.head),
            }
            for head in range(len(per_head))
        ]
        for layer, per_head in enumerate(maps)
    ]
    weights = np.asarray(maps[settings.layer][settings.head])
    keep = maths.dropout_keep(settings.seed, settings.layer, settings.head, n, settings.dropout)
    view = maths.view(weights, causal=settings.causal, p=settings.dropout, keep=keep)
    size = n * maths.CELL
    return {
        "tokens": tokens,
        "cells": maths.cells(view, tokens, vmax),
        "row_sums": [
            {"y": maths.LABEL_H + i * maths.CELL + maths.CELL / 2 + 4, "value": s}
            for i, s in enumerate(maths.row_sums(view))
        ],
        "labels": [
            {
                "label": t["label"],
                "known": t["known"],
                "centre": maths.LABEL_H + i * maths.CELL + maths.CELL / 2 + 4,
                "col_x": maths.LABEL_W + i * maths.CELL + maths.CELL / 2,
            }
            for i, t in enumerate(tokens)
        ],
        "width": maths.LABEL_W + size + maths.SUM_W,
        "height": maths.LABEL_H + size + 8,
        "sum_x": maths.LABEL_W + size + 8,
        "mini": n * maths.MINI_CELL,
        "grid": grid,
        "legend": maths.legend(vmax),
        "vmax": vmax,
        "dropped": int(view.dropped.sum()),
        "masked": int(view.masked.sum()),
        "model": result["model"],
    }


@require_GET
def attention(request: HttpRequest) -> HttpResponse:
    """The page. The maps come from a computation on a worker (``attention.js`` starts it
    and draws the result); when an identical computation of the project's model is already
    stored, the maps are drawn here too, so the page shows them without JavaScript.
    Invalid parameters keep their defaults and are reported next to their field (400)."""
    settings = maths.parse(request.GET)
    submission = passing_submission(request)
    if settings.source == maths.SUBMISSION and submission is None:
        settings = replace(settings, source=maths.TRAINED)  # the option is not theirs to pick
    result = stored_result(settings)
    context = {
        "settings": settings,
        "result": result,
        "drawing": drawing(settings, result) if result is not None else None,
        "submission": submission,
        "no_submission": no_submission_message(request) if submission is None else "",
        "examples": maths.EXAMPLES,
        "dropout_rates": maths.DROPOUT_RATES,
        "max_tokens": maths.MAX_TOKENS,
        "max_chars": maths.MAX_CHARS,
        "architecture": maths.ARCHITECTURE,
        "training": maths.TRAINING,
        "corpus_title": maths.CORPUS_TITLE,
        "vocab_size": maths.model_config()["vocab_size"],
        "uniform_loss": math.log(maths.model_config()["vocab_size"]),
        "geometry": {
            "cell": maths.CELL,
            "label_w": maths.LABEL_W,
            "label_h": maths.LABEL_H,
            "sum_w": maths.SUM_W,
            "mini": maths.MINI_CELL,
        },
    }
    status = 400 if settings.errors else 200
    return render(request, "playgrounds/attention.html", context, status=status)


@require_POST
def attention_run(request: HttpRequest) -> JsonResponse:
    """Start the computation for a sentence and a source: 202 with the status URL, or 400
    with a message saying exactly what to change (the page keeps what was typed)."""
    settings = maths.parse(request.POST)
    for name in ("text", "source"):
        if name in settings.errors:
            return JsonResponse({"error": settings.errors[name], "field": name}, status=400)
    if settings.source != maths.SUBMISSION:
        return start_run(request, "attention-maps", run_params(settings))
    submission = passing_submission(request)
    if submission is None:
        return JsonResponse(
            {"error": no_submission_message(request), "field": "source"}, status=400
        )
    return start_run(
        request,
        "attention-submission",
        {
            "text": settings.text,
            "submission": submission.pk,
            "learner": request.user.pk,
            "version": maths.model_version(),
        },
    )
