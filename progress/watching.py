"""Ticking videos watched and self-check build items done.

Both take the state the learner wants (``watched=True``), not a toggle, so a replayed
request changes nothing; the unique constraints on VideoWatch and BuildItemCheck hold
even when two requests race.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from curriculum.models import BuildItem, Video
from progress import freshness, xp
from progress.models import BuildItemCheck, VideoWatch, XPEntry


class NotSelfCheck(ValueError):
    """A graded build item is decided by the grader, not ticked by hand."""


@dataclass(frozen=True)
class Tick:
    changed: bool  # False when the row was already in the requested state
    awarded: XPEntry | None = None  # the XP this tick earned, if any


@transaction.atomic
def set_watched(*, learner: User, video: Video, watched: bool) -> Tick:
    """Mark a video watched (awarding its XP the first time ever) or unwatched.

    Unwatching keeps the XP already earned, and watching again earns nothing: un-ticking
    and re-ticking must not farm XP (or a day's goal).
    """
    if not watched:
        deleted, _ = VideoWatch.objects.filter(learner=learner, video=video).delete()
        if deleted:
            freshness.touch(learner=learner)
        return Tick(changed=bool(deleted))
    _, created = VideoWatch.objects.get_or_create(learner=learner, video=video)
    entry = xp.award(learner=learner, reason=xp.video_reason(video.slug), amount=xp.VIDEO_XP)
    if created and entry is None:  # an award touches by itself
        freshness.touch(learner=learner)
    return Tick(changed=created, awarded=entry)


@transaction.atomic
def set_item_done(*, learner: User, item: BuildItem, done: bool) -> Tick:
    """Tick (or untick) a self-check build item; graded items raise NotSelfCheck."""
    if not item.is_self_check:
        raise NotSelfCheck(
            f"“{item.text}” is checked by the grader when your code passes; it cannot be ticked."
        )
    if not done:
        deleted, _ = BuildItemCheck.objects.filter(learner=learner, item=item).delete()
        if deleted:
            freshness.touch(learner=learner)
        return Tick(changed=bool(deleted))
    _, created = BuildItemCheck.objects.get_or_create(learner=learner, item=item)
    if created:
        freshness.touch(learner=learner)
    return Tick(changed=created)
