"""How far a learner has got, per challenge and per tier, from progress data alone.

"Passed" comes from the XP ledger (``progress.xp.passed_challenge_slugs``): grading awards
the first pass of a challenge with the reason ``xp.challenge_pass_reason(slug)``, so this
module never imports grading (STYLE.md: grading → progress, not the other way round).

A challenge's progress counts *units*: each video watched, each self-check build item
ticked, and each graded build item once the challenge is passed.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from curriculum.models import BuildItem, Challenge, Video
from progress import xp
from progress.models import BuildItemCheck, VideoWatch


@dataclass(frozen=True)
class ChallengeProgress:
    videos: int = 0
    videos_watched: int = 0
    self_checks: int = 0
    self_checks_done: int = 0
    graded: int = 0
    passed: bool = False

    @property
    def units(self) -> int:
        return self.videos + self.self_checks + self.graded

    @property
    def units_done(self) -> int:
        return self.videos_watched + self.self_checks_done + (self.graded if self.passed else 0)

    @property
    def fraction(self) -> float:
        return self.units_done / self.units if self.units else float(self.passed)

    @property
    def percent(self) -> int:
        return int(self.fraction * 100)

    @property
    def complete(self) -> bool:
        return self.fraction >= 1.0

    @property
    def started(self) -> bool:
        return self.units_done > 0


@dataclass(frozen=True)
class TierProgress:
    videos: int = 0
    videos_watched: int = 0
    challenges: int = 0
    challenges_passed: int = 0

    @property
    def steps(self) -> int:
        return self.videos + self.challenges

    @property
    def steps_done(self) -> int:
        return self.videos_watched + self.challenges_passed


def watched_video_ids(learner: User | None) -> set[int]:
    if learner is None or not learner.is_authenticated:
        return set()
    return set(VideoWatch.objects.filter(learner=learner).values_list("video_id", flat=True))


def done_item_ids(learner: User | None) -> set[int]:
    if learner is None or not learner.is_authenticated:
        return set()
    return set(BuildItemCheck.objects.filter(learner=learner).values_list("item_id", flat=True))


def challenge_progress(
    learner: User | None, *, watched: set[int] | None = None, done: set[int] | None = None
) -> dict[int, ChallengeProgress]:
    """Progress of every current challenge, by challenge id. Six queries at most (four
    when the caller already has the learner's ``watched`` video and ``done`` item ids)."""
    watched = watched if watched is not None else watched_video_ids(learner)
    done = done if done is not None else done_item_ids(learner)
    passed = (
        xp.passed_challenge_slugs(learner=learner)
        if learner is not None and learner.is_authenticated
        else set()
    )
    counts: dict[int, dict[str, int]] = {}
    for video_id, challenge_id in Video.objects.current().values_list("id", "challenge_id"):
        row = counts.setdefault(challenge_id, {})
        row["videos"] = row.get("videos", 0) + 1
        row["videos_watched"] = row.get("videos_watched", 0) + (video_id in watched)
    for item_id, challenge_id, kind in BuildItem.objects.current().values_list(
        "id", "challenge_id", "kind"
    ):
        row = counts.setdefault(challenge_id, {})
        if kind == BuildItem.Kind.SELF_CHECK:
            row["self_checks"] = row.get("self_checks", 0) + 1
            row["self_checks_done"] = row.get("self_checks_done", 0) + (item_id in done)
        else:
            row["graded"] = row.get("graded", 0) + 1
    return {
        pk: ChallengeProgress(**counts.get(pk, {}), passed=slug in passed)
        for pk, slug in Challenge.objects.current().values_list("id", "slug")
    }


def tier_progress(
    learner: User | None, by_challenge: dict[int, ChallengeProgress] | None = None
) -> dict[int, TierProgress]:
    """Videos watched and challenges passed per tier id (what the tier bars show)."""
    by_challenge = by_challenge if by_challenge is not None else challenge_progress(learner)
    totals: dict[int, dict[str, int]] = {}
    for pk, tier_id in Challenge.objects.current().values_list("id", "tier_id"):
        progress = by_challenge.get(pk, ChallengeProgress())
        row = totals.setdefault(tier_id, {})
        row["videos"] = row.get("videos", 0) + progress.videos
        row["videos_watched"] = row.get("videos_watched", 0) + progress.videos_watched
        row["challenges"] = row.get("challenges", 0) + 1
        row["challenges_passed"] = row.get("challenges_passed", 0) + progress.passed
    return {tier_id: TierProgress(**row) for tier_id, row in totals.items()}
