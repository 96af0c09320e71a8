"""progress/activity.py: a learner's standing (statuses and XP total) in one query, the
same numbers progress/completion.py and the XP ledger give, once per request."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import RequestFactory
from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from curriculum.models import BuildItem, Challenge, Video
from progress import activity, completion, streaks, xp
from progress.models import BuildItemCheck, VideoWatch, XPEntry
from progress.watching import set_item_done, set_watched

pytestmark = pytest.mark.usefixtures("content")


@pytest.fixture
def busy(alice: User, bob: User) -> User:
    """alice watched and ticked a little of three challenges and passed two; bob's work,
    a retired video she watched and an award that only looks like a pass do not count."""
    for slug in ("python-environment-setup", "word-positions", "tokens-to-ids"):
        set_watched(learner=alice, video=Video.objects.get(slug=slug), watched=True)
    set_item_done(
        learner=alice, item=BuildItem.objects.get(slug="embeddings--similarity"), done=True
    )
    xp.award(learner=alice, reason=xp.challenge_pass_reason("tokenizer"), amount=100)
    xp.award(learner=alice, reason=xp.challenge_pass_reason("gpt-model"), amount=175)
    xp.award(learner=alice, reason="challenge:embeddings:passed-a-quiz", amount=3)
    Video.objects.filter(slug="tokens-to-ids").update(retired=True)
    set_watched(learner=bob, video=Video.objects.get(slug="coding-the-gpt-model"), watched=True)
    xp.award(learner=bob, reason=xp.challenge_pass_reason("embeddings"), amount=80)
    return alice


def test_it_reads_the_same_progress_as_completion_in_one_query(
    busy: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        standing = activity.standing(learner=busy)

    assert standing.progress == completion.challenge_progress(busy)
    assert activity.tier_progress(standing.statuses) == completion.tier_progress(busy)
    assert standing.total_xp == xp.total(learner=busy) == 100 + 175 + 3 + 3 * xp.VIDEO_XP
    assert standing.level == xp.level_for(standing.total_xp)
    by_slug = {s.challenge.slug: s for s in standing.statuses}
    # Passed but with videos left to watch, the tokenizer is still the current challenge.
    assert by_slug["tokenizer"].status == activity.PASSED and by_slug["tokenizer"].is_current
    assert by_slug["embeddings"].status == activity.STARTED
    assert by_slug["gpt-model"].status == activity.PASSED
    assert [c.slug for c in standing.reached] == ["tokenizer", "embeddings", "gpt-model"]


def test_it_agrees_with_the_statuses_built_from_completions_progress(busy: User) -> None:
    standing = activity.standing(learner=busy)
    progress = completion.challenge_progress(busy)
    assert activity.challenge_statuses(learner=busy, progress=progress) == standing.statuses
    assert activity.reached_challenges(learner=busy) == standing.reached


def test_a_learner_without_activity_stands_at_the_first_challenge(alice: User) -> None:
    standing = activity.standing(learner=alice)
    assert standing.total_xp == 0 and standing.level.number == 1
    assert [c.slug for c in standing.reached] == ["tokenizer"]
    assert all(s.status == activity.NOT_STARTED for s in standing.statuses)


def test_it_reads_the_xp_total_without_a_curriculum(alice: User) -> None:
    xp.award(learner=alice, reason="video:x", amount=5)
    Challenge.objects.update(retired=True)
    standing = activity.standing(learner=alice)
    assert standing.statuses == [] and standing.total_xp == 5


def test_it_reads_the_standing_once_per_request(
    alice: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    request = RequestFactory().get("/")
    request.user = alice
    with django_assert_num_queries(1):
        first = activity.request_standing(request)  # type: ignore[arg-type]
        again = activity.request_standing(request)  # type: ignore[arg-type]
    assert first is again


def test_it_reads_every_days_activity_and_xp_in_one_query(
    alice: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    alice.timezone = "America/New_York"  # UTC-4 in May
    alice.save()

    def at(model: type[XPEntry | VideoWatch | BuildItemCheck], pk: int, moment: datetime) -> None:
        column = {XPEntry: "created_at", VideoWatch: "watched_at", BuildItemCheck: "checked_at"}
        model.objects.filter(pk=pk).update(**{column[model]: moment})

    for reason, amount, moment in (
        ("review:1", 1, datetime(2025, 5, 13, 15, 0, tzinfo=UTC)),
        ("review:2", 1, datetime(2025, 5, 13, 16, 0, tzinfo=UTC)),
        ("video:a", 5, datetime(2025, 5, 14, 3, 0, tzinfo=UTC)),  # 13 May in New York
        ("zero", 0, datetime(2025, 5, 20, 12, 0, tzinfo=UTC)),
    ):
        entry = xp.award(learner=alice, reason=reason, amount=amount)
        assert entry is not None
        at(XPEntry, entry.pk, moment)
    watch = VideoWatch.objects.create(learner=alice, video=Video.objects.first())
    at(VideoWatch, watch.pk, datetime(2025, 5, 13, 2, 0, tzinfo=UTC))  # 12 May there
    item = BuildItem.objects.filter(kind=BuildItem.Kind.SELF_CHECK).first()
    check = BuildItemCheck.objects.create(learner=alice, item=item)
    at(BuildItemCheck, check.pk, datetime(2025, 5, 13, 12, 0, tzinfo=UTC))  # and one on 13 May

    with django_assert_num_queries(1):
        days = streaks.daily_activity(learner=alice)

    assert days == {date(2025, 5, 12): 0, date(2025, 5, 13): 7, date(2025, 5, 20): 0}
    assert set(days) == streaks.activity_days(learner=alice)
    ledger = xp.by_day(learner=alice, start=date(2025, 5, 1), end=date(2025, 5, 31))
    assert {day: days[day] for day in ledger} == ledger
    goal = streaks.daily_goal(learner=alice, day=date(2025, 5, 13), activity=days)
    assert goal == streaks.daily_goal(learner=alice, day=date(2025, 5, 13))
