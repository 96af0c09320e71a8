"""The playground links a challenge page shows (curriculum templates load this, so
curriculum never imports playgrounds' code)."""

from __future__ import annotations

from django import template

from playgrounds import catalogue

register = template.Library()


@register.inclusion_tag("playgrounds/index.html#challenge-links")
def playground_links(slug: str) -> dict[str, object]:
    return {"playgrounds": catalogue.for_challenge(slug)}
