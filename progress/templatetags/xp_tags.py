"""The nav's XP badge, rendered inline on every page and re-fetched by htmx on
``xp-changed`` (progress.dashboard.xp_badge renders the same partial)."""

from __future__ import annotations

from typing import Any

from django import template

from progress import xp

register = template.Library()


@register.inclusion_tag("progress/dashboard.html#xp-badge")
def xp_badge(user: Any) -> dict[str, object]:
    total = xp.total(learner=user)
    return {"total_xp": total, "level": xp.level_for(total)}
