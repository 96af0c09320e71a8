"""The page cache never serves a stale page (progress.freshness): after each thing a learner
or the grader does, the learner's dashboard, home page, review page and nav, and their
cohort's overview, show it on the very next request.

The cache is on here as in production (locmem, ``PAGE_CACHE_SECONDS`` at its default), and
every page is requested twice before the action, so what follows it would be served from
the cache if nothing had moved the learner's freshness stamp.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort
from curriculum.models import BuildItem, Challenge, Video
from grading import submissions, tasks
from grading.models import Submission
from grading.runner import GradeReport
from progress import freshness, xp
from progress.models import XPEntry
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("content")

DASHBOARD = reverse("progress:dashboard")
HOME = reverse("home")
REVIEW = reverse("flashcards:review")
HTMX = {"HX-Request": "true"}
TOKENIZER_SOURCE = (
    "class SimpleTokenizerV1: pass\nclass SimpleTokenizerV2: pass\nclass GPT2BPETokenizer: pass\n"
)


# --- reading the pages --------------------------------------------------------------------


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()


def _number(pattern: str, html: str) -> int:
    match = re.search(pattern, html)
    assert match is not None, pattern
    return int(match.group(1))


def nav_xp(html: str) -> int:
    return _number(r'<span class="xp-total">(\d+) XP</span>', html)


def nav_due(html: str) -> int:
    return _number(r'id="nav-due"[^>]*>(\d+) due<', html)


def dashboard_xp(html: str) -> int:
    return _number(r'<strong id="xp-total">(\d+)</strong>', html)


def dashboard_due(html: str) -> int:
    return _number(r'<strong id="cards-due-today">(\d+)</strong>', html)


def reviewed_today(html: str) -> int:
    return _number(r"<strong data-reviewed-today>(\d+)</strong>", html)


def status_of(html: str, slug: str) -> str:
    """A challenge's status badge in the dashboard's table."""
    url = reverse("curriculum:challenge", args=[slug])
    match = re.search(rf'href="{url}".*?status-badge status-([a-z-]+)"', html, re.S)
    assert match is not None, slug
    return match.group(1)


def overview_row(html: str, username: str) -> str:
    match = re.search(
        rf'<tr class="learner-row[^"]*" data-learner="{username}">.*?</tr>', html, re.S
    )
    assert match is not None, username
    return match.group(0)


def cell_title(row: str, challenge: Challenge) -> str:
    """The status a learner's overview row shows for `challenge` (its column's cell)."""
    return re.findall(r'<td class="cell[^"]*" title="([^"]*)"', row)[challenge.number - 1]


def overview_numbers(row: str) -> tuple[int, int]:
    """(XP, reviews) from a learner's overview row."""
    xp_total, _retention, reviews = re.findall(r'<td class="num">(.*?)</td>', row)[:3]
    return int(xp_total), int(reviews)


class Pages:
    """Alice's pages and her instructor's overview, each requested twice (the cache filled)."""

    def __init__(self, alice: User, carol: User, cohort: Cohort) -> None:
        self.alice = _client(alice)
        self.carol = _client(carol)
        self.overview_url = reverse("cohorts:overview", args=[cohort.pk])

    def warm(self) -> None:
        for _ in range(2):
            for url in (DASHBOARD, HOME, REVIEW):
                _get(self.alice, url)
            _get(self.carol, self.overview_url)
            _get(self.carol, self.overview_url, **HTMX)

    def dashboard(self) -> str:
        return _get(self.alice, DASHBOARD)

    def home(self) -> str:
        return _get(self.alice, HOME)

    def review(self) -> str:
        return _get(self.alice, REVIEW)

    def overview(self, **headers: str) -> str:
        return _get(self.carol, self.overview_url, **headers)


@pytest.fixture
def pages(alice: User, carol: User, cohort_a: Cohort) -> Pages:
    return Pages(alice, carol, cohort_a)


