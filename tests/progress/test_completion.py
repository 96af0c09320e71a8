"""progress/completion.py: per-challenge units and per-tier bars from progress data."""

from __future__ import annotations

import pytest

from accounts.models import User
from curriculum.models import BuildItem, Challenge, Tier, Video
from progress import xp
from progress.completion import challenge_progress, tier_progress
from progress.watching import NotSelfCheck, set_item_done, set_watched

pytestmark = pytest.mark.usefixtures("content")


def test_it_counts_videos_self_checks_and_graded_items(alice: User) -> None:
    embeddings = Challenge.objects.get(slug="embeddings")
    set_watched(learner=alice, video=Video.objects.get(slug="word-positions"), watched=True)
    set_item_done(
        learner=alice, item=BuildItem.objects.get(slug="embeddings--similarity"), done=True
    )
    progress = challenge_progress(alice)[embeddings.pk]
    assert (progress.videos, progress.videos_watched) == (2, 1)
    assert (progress.self_checks, progress.self_checks_done, progress.graded) == (2, 1, 3)
    assert (progress.units_done, progress.units, progress.percent) == (2, 7, 28)
    assert not progress.passed and not progress.complete


def test_a_pass_in_the_ledger_counts_the_graded_items(alice: User) -> None:
    gpt = Challenge.objects.get(slug="gpt-model")
    xp.award(learner=alice, reason=xp.challenge_pass_reason("gpt-model"), amount=175)
    set_watched(learner=alice, video=Video.objects.get(slug="coding-the-gpt-model"), watched=True)
    progress = challenge_progress(alice)[gpt.pk]
    assert progress.passed and progress.complete


def test_a_tier_bar_counts_videos_watched_and_challenges_passed(alice: User) -> None:
    xp.award(learner=alice, reason=xp.challenge_pass_reason("embeddings"), amount=80)
    set_watched(learner=alice, video=Video.objects.get(slug="tokens-to-ids"), watched=True)
    foundation = tier_progress(alice)[Tier.objects.get(slug="foundation").pk]
    assert (foundation.videos_watched, foundation.videos) == (1, 8)
    assert (foundation.challenges_passed, foundation.challenges) == (1, 3)


def test_retired_videos_do_not_count(alice: User) -> None:
    video = Video.objects.get(slug="tokens-to-ids")
    set_watched(learner=alice, video=video, watched=True)
    Video.objects.filter(pk=video.pk).update(retired=True)
    progress = challenge_progress(alice)[video.challenge_id]
    assert (progress.videos, progress.videos_watched) == (4, 0)


def test_a_graded_item_cannot_be_ticked(alice: User) -> None:
    with pytest.raises(NotSelfCheck):
        set_item_done(learner=alice, item=BuildItem.objects.get(slug="tokenizer--bpe"), done=True)


def test_a_visitor_has_no_progress() -> None:
    assert all(not p.started for p in challenge_progress(None).values())
