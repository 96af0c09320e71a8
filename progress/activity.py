"""Where a learner stands in the curriculum, as the dashboard and the flashcard queue need
it: each challenge's status and which one is current. The counts are
progress/completion.py's (videos watched, self-checks ticked, passes read from the XP
ledger), so the dashboard, the home page and the challenge pages agree; never reads
grading's tables.

``standing`` reads all of it, and the learner's XP total, in one query. Every signed-in
page needs it (the nav's XP badge and due-card count, the dashboard, the home page), so
``request_standing`` computes it once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Exists, F, Func, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat

from accelerator.http import AuthenticatedHttpRequest
from accounts.models import User
from curriculum.models import BuildItem, Challenge, Video
from progress import freshness, xp
from progress.completion import ChallengeProgress, TierProgress
from progress.models import BuildItemCheck, VideoWatch, XPEntry

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


@dataclass(frozen=True)
class Standing:
    """A learner's statuses on every current challenge, in order, and their XP total."""

    statuses: list[ChallengeStatus]
    total_xp: int

    @property
    def level(self) -> xp.Level:
        return xp.level_for(self.total_xp)

    @property
    def progress(self) -> dict[int, ChallengeProgress]:
        """By challenge id, as ``completion.challenge_progress`` returns it."""
        return {s.challenge.pk: s.progress for s in self.statuses}

    @property
    def reached(self) -> list[Challenge]:
        return reached_from(self.statuses)


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """The number of rows of ``queryset`` as a scalar subquery (0 when there are none)."""
    return Coalesce(Subquery(queryset.order_by().values(n=Func(F("pk"), function="COUNT"))), 0)


def standing(*, learner: User) -> Standing:
    """The learner's ``challenge_statuses`` and XP total in one query: each current
    challenge row carries its own counts (the units of ``completion.ChallengeProgress``)
    and whether the ledger has its pass; the XP total rides along on every row."""
    challenge = OuterRef("pk")
    self_check = BuildItem.Kind.SELF_CHECK
    items = BuildItem.objects.current().filter(challenge=challenge)
    # xp.challenge_pass_reason(slug), in SQL.
    pass_reason = Concat(
        Value("challenge:"), OuterRef("slug"), Value(":pass"), output_field=CharField()
    )
    rows = list(
        Challenge.objects.current()
        .select_related("tier")
        .order_by("number")
        .annotate(
            n_videos=_count(Video.objects.current().filter(challenge=challenge)),
            n_watched=_count(
                VideoWatch.objects.filter(
                    learner=learner, video__challenge=challenge, video__retired=False
                )
            ),
            n_self_checks=_count(items.filter(kind=self_check)),
            n_self_checks_done=_count(
                BuildItemCheck.objects.filter(
                    learner=learner,
                    item__challenge=challenge,
                    item__retired=False,
                    item__kind=self_check,
                )
            ),
            n_graded=_count(items.exclude(kind=self_check)),
            is_passed=Exists(XPEntry.objects.filter(learner=learner, reason=pass_reason)),
            # Uncorrelated, so the database computes it once, not once per row.
            total_xp=Coalesce(
                Subquery(
                    XPEntry.objects.filter(learner=learner)
                    .order_by()
                    .values(s=Func(F("amount"), function="SUM"))
                ),
                0,
            ),
        )
    )
    progress = {
        row.pk: ChallengeProgress(
            videos=row.n_videos,
            videos_watched=row.n_watched,
            self_checks=row.n_self_checks,
            self_checks_done=row.n_self_checks_done,
            graded=row.n_graded,
            passed=row.is_passed,
        )
        for row in rows
    }
    # Without a curriculum there are no rows to carry the total.
    total = rows[0].total_xp if rows else xp.total(learner=learner)
    return Standing(statuses=_statuses(learner, rows, progress), total_xp=total)


def request_standing(request: AuthenticatedHttpRequest) -> Standing:
    """The signed-in user's standing, read once per request and kept on it: the page, the
    nav's XP badge and the nav's due-card count all read it. Between requests it is kept
    in the page cache under the learner's freshness stamp (progress.freshness). Read it
    only after the request's writes (a rating awards XP), as the views do by rendering last."""
    cached: Standing | None = getattr(request, "_standing", None)
    if cached is None:
        learner = request.user
        cached = freshness.cached(
            "standing", user=learner, compute=lambda: standing(learner=learner)
        )
        request._standing = cached  # type: ignore[attr-defined]
    return cached


def _statuses(
    learner: User, challenges: list[Challenge], progress: dict[int, ChallengeProgress]
) -> list[ChallengeStatus]:
    attempted = attempted_challenge_slugs(learner=learner)
    statuses: list[ChallengeStatus] = []
    current_seen = False
    for challenge in challenges:
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


def challenge_statuses(
    *, learner: User, progress: dict[int, ChallengeProgress] | None = None
) -> list[ChallengeStatus]:
    """Every current challenge in order with the learner's status. The current challenge is
    the first one not complete — the same rule the home page's "current step" uses."""
    if progress is None:
        return standing(learner=learner).statuses
    challenges = list(Challenge.objects.current().select_related("tier").order_by("number"))
    return _statuses(learner, challenges, progress)


def current_challenge(statuses: list[ChallengeStatus]) -> Challenge | None:
    return next((s.challenge for s in statuses if s.is_current), None)


def reached_from(statuses: list[ChallengeStatus]) -> list[Challenge]:
    """Challenges whose flashcards the learner may study: the current one first, then every
    passed, attempted or started one, and the first one not passed yet (a learner who passed
    a challenge without ticking its videos has moved on to the next), in curriculum order."""
    next_unpassed = next((s for s in statuses if s.status != PASSED), None)
    chosen = [s for s in statuses if s.is_current or s.status != NOT_STARTED or s is next_unpassed]
    chosen.sort(key=lambda s: (not s.is_current, s.challenge.number))
    return [s.challenge for s in chosen]


def reached_challenges(*, learner: User) -> list[Challenge]:
    return reached_from(challenge_statuses(learner=learner))


def tier_progress(statuses: list[ChallengeStatus]) -> dict[int, TierProgress]:
    """Videos watched and challenges passed per tier id, as ``completion.tier_progress``
    adds them up, from statuses already read (no query)."""
    totals: dict[int, dict[str, int]] = {}
    for s in statuses:
        row = totals.setdefault(s.challenge.tier_id, {})
        row["videos"] = row.get("videos", 0) + s.progress.videos
        row["videos_watched"] = row.get("videos_watched", 0) + s.progress.videos_watched
        row["challenges"] = row.get("challenges", 0) + 1
        row["challenges_passed"] = row.get("challenges_passed", 0) + s.progress.passed
    return {tier_id: TierProgress(**row) for tier_id, row in totals.items()}
