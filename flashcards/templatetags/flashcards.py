"""Flashcard pieces other apps' templates show: the due counts (nav, home page) and the
dashboard's flashcard statistics.

Template tags let progress's dashboard show flashcard data without progress importing
flashcards (STYLE.md: flashcards → progress, never back).
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from flashcards import queue, stats
from progress.days import now_utc

register = template.Library()

_CODE = re.compile(r"`([^`\n]+)`")


@register.filter
def card_markup(text: str) -> SafeString:
    """A card's text as HTML: escaped, `code` in a code font, blank lines as paragraphs,
    single line breaks kept."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    html = []
    for paragraph in paragraphs:
        body = _CODE.sub(r"<code>\1</code>", escape(paragraph)).replace("\n", "<br>")
        html.append(f"<p>{body}</p>")
    return mark_safe("".join(html))  # noqa: S308 — built from escaped text only


def _counts(context: template.Context, user: Any) -> queue.Counts:
    """The queue's counts, computed once per request: the nav, the home page and the
    dashboard all show them. For the signed-in user they come from the page cache
    (``queue.request_counts``); anyone else's are counted now."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if viewer is not None and viewer.pk == user.pk:
        return queue.request_counts(request)
    return queue.counts(learner=user, now=now_utc())


@register.simple_tag(takes_context=True)
def review_counts(context: template.Context, user: Any) -> queue.Counts | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return _counts(context, user)


@register.inclusion_tag("flashcards/stats.html#flashcard-stats", takes_context=True)
def flashcard_stats(context: template.Context, user: Any) -> dict[str, object]:
    now = now_utc()
    counts = _counts(context, user)
    return {
        "counts": counts,
        "chart": stats.forecast_chart(learner=user, now=now),
        "retention": stats.true_retention(learner=user, now=now),
        "leech_count": counts.leeches,
    }
