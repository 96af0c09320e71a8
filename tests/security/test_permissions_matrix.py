"""Permissions as a matrix (issue #7): anonymous, alice (a learner in cohort A), bob (her
cohort-mate), dave (a learner in cohort B), erin (cohort B's instructor), carol (cohort A's
instructor) and staff, over every URL pattern of the site. No one sees or changes what is
not theirs; the table is tests/security/matrix.py.

A URL pattern without a row fails ``test_it_covers_every_url_pattern``, which names it, so
a new view cannot dodge the matrix: add its rows when it lands.

Each cell is one test, ``test_matrix[<row>-<actor>]``, for instance
``test_matrix[cohorts:overview-erin]`` or ``test_matrix[flashcards:undo(alice's review).POST-bob]``:
the name the issue asked for rather than a ``test_it_…`` sentence (the row and actor say it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.security import world as world_module
from tests.security.matrix import ROWS, Outcome, Row
from tests.security.world import ACTORS, ANONYMOUS, MARKER_READERS, World, changed_parts

ADMIN = "admin"


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module inside a transaction that is rolled back at the end; each
    test runs in a savepoint inside it (pytest-django's own), so it starts from this world."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield world_module.build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def url_names(
    patterns: list[URLPattern | URLResolver] | None = None, namespace: str = "", route: str = ""
) -> Iterator[str]:
    """The namespaced name of every URL pattern; an unnamed pattern by its route."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        here = route + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            yield from url_names(pattern.url_patterns, inner, here)
        elif pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name
        else:
            yield f"{namespace}:<unnamed {here}>" if namespace else f"<unnamed {here}>"


def test_it_covers_every_url_pattern() -> None:
    site = {name for name in url_names() if not name.startswith(f"{ADMIN}:")}
    covered = {row.name for row in ROWS}

    missing = sorted(site - covered)

    assert not missing, f"URL patterns with no row in tests/security/matrix.py: {missing}"


def test_it_has_rows_only_for_patterns_that_exist() -> None:
    site = set(url_names())

    stale = sorted({row.name for row in ROWS} - site)

    assert not stale, f"rows for URL names that no longer exist: {stale}"


def test_it_has_a_well_formed_table() -> None:
    assert any(row.name.startswith(f"{ADMIN}:") for row in ROWS)
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "two rows with the same id"
    for row in ROWS:
        assert set(row.expect) == set(ACTORS), row.id
        assert set(row.changes) <= set(ACTORS), row.id
        assert set(row.readers) <= set(MARKER_READERS), row.id
        assert set(row.shows) <= set(ACTORS), row.id
        for actor, markers in row.shows.items():
            assert markers <= set(MARKER_READERS), row.id
            assert row.expect[actor].status in (200, 201), f"{row.id}: {actor} sees no page"


def send(client: Client, world: World, row: Row, actor: str) -> HttpResponse:
    url = reverse(row.name, args=row.args(world))
    headers = dict(row.headers)
    if row.htmx:
        headers["HX-Request"] = "true"
    if actor != ANONYMOUS:
        if row.auth == "bearer":
            headers["Authorization"] = f"Bearer {world.api_tokens[actor]}"
        else:
            client.force_login(world.user(actor))
    data = row.data(world, actor) if row.data else {}
    if row.method == "GET":
        return client.get(url, data, headers=headers)
    assert row.method == "POST", row.method
    return client.post(url, data, headers=headers)


def target(response: HttpResponse) -> str:
    """Where a response sends the browser (Location, or htmx's HX-Redirect), if anywhere."""
    if response.status_code in (301, 302, 303, 307, 308):
        return response["Location"]
    return response.headers.get("HX-Redirect", "")


def outcome_of(response: HttpResponse) -> Outcome:
    url = target(response)
    if not url:
        return Outcome(response.status_code)
    try:
        return Outcome(response.status_code, resolve(urlsplit(url).path).view_name)
    except Resolver404:  # a redirect off the site is reported as it is
        return Outcome(response.status_code, url)


CELLS = [pytest.param(row, actor, id=f"{row.id}-{actor}") for row in ROWS for actor in ACTORS]


@pytest.mark.parametrize(("row", "actor"), CELLS)
def test_matrix(world: World, client: Client, db: None, row: Row, actor: str) -> None:
    before = world_module.snapshot(world)

    response = send(client, world, row, actor)

    where = f"{actor}: {row.method} {response.request['PATH_INFO']}"
    assert outcome_of(response) == row.expect[actor], f"{where} answered {outcome_of(response)}"
    if row.expect[actor].to == "accounts:login":
        assert "next=" in target(response), where
    # What the actor is shown: the page, and the flash messages it queued for the next one.
    body = response.content.decode(errors="replace")
    body += "".join(f"\n{message}" for message in get_messages(response.wsgi_request))
    for marker, readers in MARKER_READERS.items():
        if actor not in readers | row.readers.get(marker, frozenset()):
            assert world.markers[marker] not in body, f"{where} shows {marker}"
    for marker in row.shows.get(actor, ()):
        assert world.markers[marker] in body, f"{where} does not show {marker}"
    changed = changed_parts(before, world_module.snapshot(world))
    assert changed == row.expected_changes(actor), f"{where} changed {sorted(changed)}"
