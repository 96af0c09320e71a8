"""progress/plan.py: study dates, the schedule's done/behind/today days, ahead and behind."""

from __future__ import annotations

from datetime import UTC, date, datetime
from unittest import mock

import pytest

from accounts.models import User
from curriculum.models import BuildItem, Video
from progress.models import LearningPlan
from progress.plan import learner_today, schedule_for, set_plan, study_dates
from progress.watching import set_item_done, set_watched

pytestmark = pytest.mark.usefixtures("content")
MONDAY = date(2026, 3, 2)


def test_it_counts_weekdays_only_by_default() -> None:
    dates = study_dates(start=MONDAY, count=53, study_days="weekdays")
    assert dates[:6] == [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9)]
    assert dates[-1] == date(2026, 5, 13)  # ten weeks and three days: the seed's ~11 weeks
    assert all(d.weekday() < 5 for d in dates)


def test_a_weekend_start_begins_on_monday() -> None:
    assert study_dates(start=date(2026, 3, 7), count=1, study_days="weekdays") == [date(2026, 3, 9)]
    assert study_dates(start=date(2026, 3, 7), count=1, study_days="daily") == [date(2026, 3, 7)]


def test_it_marks_days_behind_and_today(alice: User) -> None:
    set_plan(learner=alice, start_date=MONDAY, study_days="weekdays")
    schedule = schedule_for(alice, today=date(2026, 3, 4))  # a Wednesday: day 3
    assert schedule is not None
    assert [d.status for d in schedule.days[:4]] == ["behind", "behind", "today", "upcoming"]
    assert schedule.today_day is not None and schedule.today_day.number == 3
    assert (schedule.behind, schedule.ahead) == (2, 0)
    assert schedule.total_days == 53


def test_progress_fills_the_days_of_its_step(alice: User) -> None:
    set_plan(learner=alice, start_date=MONDAY, study_days="weekdays")
    # Tokenizer: 5 videos + 5 graded items over days 1-3; 4 watched = 4/10 → 1 day done.
    for video in Video.objects.filter(challenge__slug="tokenizer")[:4]:
        set_watched(learner=alice, video=video, watched=True)
    schedule = schedule_for(alice, today=date(2026, 3, 3))
    assert schedule is not None
    assert [d.status for d in schedule.days[:3]] == ["done", "today", "upcoming"]
    assert (schedule.behind, schedule.ahead) == (0, 0)


def test_work_ahead_of_the_calendar_counts_as_ahead(alice: User) -> None:
    set_plan(learner=alice, start_date=MONDAY, study_days="weekdays")
    # Embeddings (days 4-5): both videos and both self-checks = 4/7 of the step → 1 day.
    for video in Video.objects.filter(challenge__slug="embeddings"):
        set_watched(learner=alice, video=video, watched=True)
    for item in BuildItem.objects.filter(challenge__slug="embeddings", kind="self"):
        set_item_done(learner=alice, item=item, done=True)
    schedule = schedule_for(alice, today=MONDAY)
    assert schedule is not None
    assert schedule.days[3].done and not schedule.days[4].done
    assert schedule.ahead == 0  # day 1 (today) is not done yet: one day done, one due
    assert schedule.done_days == 1


def test_a_passed_challenge_completes_its_step(alice: User) -> None:
    from progress import xp

    set_plan(learner=alice, start_date=MONDAY, study_days="weekdays")
    for video in Video.objects.filter(challenge__slug="tokenizer"):
        set_watched(learner=alice, video=video, watched=True)
    xp.award(learner=alice, reason=xp.challenge_pass_reason("tokenizer"), amount=100)
    schedule = schedule_for(alice, today=MONDAY)
    assert schedule is not None
    assert [d.done for d in schedule.days[:4]] == [True, True, True, False]
    assert schedule.ahead == 2  # three days done, one (today's) due


def test_it_has_no_schedule_without_a_start_date(alice: User) -> None:
    assert schedule_for(alice) is None


def test_set_plan_reports_whether_anything_changed(alice: User) -> None:
    plan, changed = set_plan(learner=alice, start_date=MONDAY)
    assert changed and plan.study_days == LearningPlan.StudyDays.WEEKDAYS
    assert set_plan(learner=alice, start_date=MONDAY)[1] is False
    assert set_plan(learner=alice, start_date=MONDAY, study_days="daily")[1] is True


def test_today_is_the_learners_own_date(alice: User) -> None:
    late_evening_utc = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=late_evening_utc):
        assert learner_today(alice) == date(2026, 3, 2)  # UTC
        alice.timezone = "Europe/Berlin"
        assert learner_today(alice) == date(2026, 3, 3)
        alice.timezone = "America/Los_Angeles"
        assert learner_today(alice) == date(2026, 3, 2)


def test_the_calendar_weeks_run_monday_to_sunday(alice: User) -> None:
    set_plan(learner=alice, start_date=date(2026, 3, 4), study_days="weekdays")  # a Wednesday
    schedule = schedule_for(alice, today=date(2026, 3, 4))
    assert schedule is not None
    weeks = schedule.weeks()
    assert all(len(week) == 7 for week in weeks)
    first = weeks[0]
    assert first[0].date == MONDAY and not first[0].in_plan and first[0].day is None
    assert first[2].day is not None and first[2].day.number == 1 and first[2].is_today
    assert first[5].in_plan and first[5].day is None  # Saturday: a rest day
