"""progress.freshness.get_or_compute_shared: a slow value many requests share (a cohort's
overview) is computed by one request at a time, and nobody waits for a mere refresh."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import override_settings

from progress import freshness

KEY, MARKER = "k", "k:computing"


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


def _computing(value: str, log: list[str]) -> Callable[[], str]:
    def compute() -> str:
        log.append(value)
        return value

    return compute


def test_the_first_request_to_miss_computes_and_stores_it() -> None:
    log: list[str] = []
    assert freshness.get_or_compute_shared(KEY, _computing("a", log), wait_s=2) == "a"
    assert freshness.get_or_compute_shared(KEY, _computing("b", log), wait_s=2) == "a"
    assert log == ["a"] and cache.get(MARKER) is None


def test_a_request_that_misses_while_another_computes_waits_for_its_value() -> None:
    log: list[str] = []
    assert cache.add(MARKER, True)  # another request is computing it
    other = freshness._Shared("theirs", time.time() + 60)
    threading.Timer(0.1, lambda: cache.set(KEY, other, 60)).start()
    assert freshness.get_or_compute_shared(KEY, _computing("mine", log), wait_s=2) == "theirs"
    assert log == []


def test_it_computes_the_value_itself_when_the_other_takes_too_long() -> None:
    assert cache.add(MARKER, True)
    assert freshness.get_or_compute_shared(KEY, lambda: "mine", wait_s=0.1) == "mine"
    assert cache.get(KEY).value == "mine" and cache.get(MARKER) is None


@override_settings(PAGE_CACHE_SECONDS=1)
def test_an_old_value_is_refreshed_by_one_request_while_the_others_get_it_at_once() -> None:
    log: list[str] = []
    cache.set(KEY, freshness._Shared("old", time.time() - 1), 60)
    assert cache.add(MARKER, True)  # another request is refreshing it
    assert freshness.get_or_compute_shared(KEY, _computing("new", log), wait_s=2) == "old"
    cache.delete(MARKER)
    assert freshness.get_or_compute_shared(KEY, _computing("new", log), wait_s=2) == "new"
    assert log == ["new"] and cache.get(KEY).fresh_until > time.time()


def test_a_computation_that_fails_lets_the_waiting_requests_go() -> None:
    def fail() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        freshness.get_or_compute_shared(KEY, fail, wait_s=2)
    assert cache.get(MARKER) is None and cache.get(KEY) is None
