"""The XP ledger: one row per reason, totals, levels, days in the learner's zone."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from django.db import close_old_connections

from accounts.models import User
from progress import xp
from progress.models import XPEntry
from tests.factories import make_user


def _at(entry: XPEntry | None, moment: datetime) -> None:
    assert entry is not None
    XPEntry.objects.filter(pk=entry.pk).update(created_at=moment)


def test_it_awards_a_reason_once(alice: User) -> None:
    first = xp.award(learner=alice, reason="challenge:tokenizer:pass", amount=100)
    again = xp.award(learner=alice, reason="challenge:tokenizer:pass", amount=100)
    assert first is not None and again is None
    assert xp.total(learner=alice) == 100


def test_it_keeps_each_learners_ledger_apart(alice: User, bob: User) -> None:
    xp.award(learner=alice, reason=xp.video_reason("tokenizing-text"), amount=5)
    xp.award(learner=bob, reason=xp.video_reason("tokenizing-text"), amount=5)
    assert xp.total(learner=alice) == 5 and xp.total(learner=bob) == 5


def test_it_revokes_an_award_whose_cause_was_undone(alice: User) -> None:
    xp.award(learner=alice, reason=xp.review_reason(7), amount=1)
    assert xp.revoke(learner=alice, reason=xp.review_reason(7)) is True
    assert xp.revoke(learner=alice, reason=xp.review_reason(7)) is False
    assert xp.total(learner=alice) == 0


def test_it_reads_passed_challenges_from_the_ledger(alice: User) -> None:
    xp.award(learner=alice, reason=xp.challenge_pass_reason("self-attention"), amount=150)
    xp.award(learner=alice, reason=xp.video_reason("challenge-pass"), amount=5)
    assert xp.passed_challenge_slugs(learner=alice) == {"self-attention"}


def test_it_buckets_xp_by_the_learners_own_day(alice: User) -> None:
    alice.timezone = "Asia/Tokyo"
    alice.save()
    # 16:00 UTC on 4 May is 01:00 on 5 May in Tokyo.
    _at(xp.award(learner=alice, reason="a", amount=3), datetime(2025, 5, 4, 16, 0, tzinfo=UTC))
    _at(xp.award(learner=alice, reason="b", amount=4), datetime(2025, 5, 4, 14, 0, tzinfo=UTC))
    assert xp.by_day(learner=alice, start=date(2025, 5, 4), end=date(2025, 5, 5)) == {
        date(2025, 5, 4): 4,
        date(2025, 5, 5): 3,
    }
    assert xp.for_day(learner=alice, day=date(2025, 5, 5)) == 3
    assert xp.count_for_day(learner=alice, day=date(2025, 5, 4), prefix="b") == 1


@pytest.mark.parametrize(
    ("total", "number", "floor", "next_"),
    [
        (0, 1, 0, 50),
        (49, 1, 0, 50),
        (50, 2, 50, 150),
        (149, 2, 50, 150),
        (150, 3, 150, 300),
        (500, 5, 500, 750),
        (2249, 9, 1800, 2250),
        (2250, 10, 2250, 2750),
        (10**6, 200, 995000, 1005000),
    ],
)
def test_it_derives_levels_from_total_xp(total: int, number: int, floor: int, next_: int) -> None:
    level = xp.level_for(total)
    assert (level.number, level.floor_xp, level.next_xp) == (number, floor, next_)
    assert 0 <= level.percent <= 100 and level.to_next == next_ - total


def test_it_refuses_a_negative_total() -> None:
    with pytest.raises(ValueError, match="negative"):
        xp.level_for(-1)


@pytest.mark.django_db(transaction=True)
def test_it_never_double_counts_an_award_under_concurrent_requests() -> None:
    """Ten threads on ten PostgreSQL connections award the same pass at once."""
    learner = make_user("racer")
    barrier = threading.Barrier(10)
    created: list[bool] = []
    errors: list[BaseException] = []

    def award() -> None:
        try:
            barrier.wait()
            entry = xp.award(learner=learner, reason="challenge:tokenizer:pass", amount=100)
            created.append(entry is not None)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=award) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert created.count(True) == 1 and len(created) == 10
    assert XPEntry.objects.filter(learner=learner).count() == 1
    assert xp.total(learner=learner) == 100
