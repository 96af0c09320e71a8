"""A learner's calendar days. "Today", streaks, the daily goal and the new-card limit all
turn over at midnight in the learner's own time zone (``User.zone``), not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import User


def now_utc() -> datetime:
    # fsrs insists on datetime.timezone.utc itself, so normalise every "now" through here.
    return timezone.now().astimezone(UTC)


def local_date(*, learner: User, at: datetime) -> date:
    """The learner's calendar date at an instant."""
    return at.astimezone(learner.zone).date()


def today(*, learner: User, now: datetime | None = None) -> date:
    return local_date(learner=learner, at=now or now_utc())


def day_bounds(*, learner: User, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a learner-local day as aware UTC instants (23 or 25 hours across a
    daylight-saving change)."""
    zone = learner.zone
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