def _rating_form(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(card|token|reps)" value="([^"]*)"', html))


# --- the cache is on, and a stamp is what refreshes it -------------------------------------


def test_the_page_cache_is_on_in_the_tests(pages: Pages, alice: User) -> None:
    assert settings.PAGE_CACHE_SECONDS > 0 and freshness.enabled()
    pages.warm()
    # A row written behind the workflows' back is not seen until the stamp moves ...
    XPEntry.objects.create(learner=alice, reason="behind-the-back", amount=7)
    assert dashboard_xp(pages.dashboard()) == 0 and nav_xp(pages.home()) == 0
    # ... which is why every workflow stamps its writes.
    freshness.touch(learner=alice)
    assert dashboard_xp(pages.dashboard()) == 7 and nav_xp(pages.home()) == 7
    assert overview_numbers(overview_row(pages.overview(), "alice"))[0] == 7


# --- each action, then the very next request -----------------------------------------------


def test_a_submission_and_its_passing_verdict_show_at_once(
    pages: Pages, alice: User, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    tokenizer = Challenge.objects.get(slug="tokenizer")
    pages.warm()
    assert cell_title(overview_row(pages.overview(), "alice"), tokenizer) == "Not started"

    submission = submissions.submit(learner=alice, challenge=tokenizer, source=TOKENIZER_SOURCE)
    assert submission.status == Submission.Status.QUEUED
    assert "1 attempt" in overview_row(pages.overview(), "alice")
    assert "1 attempt" in overview_row(pages.overview(**HTMX), "alice")

    # What the worker does (grading.tasks.grade_submission), with a passing report.
    claimed = tasks.claim(submission.pk)
    assert claimed is not None
    tasks.record_verdict(submission=claimed, report=GradeReport(status="pass", message="ok"))

    dashboard = pages.dashboard()
    assert status_of(dashboard, "tokenizer") == "passed"
    assert dashboard_xp(dashboard) == nav_xp(dashboard) == tokenizer.xp
    assert nav_xp(pages.home()) == nav_xp(pages.review()) == tokenizer.xp
    row = overview_row(pages.overview(), "alice")
    assert cell_title(row, tokenizer).startswith("Passed, 1 attempt")
    assert overview_numbers(row)[0] == tokenizer.xp


def test_a_rating_and_its_undo_show_at_once(pages: Pages) -> None:
    pages.warm()
    before = pages.review()
    due_before = nav_due(before)
    assert due_before > 0 and reviewed_today(before) == 0
    form = _rating_form(before)

    rated = pages.alice.post(reverse("flashcards:rate"), {**form, "rating": "3"}, headers=HTMX)
    html = rated.content.decode()
    assert rated.status_code == 200 and reviewed_today(html) == 1  # the response itself

    review = pages.review()
    assert reviewed_today(review) == 1 and _rating_form(review)["token"] != form["token"]
    dashboard = pages.dashboard()
    assert dashboard_xp(dashboard) == nav_xp(dashboard) == xp.REVIEW_XP
    assert nav_due(pages.home()) == nav_due(dashboard) == dashboard_due(dashboard)
    assert overview_numbers(overview_row(pages.overview(), "alice")) == (xp.REVIEW_XP, 1)

    review_id = _number(r'name="review" value="(\d+)"', review)
    undone = pages.alice.post(reverse("flashcards:undo"), {"review": review_id}, headers=HTMX)
    assert undone.status_code == 200 and reviewed_today(undone.content.decode()) == 0

    assert reviewed_today(pages.review()) == 0
    dashboard = pages.dashboard()
    assert dashboard_xp(dashboard) == nav_xp(dashboard) == 0
    assert nav_due(pages.home()) == due_before
    assert overview_numbers(overview_row(pages.overview(), "alice")) == (0, 0)


def test_a_video_watched_shows_at_once(pages: Pages) -> None:
    video = Video.objects.current().filter(challenge__slug="tokenizer").order_by("position")[0]
    pages.warm()
    assert f"{video.title}" in pages.home()

    url = reverse("progress:video-watched", args=[video.slug])
    assert pages.alice.post(url, {"watched": "1"}, headers=HTMX).status_code == 200

    dashboard = pages.dashboard()
    assert dashboard_xp(dashboard) == nav_xp(dashboard) == xp.VIDEO_XP
    assert status_of(dashboard, "tokenizer") == "started"
    home = pages.home()
    assert f"{video.title}</a>" not in home and nav_xp(home) == xp.VIDEO_XP
    assert nav_xp(pages.review()) == xp.VIDEO_XP
    assert overview_numbers(overview_row(pages.overview(), "alice"))[0] == xp.VIDEO_XP

    assert pages.alice.post(url, {"watched": "0"}, headers=HTMX).status_code == 200
    assert f"{video.title}</a>" in pages.home()  # unwatched: on the list again


def test_a_self_check_ticked_shows_at_once(pages: Pages) -> None:
    item = BuildItem.objects.current().filter(kind=BuildItem.Kind.SELF_CHECK).first()
    assert item is not None
    slug = item.challenge.slug
    pages.warm()
    assert status_of(pages.dashboard(), slug) == "not-started"

    url = reverse("progress:build-item-done", args=[item.slug])
    assert pages.alice.post(url, {"done": "1"}, headers=HTMX).status_code == 200
    assert status_of(pages.dashboard(), slug) == "started"

    assert pages.alice.post(url, {"done": "0"}, headers=HTMX).status_code == 200
    assert status_of(pages.dashboard(), slug) == "not-started"


def test_a_new_time_zone_moves_today_at_once(pages: Pages, alice: User) -> None:
    # UTC+14 and UTC-11 are never on the same calendar day.
    def today_on_home() -> str:
        match = re.search(r'data-today="([0-9-]+)"', pages.home())
        assert match is not None
        return match.group(1)

    profile = reverse("accounts:profile")
    pages.alice.post(profile, {"email": alice.email, "timezone": "Pacific/Kiritimati"})
    pages.warm()
    east = today_on_home()
    response = pages.alice.post(profile, {"email": alice.email, "timezone": "Pacific/Pago_Pago"})
    assert response.status_code == 302
    assert date.fromisoformat(today_on_home()) < date.fromisoformat(east)


def easy_interval_days(html: str) -> float:
    """What the Easy button of the shown card previews, in days."""
    match = re.search(
        r'rate-name">Easy</span>\s*<span class="rate-interval">([0-9.]+)(d|mo|y)<', html
    )
    assert match is not None, html
    return float(match.group(1)) * {"d": 1, "mo": 30, "y": 365}[match.group(2)]


def test_new_flashcard_settings_show_at_once(pages: Pages) -> None:
    pages.warm()
    before = pages.review()
    assert nav_due(before) > 0
    easy_at_90 = easy_interval_days(before)

    # No new cards a day, and a lower retention (longer intervals).
    settings_url = reverse("flashcards:settings")
    response = pages.alice.post(settings_url, {"retention_percent": "75", "new_per_day": "0"})
    assert response.status_code == 302

    dashboard = pages.dashboard()
    assert nav_due(dashboard) == dashboard_due(dashboard) == 0
    assert nav_due(pages.home()) == 0
    after = pages.review()
    assert "All done for now" in after and nav_due(after) == 0

    pages.alice.post(settings_url, {"retention_percent": "75", "new_per_day": "10"})
    assert easy_interval_days(pages.review()) > easy_at_90  # the previews follow it


def test_a_learner_who_joins_shows_in_the_overview_at_once(pages: Pages, cohort_a: Cohort) -> None:
    pages.warm()
    assert 'data-learner="erin2"' not in pages.overview()
    newcomer = _client(make_user("erin2"))
    response = newcomer.post(reverse("cohorts:join"), {"code": cohort_a.join_code})
    assert response.status_code == 302
    assert 'data-learner="erin2"' in pages.overview()
    assert 'data-learner="erin2"' in pages.overview(**HTMX)


def test_a_new_plan_shows_on_the_home_page_at_once(pages: Pages) -> None:
    pages.warm()
    assert "Set a start date" in pages.home()
    response = pages.alice.post(
        reverse("progress:plan"), {"start_date": "2026-01-05", "study_days": "weekdays"}
    )
    assert response.status_code == 302
    assert "Set a start date" not in pages.home() and "data-plan-status" in pages.home()


# --- the stamps themselves ------------------------------------------------------------------


def _version(user: User) -> int:
    return User.objects.values_list("activity_version", flat=True).get(pk=user.pk)


def test_grading_stamps_its_queryset_updates(alice: User) -> None:
    """claim and record_verdict write with QuerySet.update (no save(), no signal): each
    bumps the learner's version itself; so does the sweep that gives up on a submission."""
    submission = Submission.objects.create(
        learner=alice, challenge=Challenge.objects.get(slug="tokenizer"), source="x = 1\n"
    )
    start = _version(alice)
    claimed = tasks.claim(submission.pk)
    assert claimed is not None and _version(alice) == start + 1
    tasks.record_verdict(submission=claimed, report=GradeReport(status="fail", message="no"))
    assert _version(alice) == start + 2

    stuck = Submission.objects.create(
        learner=alice,
        challenge=Challenge.objects.get(slug="embeddings"),
        source="x = 1\n",
        status=Submission.Status.RUNNING,
        attempts=settings.GRADING_MAX_ATTEMPTS,
    )
    Submission.objects.filter(pk=stuck.pk).update(started_at="2000-01-01T00:00:00Z")
    assert tasks.sweep_submissions()["failed"] == 1
    assert _version(alice) == start + 3


def test_touch_ids_bumps_by_id_and_by_subquery(alice: User, bob: User) -> None:
    a, b = _version(alice), _version(bob)
    assert freshness.touch_ids([alice.pk, bob.pk, alice.pk]) == 2
    assert freshness.touch_ids(User.objects.filter(pk=bob.pk).values("pk")) == 1
    assert freshness.touch_ids([]) == 0
    assert (_version(alice), _version(bob)) == (a + 1, b + 2)


def test_a_request_that_wrote_neither_reads_nor_fills_the_cache(alice: User) -> None:
    computed: list[int] = []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    assert freshness.cached("probe", user=alice, compute=compute) == 1
    assert freshness.cached("probe", user=alice, compute=compute) == 1  # cached
    freshness.touch(learner=alice)  # this instance still has the old number
    assert freshness.cached("probe", user=alice, compute=compute) == 2
    assert freshness.cached("probe", user=alice, compute=compute) == 3  # nothing stored
    fresh = User.objects.get(pk=alice.pk)  # the next request's user
    assert freshness.cached("probe", user=fresh, compute=compute) == 4
    assert freshness.cached("probe", user=fresh, compute=compute) == 4


def test_a_cache_that_is_down_costs_the_computation_not_the_page(
    pages: Pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    assert 'id="dashboard-panels"' in pages.dashboard()
    assert 'id="overview-grid"' in pages.overview()


def test_cached_fragments_never_hold_a_form_token(
    pages: Pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored: list[object] = []
    original = cache.set

    def spy(key: str, value: object, *args: object, **kwargs: object) -> None:
        stored.append(value)
        original(key, value, *args, **kwargs)

    monkeypatch.setattr(cache, "set", spy)
    cache.clear()
    pages.warm()
    _get(pages.carol, pages.overview_url + "?sort=activity&show=quiet")
    _get(pages.alice, DASHBOARD, **HTMX)
    _get(pages.alice, HOME, **HTMX)

    def texts(value: object) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, tuple | list):
            return [text for item in value for text in texts(item)]
        if isinstance(value, freshness._Shared):
            return texts(value.value)
        return []

    fragments = [text for value in stored for text in texts(value)]
    assert any('id="dashboard-panels"' in f for f in fragments)
    assert any('id="today"' in f for f in fragments)
    assert any('id="overview-grid"' in f for f in fragments)
    assert any('id="failing-checks"' in f for f in fragments)
    for fragment in fragments:
        assert "csrfmiddlewaretoken" not in fragment
        assert 'name="token"' not in fragment  # the review card's and the roster form's
    # The pages around them carry their tokens, rendered per request.
    assert "csrfmiddlewaretoken" in pages.overview()
    assert 'name="token"' in pages.review()
