"""Filters for showing curriculum times: ``{{ video.seconds|clock }}`` → "21:10",
``{{ seconds|duration }}`` → "1h 49m 51s", ``{{ seconds|short_duration }}`` → "1h 50m"."""

from __future__ import annotations

from django import template

from curriculum.stats import format_duration

register = template.Library()


@register.filter
def clock(seconds: int) -> str:
    """1270 → "21:10"; 3935 → "1:05:35" (how video players show a length)."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def duration(seconds: int) -> str:
    return format_duration(int(seconds))


@register.filter
def short_duration(seconds: int) -> str:
    """Rounded to the minute: 6591 → "1h 50m"; 1260 → "21m"."""
    minutes = round(int(seconds) / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours}h {minutes}m"
    return f"{hours}h" if hours else f"{minutes}m"
