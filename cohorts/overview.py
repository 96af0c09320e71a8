"""The instructor's cohort overview: learners × challenges, per-challenge difficulty, per-
learner flashcard retention and activity, quiet and stuck learners.

Read-only exception to the dependency rule (STYLE.md: "cohorts only reads"): the overview
needs aggregates over grading's Submission/CheckResult, flashcards' ReviewLog and
progress's XPEntry for *many learners at once*. The owning apps' query functions work one
learner at a time (``xp.total``, ``flashcards.stats.true_retention``), which would cost a
query per learner per function. So the batched, read-only aggregate queries live here, one
per table, and nothing in this module ever writes to another app's tables. The whole
overview costs a fixed number of queries (see ``build``), whatever the cohort's size.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from cohorts.models import Cohort, Membership
from curriculum.models import Challenge
from flashcards.models import REVIEW, ReviewLog
from grading.models import CheckResult, Submission

# A learner with this many failed attempts on one challenge and no pass is "stuck".
STUCK_ATTEMPTS = 5
DEFAULT_QUIET_DAYS = 7
# How many of a challenge's most frequently failing checks the overview lists.
TOP_FAILING_CHECKS = 3

NOT_STARTED, ATTEMPTED, PASSED = "not-started", "attempted", "passed"
STATUS_LABELS = {NOT_STARTED: "Not started", ATTEMPTED: "Attempted", PASSED: "Passed"}

SORTS = {"name": "Name", "progress": "Progress", "activity": "Last activity"}
FILTERS = {"all": "All learners", "quiet": "Quiet", "stuck": "Stuck"}

_FAILED = (Submission.Status.FAIL, Submission.Status.ERROR)


@dataclass(frozen=True)
class Cell:
    """One learner's standing on one challenge."""

    challenge: Challenge
    attempts: int = 0
    failures: int = 0
    passed_at: datetime | None = None

    @property
    def status(self) -> str:
        if self.passed_at is not None:
            return PASSED
        return ATTEMPTED if self.attempts else NOT_STARTED

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_stuck(self) -> bool:
        return self.passed_at is None and self.failures >= STUCK_ATTEMPTS

    def td(self) -> SafeString:
        """The grid cell as HTML. Built here rather than in the template because the grid's
        cells are the page's hot loop (7,000 of them for 500 learners), where the template
        engine's per-node cost dominates the response time.

        The title holds the status only: the column's header names the challenge (its
        number, with the title in an <abbr>), and static/js/overview.js adds the name to a
        cell's title when the pointer reaches it. Seven hundred copies of challenge titles
        were a third of the page's bytes."""
        status = self.status
        stuck = " cell-stuck" if self.is_stuck else ""
        title = self.label
        if self.attempts:
            title += f", {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        if status == PASSED:
            assert self.passed_at is not None
            # In the viewer's time zone (activated per request), as the template's |date does.
            passed = timezone.localtime(self.passed_at)
            body = f"✓ <small>{passed:%-d %b}</small>"
        elif status == ATTEMPTED:
            body = f"{self.attempts}×"
        else:
            body = '<span class="muted">·</span>'
        # Built from constants and numbers only: no text from the database.
        return mark_safe(f'<td class="cell cell-{status}{stuck}" title="{title}">{body}</td>')  # noqa: S308


@dataclass
class LearnerRow:
    user: User
    joined_at: datetime
    cells: list[Cell]
    xp: int = 0
    reviews: int = 0
    retention_passed: int = 0
    retention_total: int = 0
    last_activity: datetime | None = None
    is_quiet: bool = False

    @property
    def passed_count(self) -> int:
        return sum(cell.status == PASSED for cell in self.cells)

    @property
    def stuck_on(self) -> list[Challenge]:
        return [cell.challenge for cell in self.cells if cell.is_stuck]

    @property
    def is_stuck(self) -> bool:
        return any(cell.is_stuck for cell in self.cells)

    @property
    def retention(self) -> float | None:
        """Anki's true retention over all time: passed reviews of cards in the review
        state (young and mature) over all such reviews; learning steps are left out."""
        return self.retention_passed / self.retention_total if self.retention_total else None

    @property
    def retention_percent(self) -> int | None:
        rate = self.retention
        return None if rate is None else round(100 * rate)


