from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from playgrounds import catalogue


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "playgrounds/index.html", {"playgrounds": catalogue.PLAYGROUNDS})
