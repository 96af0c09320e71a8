"""Playground computations on a worker: start, progress, result, failure, ownership."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from playgrounds import jobs
from playgrounds.models import PlaygroundRun

pytestmark = pytest.mark.django_db


@jobs.job("test-square")
def _square(params: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    progress(0.5, "Squaring")
    if params["n"] < 0:
        raise jobs.PlaygroundError("n must not be negative.")
    if params["n"] == 13:
        raise RuntimeError("unlucky")
    return {"square": params["n"] ** 2}


@jobs.job("test-private", shareable=False)
def _private(params: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    return {"n": params["n"]}


def _owner(user: User) -> jobs.Owner:
    return jobs.Owner(user_id=user.pk, session_key="")


def _status(client: Client, run: PlaygroundRun) -> dict[str, Any]:
    response = client.get(f"/play/runs/{run.pk}/")
    assert response.status_code == 200
    return response.json()


def test_a_run_goes_from_queued_to_done_and_its_owner_reads_the_result(
    alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        run = jobs.start("test-square", {"n": 7}, owner=_owner(alice))
    assert run.status == PlaygroundRun.Status.QUEUED
    assert len(callbacks) == 1  # sent to a worker only once the row is committed
    client = Client()
    client.force_login(alice)
    assert _status(client, run)["status"] == "queued"

    jobs.execute(run.pk)
    state = _status(client, run)
    assert state["status"] == "done"
    assert state["result"] == {"square": 49}
    assert state["progress"] == 1.0
    assert state["finished"] is True


def test_a_duplicate_delivery_does_nothing(alice: User) -> None:
    run = jobs.start("test-square", {"n": 3}, owner=_owner(alice))
    jobs.execute(run.pk)
    PlaygroundRun.objects.filter(pk=run.pk).update(result={"square": "kept"})
    jobs.execute(run.pk)
    run.refresh_from_db()
    assert run.result == {"square": "kept"}


def test_a_learner_facing_error_is_shown_and_anything_else_is_generic(alice: User) -> None:
    bad = jobs.start("test-square", {"n": -1}, owner=_owner(alice))
    jobs.execute(bad.pk)
    bad.refresh_from_db()
    assert bad.status == PlaygroundRun.Status.FAILED
    assert bad.error == "n must not be negative."

    crash = jobs.start("test-square", {"n": 13}, owner=_owner(alice))
    jobs.execute(crash.pk)
    crash.refresh_from_db()
    assert crash.status == PlaygroundRun.Status.FAILED
    assert "unexpectedly" in crash.error
    assert "unlucky" not in crash.error


def test_identical_shareable_work_is_answered_from_a_stored_result(alice: User, bob: User) -> None:
    first = jobs.start("test-square", {"n": 5}, owner=_owner(alice))
    jobs.execute(first.pk)
    again = jobs.start("test-square", {"n": 5}, owner=_owner(bob))
    assert again.pk != first.pk and again.owner == bob
    assert again.status == PlaygroundRun.Status.DONE
    assert again.result == {"square": 25}


def test_private_work_is_never_answered_from_someone_elses_run(alice: User, bob: User) -> None:
    first = jobs.start("test-private", {"n": 1}, owner=_owner(alice))
    jobs.execute(first.pk)
    other = jobs.start("test-private", {"n": 1}, owner=_owner(bob))
    assert other.status == PlaygroundRun.Status.QUEUED
    mine = jobs.start("test-private", {"n": 1}, owner=_owner(alice))
    assert mine.status == PlaygroundRun.Status.DONE


def test_the_same_run_in_flight_is_reused_and_too_many_are_refused(alice: User) -> None:
    one = jobs.start("test-square", {"n": 1}, owner=_owner(alice))
    assert jobs.start("test-square", {"n": 1}, owner=_owner(alice)).pk == one.pk
    jobs.start("test-square", {"n": 2}, owner=_owner(alice))
    jobs.start("test-square", {"n": 3}, owner=_owner(alice))
    with pytest.raises(jobs.TooBusy, match="3 computations running"):
        jobs.start("test-square", {"n": 4}, owner=_owner(alice))


def test_a_run_nobody_picked_up_fails_with_a_message(alice: User) -> None:
    run = jobs.start("test-square", {"n": 9}, owner=_owner(alice))
    PlaygroundRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - timedelta(seconds=jobs.DEFAULT_TIMEOUT_S + 1)
    )
    client = Client()
    client.force_login(alice)
    state = _status(client, run)
    assert state["status"] == "failed"
    assert "No worker" in state["error"]


def test_only_the_owner_sees_a_run(alice: User, bob: User) -> None:
    run = jobs.start("test-square", {"n": 4}, owner=_owner(alice))
    jobs.execute(run.pk)
    client = Client()
    client.force_login(bob)
    assert client.get(f"/play/runs/{run.pk}/").status_code == 404
    assert Client().get(f"/play/runs/{run.pk}/").status_code == 404


def test_a_visitor_owns_runs_through_their_session(client: Client) -> None:
    client.get("/play/sampling/")
    session = client.session
    session.save()
    owner = jobs.Owner(user_id=None, session_key=session.session_key or "")
    run = jobs.start("test-square", {"n": 6}, owner=owner)
    jobs.execute(run.pk)
    assert _status(client, run)["result"] == {"square": 36}
    assert Client().get(f"/play/runs/{run.pk}/").status_code == 404


def test_old_runs_are_pruned(alice: User) -> None:
    run = jobs.start("test-square", {"n": 8}, owner=_owner(alice))
    jobs.execute(run.pk)
    PlaygroundRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now() - jobs.KEEP_FOR - timedelta(minutes=1)
    )
    assert jobs.prune() == 1
    assert not PlaygroundRun.objects.filter(pk=run.pk).exists()
