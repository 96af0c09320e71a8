"""Playground computations that take longer than a page should wait (> 200 ms) run on a
worker as a ``PlaygroundRun``; the page polls its status and draws a progress bar.

A computation is a plain function ``fn(params, progress) -> result`` registered with
``@job("kind")`` in a module of ``playgrounds/computations``; ``params`` and ``result`` are
JSON values. The function reports progress with ``progress(fraction, "stage")`` and fails
with a message the learner may read by raising ``PlaygroundError``; any other exception
is logged and shown as a generic failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from playgrounds.models import ACTIVE_STATUSES, PlaygroundRun

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Computation = Callable[[dict[str, Any], Progress], dict[str, Any]]

# One visitor may have this many computations waiting or running at once.
MAX_ACTIVE_PER_OWNER = 3
# A run still queued or running after this long is reported as failed (its worker died
# or the queue is stuck); the page stops polling.
DEFAULT_TIMEOUT_S = 120
# Finished runs are kept this long, then pruned.
KEEP_FOR = timedelta(days=2)
# Progress writes are throttled: a tight loop must not hammer the database.
PROGRESS_EVERY_S = 0.1


class PlaygroundError(Exception):
    """A failure whose message the learner should read (bad input, no submission...)."""


class TooBusy(PlaygroundError):
    pass


@dataclass(frozen=True)
class Job:
    kind: str
    fn: Computation
    queue: str = "default"
    # Identical parameters give identical results for everyone: answer from a stored run.
    shareable: bool = True
    timeout_s: int = DEFAULT_TIMEOUT_S


JOBS: dict[str, Job] = {}


def job(
    kind: str, *, queue: str = "default", shareable: bool = True, timeout_s: int = DEFAULT_TIMEOUT_S
) -> Callable[[Computation], Computation]:
    def register(fn: Computation) -> Computation:
        JOBS[kind] = Job(kind=kind, fn=fn, queue=queue, shareable=shareable, timeout_s=timeout_s)
        return fn

    return register


@dataclass(frozen=True)
class Owner:
    user_id: int | None
    session_key: str

    def runs(self) -> Any:
        if self.user_id is not None:
            return PlaygroundRun.objects.filter(owner_id=self.user_id)
        return PlaygroundRun.objects.filter(owner__isnull=True, session_key=self.session_key)


def owner_of(request: HttpRequest) -> Owner:
    """The signed-in user, or the visitor's session (created if it has none yet)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Owner(user_id=user.pk, session_key="")
    if not request.session.session_key:
        request.session.save()
    return Owner(user_id=None, session_key=request.session.session_key or "")


def params_key(kind: str, params: dict[str, Any]) -> str:
    canonical = json.dumps([kind, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def start(kind: str, params: dict[str, Any], *, owner: Owner) -> PlaygroundRun:
    """A run for ``kind`` with ``params``: answered at once from an identical finished run
    when the job is shareable, the owner's identical run still in flight, or a new run
    sent to a worker once the transaction commits."""
    spec = JOBS[kind]
    key = params_key(kind, params)
    mine = owner.runs().filter(kind=kind, key=key)
    in_flight = mine.filter(status__in=ACTIVE_STATUSES).first()
    if in_flight is not None and not expire_if_stale(in_flight):
        return in_flight
    done = PlaygroundRun.objects.filter(kind=kind, key=key, status=PlaygroundRun.Status.DONE)
    if not spec.shareable:
        done = done.filter(pk__in=mine.values("pk"))
    stored = done.only("result").first()
    new = PlaygroundRun(
        owner_id=owner.user_id, session_key=owner.session_key, kind=kind, key=key, params=params
    )
    if stored is not None:
        now = timezone.now()
        new.status = PlaygroundRun.Status.DONE
        new.progress = 1.0
        new.result = stored.result
        new.started_at = new.finished_at = now
        new.save()
        return new
    if owner.runs().filter(status__in=ACTIVE_STATUSES).count() >= MAX_ACTIVE_PER_OWNER:
        raise TooBusy(
            f"You already have {MAX_ACTIVE_PER_OWNER} computations running; "
            "wait for one to finish, then try again."
        )
    new.save()
    transaction.on_commit(lambda: _send(new.pk, spec.queue))
    return new


def _send(run_id: Any, queue: str) -> None:
    from playgrounds.tasks import run_playground

    try:
        run_playground.apply_async((str(run_id),), queue=queue)
    except Exception:  # the broker is down: say so now rather than spin for two minutes
        log.exception("could not queue playground run %s", run_id)
        PlaygroundRun.objects.filter(pk=run_id, status=PlaygroundRun.Status.QUEUED).update(
            status=PlaygroundRun.Status.FAILED,
            error="The computation could not be queued; please try again in a minute.",
            finished_at=timezone.now(),
        )


def execute(run_id: Any) -> None:
    """Run a queued computation (on a worker): claim it, call its function, store the
    result or the failure. A duplicate delivery finds the run claimed and does nothing."""
    claimed = PlaygroundRun.objects.filter(pk=run_id, status=PlaygroundRun.Status.QUEUED).update(
        status=PlaygroundRun.Status.RUNNING, started_at=timezone.now(), stage="Starting"
    )
    if not claimed:
        return
    run = PlaygroundRun.objects.get(pk=run_id)
    spec = JOBS.get(run.kind)
    last = [0.0]

    def progress(fraction: float, stage: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        PlaygroundRun.objects.filter(pk=run_id, status=PlaygroundRun.Status.RUNNING).update(
            progress=max(0.0, min(1.0, float(fraction))), stage=stage[:200]
        )

    fields: dict[str, Any]
    try:
        if spec is None:
            raise PlaygroundError(f"Unknown computation {run.kind!r}.")
        result = spec.fn(dict(run.params), progress)
        fields = {"status": PlaygroundRun.Status.DONE, "result": result, "progress": 1.0}
    except PlaygroundError as error:
        fields = {"status": PlaygroundRun.Status.FAILED, "error": str(error)}
    except Exception:
        log.exception("playground run %s (%s) failed", run_id, run.kind)
        fields = {
            "status": PlaygroundRun.Status.FAILED,
            "error": "The computation failed unexpectedly; it has been logged.",
        }
    PlaygroundRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), stage="", **fields)
    prune()


def expire_if_stale(run: PlaygroundRun) -> bool:
    """Mark a run that has waited or run past its job's timeout as failed."""
    if run.finished:
        return False
    spec = JOBS.get(run.kind)
    limit = timedelta(seconds=spec.timeout_s if spec else DEFAULT_TIMEOUT_S)
    if timezone.now() - run.created_at <= limit:
        return False
    message = (
        "No worker picked the computation up; please try again later."
        if run.status == PlaygroundRun.Status.QUEUED
        else "The computation took too long and was stopped."
    )
    expired = PlaygroundRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
        status=PlaygroundRun.Status.FAILED, error=message, finished_at=timezone.now()
    )
    if expired:
        run.refresh_from_db()
    return bool(expired)


def status_payload(run: PlaygroundRun) -> dict[str, Any]:
    expire_if_stale(run)
    return {
        "id": str(run.pk),
        "kind": run.kind,
        "status": run.status,
        "progress": round(run.progress, 3),
        "stage": run.stage,
        "result": run.result if run.status == PlaygroundRun.Status.DONE else None,
        "error": run.error,
        "finished": run.finished,
    }


def prune() -> int:
    cutoff = timezone.now() - KEEP_FOR
    deleted, _ = PlaygroundRun.objects.filter(
        Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff)
    ).delete()
    return deleted