@dataclass
class ChallengeSummary:
    challenge: Challenge
    attempted: int = 0  # learners with at least one submission
    passed: int = 0
    median_attempts: float | None = None
    failing_checks: list[tuple[str, int]] = field(default_factory=list)

    @property
    def pass_rate_percent(self) -> int | None:
        """Passes among the learners who tried it (not among everyone: a challenge nobody
        has reached yet is not "hard")."""
        return round(100 * self.passed / self.attempted) if self.attempted else None


@dataclass
class Overview:
    cohort: Cohort
    challenges: list[Challenge]
    rows: list[LearnerRow]
    summaries: list[ChallengeSummary]
    quiet_days: int
    now: datetime

    @property
    def quiet_count(self) -> int:
        return sum(row.is_quiet for row in self.rows)

    @property
    def stuck_count(self) -> int:
        return sum(row.is_stuck for row in self.rows)

    def arranged(self, *, sort: str = "name", show: str = "all") -> list[LearnerRow]:
        """The rows filtered (all/quiet/stuck) and sorted (name/progress/activity)."""
        rows = self.rows
        if show == "quiet":
            rows = [row for row in rows if row.is_quiet]
        elif show == "stuck":
            rows = [row for row in rows if row.is_stuck]
        by_name = sorted(rows, key=lambda row: (row.user.display_name.lower(), row.user.pk))
        if sort == "progress":
            return sorted(by_name, key=lambda row: -row.passed_count)
        if sort == "activity":
            # Quietest first: the learners an instructor should reach out to come on top.
            never = datetime.min.replace(tzinfo=self.now.tzinfo)
            return sorted(by_name, key=lambda row: row.last_activity or never)
        return by_name


def build(
    *,
    cohort: Cohort,
    now: datetime,
    quiet_days: int = DEFAULT_QUIET_DAYS,
    learner_id: int | None = None,
) -> Overview:
    """The overview of `cohort`'s learners in five queries: learners with their XP, the
    challenges, then one aggregate each over submissions, failing checks and reviews.

    With `learner_id`, just that learner's row (none when they are not a learner of the
    cohort) in four: the per-challenge failing checks of one person are left out."""
    memberships = _learners_with_xp(cohort)
    if learner_id is not None:
        memberships = memberships.filter(user_id=learner_id)
    members = list(memberships)
    learner_ids = [m.user_id for m in members]
    challenges = list(Challenge.objects.current().order_by("number"))

    per_cell, latest_submission = _submission_counts(learner_ids)
    failing = _failing_checks(learner_ids) if learner_id is None else {}
    reviews = _review_counts(learner_ids)

    quiet_since = now - timedelta(days=quiet_days)
    rows: list[LearnerRow] = []
    for member in members:
        cells = [
            Cell(c, *per_cell[(member.user_id, c.pk)])
            if (member.user_id, c.pk) in per_cell
            else Cell(c)
            for c in challenges
        ]
        row = LearnerRow(user=member.user, joined_at=member.joined_at, cells=cells)
        row.reviews, row.retention_passed, row.retention_total, last_review = reviews.get(
            member.user_id, (0, 0, 0, None)
        )
        row.xp, last_xp = member.xp_total or 0, member.xp_latest
        moments = (last_review, last_xp, latest_submission.get(member.user_id))
        row.last_activity = max((m for m in moments if m is not None), default=None)
        # A learner who never did anything counts as quiet once they've been a member for
        # the quiet period; a new joiner is not flagged on day one.
        row.is_quiet = (row.last_activity or member.joined_at) < quiet_since
        rows.append(row)

    summaries = []
    for index, challenge in enumerate(challenges):
        attempts = [row.cells[index].attempts for row in rows if row.cells[index].attempts]
        summaries.append(
            ChallengeSummary(
                challenge=challenge,
                attempted=len(attempts),
                passed=sum(row.cells[index].status == PASSED for row in rows),
                median_attempts=statistics.median(attempts) if attempts else None,
                failing_checks=failing.get(challenge.pk, Counter()).most_common(TOP_FAILING_CHECKS),
            )
        )
    return Overview(
        cohort=cohort,
        challenges=challenges,
        rows=rows,
        summaries=summaries,
        quiet_days=quiet_days,
        now=now,
    )


