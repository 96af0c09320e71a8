"""Issue 7: with 500 learners, the cohort overview and the learner dashboard each run a
constant number of queries, at most ten, counting everything a request does (session,
user, the nav's due count and XP badge, the page itself).

The demo data is seeded once for the module — ``seed_demo`` takes a while for 500
learners — inside a transaction that is rolled back when the module is done; each test
runs in a savepoint inside it, as pytest-django's ``db`` fixture does anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries, DjangoDbBlocker

from accounts.models import Role, User
from cohorts.models import Cohort
from flashcards.models import ReviewLog
from tests.factories import join, make_user

MAX_QUERIES = 10
HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.usefixtures("db")


@dataclass(frozen=True)
class Demo:
    instructor: User
    large: Cohort  # 500 learners
    small: Cohort  # 5 learners
    veteran: User  # the large cohort's learner with the longest review history
    newcomer: User  # a learner of the small cohort who has done nothing yet


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Demo]:
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_content", verbosity=0)
        instructor = make_user("instructor", role=Role.INSTRUCTOR)
        for learners in (500, 5):
            call_command("seed_demo", learners=learners, force=True, stdout=StringIO())
        large, small = sorted(Cohort.objects.all(), key=lambda c: -c.memberships.count())
        newcomer = make_user("newcomer")
        join(small, newcomer)
        veteran = (
            User.objects.filter(memberships__cohort=large)
            .annotate(reviews=Count("review_logs"))
            .order_by("-reviews", "pk")
            .first()
        )
        assert veteran is not None
        yield Demo(instructor, large, small, veteran, newcomer)
        transaction.set_rollback(True)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(
    assert_max_queries: DjangoAssertNumQueries,
    user: User,
    url: str,
    *,
    limit: int = MAX_QUERIES,
    warm: bool = False,
    **headers: str,
) -> tuple[str, int]:
    """The response body and the number of queries the request ran, at most ``limit``:
    computed from scratch (the page cache emptied first), or with ``warm`` as the page
    cache serves it (the same request made once before)."""
    client = _client(user)
    cache.clear()
    if warm:
        assert client.get(url, headers=headers).status_code == 200
    with assert_max_queries(limit) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_demo_has_500_learners_and_a_long_history(demo: Demo) -> None:
    assert demo.large.memberships.learners().count() == 500
    assert demo.small.memberships.learners().count() == 6  # five seeded, one newcomer
    assert ReviewLog.objects.filter(learner=demo.veteran).count() > 100


@pytest.mark.parametrize(
    ("name", "headers", "marker"),
    [
        ("cohorts:overview", {}, 'id="failing-checks"'),  # the full page, nav included
        ("cohorts:overview", HTMX, 'id="overview-grid"'),  # the htmx grid
        ("cohorts:overview-csv", {}, "username,email"),
    ],
    ids=["page", "grid", "csv"],
)
def test_it_serves_the_cohort_overview_in_at_most_ten_queries_whatever_its_size(
    demo: Demo,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    name: str,
    headers: dict[str, str],
    marker: str,
) -> None:
    large, at_500 = _get(
        django_assert_max_num_queries,
        demo.instructor,
        reverse(name, args=[demo.large.pk]),
        **headers,
    )
    small, at_5 = _get(
        django_assert_max_num_queries,
        demo.instructor,
        reverse(name, args=[demo.small.pk]),
        **headers,
    )
    assert marker in large and marker in small
    if name == "cohorts:overview":
        assert "Learners 1–50 of 500" in large
    assert at_500 == at_5


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("progress:dashboard", 'id="flashcard-stats"'),
        ("home", 'id="cards-due"'),
    ],
    ids=["dashboard", "home"],
)
def test_it_serves_a_learners_pages_in_at_most_ten_queries_whatever_their_history(
    demo: Demo, django_assert_max_num_queries: DjangoAssertNumQueries, name: str, marker: str
) -> None:
    veteran, long_history = _get(django_assert_max_num_queries, demo.veteran, reverse(name))
    newcomer, no_history = _get(django_assert_max_num_queries, demo.newcomer, reverse(name))
    assert marker in veteran and marker in newcomer
    assert 'id="xp-badge"' in veteran and 'id="nav-due"' in veteran
    assert long_history == no_history


def test_it_serves_the_review_page_with_a_due_card_in_at_most_ten_queries(
    demo: Demo, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    html, _ = _get(django_assert_max_num_queries, demo.veteran, reverse("flashcards:review"))
    assert 'id="flashcard"' in html and 'id="xp-badge"' in html


# --- The page cache (progress.freshness): a warm request is the session, the user and the
# cache; the cohort overview adds the cohort with its freshness stamp.

WARM_LEARNER_QUERIES = 4


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("progress:dashboard", 'id="flashcard-stats"'),
        ("home", 'id="cards-due"'),
    ],
    ids=["dashboard", "home"],
)
def test_it_serves_a_learners_page_from_the_page_cache_in_at_most_four_queries(
    demo: Demo, django_assert_max_num_queries: DjangoAssertNumQueries, name: str, marker: str
) -> None:
    html, queries = _get(
        django_assert_max_num_queries,
        demo.veteran,
        reverse(name),
        limit=WARM_LEARNER_QUERIES,
        warm=True,
    )
    assert marker in html and 'id="xp-badge"' in html and 'id="nav-due"' in html


def test_it_serves_the_review_page_from_the_page_cache_with_fewer_queries(
    demo: Demo, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    url = reverse("flashcards:review")
    _, cold = _get(django_assert_max_num_queries, demo.veteran, url)
    html, warm = _get(django_assert_max_num_queries, demo.veteran, url, warm=True)
    # The card itself is chosen afresh every time; the standing and the counts are cached.
    assert 'id="flashcard"' in html and warm <= cold - 2


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "grid"])
def test_it_serves_the_cohort_overview_from_the_page_cache_in_at_most_four_queries(
    demo: Demo, django_assert_max_num_queries: DjangoAssertNumQueries, headers: dict[str, str]
) -> None:
    html, _ = _get(
        django_assert_max_num_queries,
        demo.instructor,
        reverse("cohorts:overview", args=[demo.large.pk]),
        limit=WARM_LEARNER_QUERIES,
        warm=True,
        **headers,
    )
    assert "Learners 1–50 of 500" in html
