"""Where a learner stands in the curriculum, as the dashboard and the flashcard queue need
it: each challenge's status and which one is current. Built on progress/completion.py
(videos watched, self-checks ticked, passes read from the XP ledger), so the dashboard, the
home page and the challenge pages agree; never reads grading's tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from curriculum.models import Challenge
from progress.completion import ChallengeProgress, challenge_progress

PASSED = "passed"
ATTEMPTED = "attempted"
STARTED = "started"
NOT_STARTED = "not-started"

STATUS_LABELS = {
    PASSED: "Passed",
    ATTEMPTED: "Attempted",
    STARTED: "In progress",
    NOT_STARTED: "Not started",
}


def attempted_challenge_slugs(*, learner: User) -> set[str]:
    """HOOK: challenges with a submission that has not passed (yet).

    Grading owns submissions and progress may not import grading, so this returns nothing
    until grading feeds it — e.g. by awarding a 0-XP ``challenge:<slug>:attempt`` ledger row
    on a learner's first submission, which this function would then read like passes.
    """
    return set()


@dataclass(frozen=True)
class ChallengeStatus:
    challenge: Challenge
    status: str
    is_current: bool
    progress: ChallengeProgress

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def challenge_statuses(
    *, learner: User, progress: dict[int, ChallengeProgress] | None = None
) -> list[ChallengeStatus]:
    """Every current challenge in order with the learner's status. The current challenge is
    the first one not complete — the same rule the home page's "current step" uses."""
    progress = progress if progress is not None else challenge_progress(learner)
    attempted = attempted_challenge_slugs(learner=learner)
    statuses: list[ChallengeStatus] = []
    current_seen = False
    for challenge in Challenge.objects.current().select_related("tier").order_by("number"):
        done = progress.get(challenge.pk, ChallengeProgress())
        if done.passed:
            status = PASSED
        elif challenge.slug in attempted:
            status = ATTEMPTED
        elif done.started:
            status = STARTED
        else:
            status = NOT_STARTED
        is_current = not current_seen and not done.complete
        current_seen = current_seen or is_current
        statuses.append(ChallengeStatus(challenge, status, is_current, done))
    return statuses


def current_challenge(statuses: list[ChallengeStatus]) -> Challenge | None:
    return next((s.challenge for s in statuses if s.is_current), None)


def reached_challenges(*, learner: User) -> list[Challenge]:
    """Challenges whose flashcards the learner may study: the current one first, then every
    passed, attempted or started one, and the first one not passed yet (a learner who passed
    a challenge without ticking its videos has moved on to the next), in curriculum order."""
    statuses = challenge_statuses(learner=learner)
    next_unpassed = next((s for s in statuses if s.status != PASSED), None)
    reached = [s for s in statuses if s.is_current or s.status != NOT_STARTED or s is next_unpassed]
    reached.sort(key=lambda s: (not s.is_current, s.challenge.number))
    return [s.challenge for s in reached]