def _submission_counts(
    learner_ids: list[int],
) -> tuple[dict[tuple[int, int], tuple[int, int, datetime | None]], dict[int, datetime]]:
    """Per (learner, challenge): attempts, failed attempts and the first pass's time; and
    per learner the latest submission's time (for "last activity")."""
    rows = (
        Submission.objects.filter(learner_id__in=learner_ids)
        .order_by()
        .values("learner_id", "challenge_id")
        .annotate(
            attempts=Count("id"),
            failures=Count("id", filter=Q(status__in=_FAILED)),
            first_pass=Min("created_at", filter=Q(status=Submission.Status.PASS)),
            latest=Max("created_at"),
        )
    )
    cells: dict[tuple[int, int], tuple[int, int, datetime | None]] = {}
    latest: dict[int, datetime] = {}
    for row in rows:
        learner_id = row["learner_id"]
        cells[(learner_id, row["challenge_id"])] = (
            row["attempts"],
            row["failures"],
            row["first_pass"],
        )
        if learner_id not in latest or row["latest"] > latest[learner_id]:
            latest[learner_id] = row["latest"]
    return cells, latest


def _failing_checks(learner_ids: list[int]) -> dict[int, Counter[str]]:
    """Per challenge: how often each check failed or errored across these learners."""
    rows = (
        CheckResult.objects.filter(
            submission__learner_id__in=learner_ids,
            status__in=(CheckResult.Status.FAIL, CheckResult.Status.ERROR),
        )
        .order_by()
        .values("submission__challenge_id", "name")
        .annotate(n=Count("id"))
    )
    failing: dict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        failing[row["submission__challenge_id"]][row["name"]] = row["n"]
    return failing


def _review_counts(
    learner_ids: list[int],
) -> dict[int, tuple[int, int, int, datetime | None]]:
    """Per learner: effective reviews, true-retention passed/total, latest review.

    The retention part is flashcards.stats.true_retention's definition (review-state cards,
    young and mature together, Again fails) over all time, batched for the whole cohort."""
    in_review = Q(state_before=REVIEW)
    rows = (
        ReviewLog.objects.effective()
        .filter(learner_id__in=learner_ids)
        .order_by()
        .values("learner_id")
        .annotate(
            reviews=Count("id"),
            passed=Count("id", filter=in_review & Q(rating__gt=ReviewLog.Rating.AGAIN)),
            total=Count("id", filter=in_review),
            latest=Max("reviewed_at"),
        )
    )
    return {
        row["learner_id"]: (row["reviews"], row["passed"], row["total"], row["latest"])
        for row in rows
    }


def _learners_with_xp(cohort: Cohort) -> QuerySet[Membership]:
    """The cohort's learner memberships with each user, their XP total (the ledger's sum,
    as progress.xp.total) and latest award: one query, the ledger joined and grouped."""
    return (
        Membership.objects.learners()
        .filter(cohort=cohort)
        .select_related("user")
        .annotate(
            xp_total=Sum("user__xp_entries__amount"),
            xp_latest=Max("user__xp_entries__created_at"),
        )
        .order_by("pk")  # in the order they joined, as without the grouping
    )


def submissions_of(learner: User) -> list[Submission]:
    """The learner's submissions with their check results, read-only, challenge by
    challenge (newest first within one) — for the instructor's drill-down. Two queries."""
    return list(
        Submission.objects.filter(learner=learner)
        .select_related("challenge")
        .prefetch_related("checks")
        .order_by("challenge__number", "-created_at")
    )
