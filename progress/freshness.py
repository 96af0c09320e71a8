"""Freshness stamps, and the page cache they key.

Every write that changes what a learner's pages show (their dashboard, home page, review
page, the nav's XP badge and due count) or their row in a cohort overview calls ``touch``,
which bumps ``User.activity_version`` in the same transaction as the write. The user row is
loaded on every signed-in request anyway (authentication), so a cache key that carries the
version costs no query, and a write in any process (web, or the Celery worker that grades
and awards XP) makes the old entries unreachable at once: nothing is ever deleted, and no
process keeps a copy of its own that could go stale (locmem in development, Redis in
production, both correct). The cohort overview's key adds up its learners' versions
(cohorts.views), so their actions reach the instructor's page the same way.

What depends on the clock alone (cards falling due, "today", the streak's day boundary,
"3 hours ago") is bounded by ``settings.PAGE_CACHE_SECONDS`` (60 s by default; 0 turns the
cache off), and the learner's own date is part of every key, so midnight turns a page over.

Only fragments without per-request secrets are cached: nothing with ``{% csrf_token %}``,
no one-time form token (the review card's and the roster form's are made per render).

A request that wrote (``touch`` on its user) never reads or fills the cache again: its
version changed under it, and had its transaction rolled back, an entry filled under the
new number would wait there for the next real write to that number.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, QuerySet

from accounts.models import User
from progress.days import today

log = logging.getLogger(__name__)

T = TypeVar("T")

# Part of every key: change it when a cached value's shape changes, so a deploy never reads
# what the previous code stored (a pickled dataclass with other fields).
FORMAT = 2
_MISSING = object()


def touch(*, learner: User) -> None:
    """Bump the learner's ``activity_version``: their cached pages and their cohorts'
    overviews are out of date. Call it inside the writing transaction, after the write."""
    learner.touch_activity()


def touch_ids(learner_ids: Iterable[int] | QuerySet[Any]) -> int:
    """``touch`` for learners known by id, or by a ``values("learner_id")`` queryset (one
    UPDATE with a subquery): the QuerySet.update paths such as grading's claim and sweep."""
    if not isinstance(learner_ids, QuerySet):
        learner_ids = sorted(set(learner_ids))
        if not learner_ids:
            return 0
    return User.objects.filter(pk__in=learner_ids).update(
        activity_version=F("activity_version") + 1
    )


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def key(what: str, *, user: User) -> str:
    """``what`` for ``user`` as they stand now: their id, version and local date."""
    return f"la:{FORMAT}:{what}:{user.pk}:{user.activity_version}:{today(learner=user):%Y%m%d}"


def usable(user: User) -> bool:
    """Whether this request may read and fill ``user``'s cache (see the module doc)."""
    return enabled() and user.is_authenticated and not user.activity_touched


def cached(what: str, *, user: User, compute: Callable[[], T]) -> T:
    """``compute()``, kept for ``PAGE_CACHE_SECONDS`` under ``user``'s current key."""
    if not usable(user):
        return compute()
    return get_or_compute(key(what, user=user), compute)


def cached_content(what: str, *, compute: Callable[[], T]) -> T:
    """``compute()`` for what is the same for everyone and changes only when the curriculum
    is loaded again (a card's text, tier and challenges), kept for ``PAGE_CACHE_SECONDS``:
    a reload shows within that time."""
    if not enabled():
        return compute()
    return get_or_compute(f"la:{FORMAT}:content:{what}", compute)


def get_or_compute(cache_key: str, compute: Callable[[], T]) -> T:
    """The cached value, or ``compute()`` stored for ``PAGE_CACHE_SECONDS``. A cache that
    is down costs the computation, never the page."""
    try:
        value = cache.get(cache_key, _MISSING)
    except Exception:  # redis' ConnectionError, TimeoutError, …
        log.warning("page cache unavailable; computing %s", cache_key, exc_info=True)
        return compute()
    if value is not _MISSING:
        return value  # type: ignore[return-value]
    value = compute()
    _store(cache_key, value, settings.PAGE_CACHE_SECONDS)
    return value


@dataclass(frozen=True)
class _Shared:
    value: Any
    fresh_until: float  # time.time()


def get_or_compute_shared(cache_key: str, compute: Callable[[], T], *, wait_s: float) -> T:
    """``get_or_compute`` for a value many requests share and that is slow to compute (a
    cohort's overview, which all its instructors read): one request computes it at a time.

    - Missing (a write changed the key, or nobody asked yet): the first request computes
      it; the others wait up to ``wait_s`` for its result rather than all computing it at
      once on the same cores.
    - Older than ``PAGE_CACHE_SECONDS`` (only the clock has moved: "3 hours ago", who is
      quiet): one request computes it again while the others are still served the previous
      one, so nobody waits for the rebuild. Entries are kept twice as long for that.
    """
    ttl = settings.PAGE_CACHE_SECONDS
    marker = f"{cache_key}:computing"
    try:
        entry = cache.get(cache_key)
        if not isinstance(entry, _Shared):
            entry = None if _claim(marker, wait_s) else _wait_for(cache_key, wait_s)
        elif time.time() >= entry.fresh_until and _claim(marker, wait_s):
            entry = None  # this request refreshes it
    except Exception:
        log.warning("page cache unavailable; computing %s", cache_key, exc_info=True)
        return compute()
    if entry is not None:
        return entry.value  # type: ignore[no-any-return]
    try:
        value = compute()
    except BaseException:
        _forget(marker)  # the waiting requests compute it themselves
        raise
    _store(cache_key, _Shared(value, time.time() + ttl), 2 * ttl)
    _forget(marker)
    return value


def _claim(marker: str, wait_s: float) -> bool:
    """Whether this request is the one to compute (it set the marker first)."""
    return bool(cache.add(marker, True, timeout=max(1, math.ceil(wait_s))))


def _wait_for(cache_key: str, wait_s: float) -> _Shared | None:
    """What another request is computing, or None when it takes longer than ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        time.sleep(0.02)
        entry = cache.get(cache_key)
        if isinstance(entry, _Shared):
            return entry
    return None


def _store(cache_key: str, value: object, timeout: int) -> None:
    try:
        cache.set(cache_key, value, timeout)
    except Exception:
        log.warning("page cache unavailable; not storing %s", cache_key, exc_info=True)


def _forget(cache_key: str) -> None:
    try:
        cache.delete(cache_key)
    except Exception:
        log.warning("page cache unavailable; not deleting %s", cache_key, exc_info=True)
