"""Forgiving streaks (one freeze a week) and the daily goal, in the learner's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from accounts.models import User
from curriculum.models import Challenge, Tier, Video
from progress import streaks, xp
from progress.models import VideoWatch, XPEntry

# Wednesday 14 May 2025; the ISO week runs Monday 12 to Sunday 18.
WED = date(2025, 5, 14)


def days(*offsets: int) -> set[date]:
    return {WED + timedelta(days=o) for o in offsets}


def test_it_has_no_streak_without_activity() -> None:
    s = streaks.compute(set(), today=WED)
    assert (s.current, s.longest, s.active_today, s.at_risk) == (0, 0, False, False)


def test_it_counts_consecutive_days_up_to_today() -> None:
    s = streaks.compute(days(-2, -1, 0), today=WED)
    assert (s.current, s.longest, s.active_today, s.frozen_days) == (3, 3, True, ())


def test_it_keeps_the_streak_alive_while_today_is_not_over() -> None:
    s = streaks.compute(days(-2, -1), today=WED)
    assert (s.current, s.active_today, s.at_risk) == (2, False, True)


def test_it_bridges_one_missed_day_a_week_with_a_freeze() -> None:
    s = streaks.compute(days(-2, 0), today=WED)  # Monday, (Tuesday missed), Wednesday
    assert s.current == 2 and s.frozen_days == (WED - timedelta(days=1),)
    assert s.freeze_available is False


def test_it_breaks_on_a_second_miss_in_the_same_week() -> None:
    # Mon 5–Fri 9 active, Sat 10 missed (last week's freeze), Sun 11 active: 6 days.
    # Then Mon 12 and Tue 13 both missed in one week: only one freeze, so it breaks.
    s = streaks.compute(days(-9, -8, -7, -6, -5, -3, 0), today=WED)
    assert (s.current, s.longest) == (1, 6)
    assert s.frozen_days == ()


def test_it_bridges_misses_in_two_different_weeks() -> None:
    # Fri 9, Sat 10, (Sun 11 and Mon 12 missed: different ISO weeks), Tue 13, Wed 14.
    s = streaks.compute(days(-5, -4, -1, 0), today=WED)
    assert s.current == 4
    assert s.frozen_days == (date(2025, 5, 11), date(2025, 5, 12))


def test_it_does_not_spend_a_freeze_on_a_streak_that_ends_anyway() -> None:
    # Monday 12 active, Tuesday and Wednesday missed: the streak ended on Wednesday's miss
    # only once Wednesday is over. On Thursday a fresh start keeps this week's freeze.
    thursday = WED + timedelta(days=1)
    s = streaks.compute(days(-2, 1), today=thursday)
    assert s.current == 1 and s.freeze_available is True


def test_it_remembers_the_longest_streak() -> None:
    s = streaks.compute(days(-30, -29, -28, -27, -26, -25, -24, -20, 0), today=WED)
    assert s.longest == 7 and s.current == 1


def test_it_ignores_activity_dated_after_today() -> None:
    s = streaks.compute(days(0, 1, 2), today=WED)
    assert (s.current, s.longest) == (1, 1)


def _xp_at(learner: User, reason: str, moment: datetime, amount: int = 5) -> None:
    entry = xp.award(learner=learner, reason=reason, amount=amount)
    assert entry is not None
    XPEntry.objects.filter(pk=entry.pk).update(created_at=moment)


def test_it_reads_activity_from_the_ledger_and_video_ticks_in_the_learners_zone(
    alice: User,
) -> None:
    alice.timezone = "America/New_York"  # UTC-4 in May
    alice.save()
    tier = Tier.objects.create(slug="t", number=1, title="T", chapters="2", focus="f")
    challenge = Challenge.objects.create(
        slug="tokenizer",
        number=1,
        tier=tier,
        title="Tok",
        goal="g",
        hours_min=1,
        hours_max=2,
        xp=100,
    )
    video = Video.objects.create(
        slug="v",
        challenge=challenge,
        position=1,
        title="V",
        url="https://youtu.be/x",
        youtube_id="2U3JLwKdbmQ",
        seconds=60,
        book_section="2.1",
    )
    watch = VideoWatch.objects.create(learner=alice, video=video)
    # 02:00 UTC on 13 May is 22:00 on 12 May in New York.
    VideoWatch.objects.filter(pk=watch.pk).update(
        watched_at=datetime(2025, 5, 13, 2, 0, tzinfo=UTC)
    )
    _xp_at(alice, "review:1", datetime(2025, 5, 13, 15, 0, tzinfo=UTC))
    _xp_at(alice, "review:2", datetime(2025, 5, 14, 13, 0, tzinfo=UTC))
    assert streaks.activity_days(learner=alice) == {date(2025, 5, 12), date(2025, 5, 13), WED}
    s = streaks.streak(learner=alice, now=datetime(2025, 5, 14, 20, 0, tzinfo=UTC))
    assert (s.current, s.active_today) == (3, True)


def test_it_measures_the_daily_goal_in_todays_xp(alice: User) -> None:
    now = datetime(2025, 5, 14, 12, 0, tzinfo=UTC)
    _xp_at(alice, "video:a", now, amount=5)
    _xp_at(alice, "video:b", now - timedelta(days=1), amount=5)
    goal = streaks.daily_goal(learner=alice, now=now)
    assert (goal.earned, goal.target, goal.met) == (5, xp.DAILY_GOAL_XP, False)
    _xp_at(alice, "challenge:tokenizer:pass", now, amount=100)
    goal = streaks.daily_goal(learner=alice, now=now)
    assert goal.met and goal.percent == 100
