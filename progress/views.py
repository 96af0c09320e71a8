from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from accelerator.http import HttpRequest


def home(request: HttpRequest) -> HttpResponse:
    # Replaced by the "today" page (issue 2); a landing page for anonymous visitors.
    return render(request, "progress/home.html", {})
