"""The nav's XP badge, rendered inline on every page and re-fetched by htmx on
``xp-changed`` (progress.dashboard.xp_badge renders the same partial)."""

from __future__ import annotations

from typing import Any

from django import template

from progress import activity, xp

register = template.Library()


@register.inclusion_tag("progress/dashboard.html#xp-badge", takes_context=True)
def xp_badge(context: template.Context, user: Any) -> dict[str, object]:
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if viewer is not None and viewer.pk == user.pk:
        # The request's standing carries the total; the page and the due count share it.
        total = activity.request_standing(request).total_xp
    else:
        total = xp.total(learner=user)
    return {"total_xp": total, "level": xp.level_for(total)}
