"""The grading panel embedded in the curriculum's challenge page.

The curriculum app must not import grading (dependency direction, STYLE.md); its
template loads this tag instead, and grading decides what the panel shows: the editor and
the learner's attempts, a log-in prompt, or "grading arrives soon" for a challenge without
checks yet."""

from __future__ import annotations

from typing import Any

from django import template

from curriculum.models import Challenge
from grading.views import panel_context

register = template.Library()


@register.inclusion_tag("grading/challenge_panel.html", takes_context=True)
def grading_panel(context: template.Context, challenge: Challenge) -> dict[str, Any]:
    request = context["request"]
    return panel_context(request, challenge) | {"csrf_token": context.get("csrf_token")}
