"""A realistic demo cohort for the instructor overview: N learners with submissions, check
results, flashcard reviews and XP spread over several weeks.

Exception to "cohorts only reads": this development/benchmark tool writes demo rows into
grading's, flashcards' and progress's tables directly with bulk_create, bypassing their
workflow functions on purpose — they grade, schedule and award one row at a time, which
would take minutes for 500 learners. The rows it writes satisfy the same constraints the
workflows keep (one XP award per reason, one pass awarded per challenge, finished
submissions only, unique review tokens). Never run it on a site with real learners' data.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import DateTimeField, Model
from django.utils import timezone

from accounts.models import Role, User
from cohorts.models import Cohort, MemberRole, Membership
from curriculum.models import Card, Challenge
from flashcards.models import LEARNING, REVIEW, CardState, ReviewLog
from grading.models import CheckResult, Submission
from progress.models import XPEntry

DEMO_PASSWORD = "demo-learner-2026"
CHECK_NAMES = (
    "test_output_shape",
    "test_matches_reference",
    "test_handles_a_batch",
    "test_dtype_is_float32",
    "test_no_python_loops",
)
BATCH = 2000


class Command(BaseCommand):
    help = (
        "Create a demo cohort with N learners and weeks of realistic activity "
        "(submissions, check results, reviews, XP) for the cohort overview."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learners", type=int, default=30, help="How many learners.")
        parser.add_argument("--weeks", type=int, default=6, help="How far back activity goes.")
        parser.add_argument(
            "--instructor",
            default="instructor",
            help="Username of the instructor who teaches the cohort (seed_demo_users creates "
            "'instructor').",
        )
        parser.add_argument("--seed", type=int, default=7, help="Random seed (repeatable data).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo password is public: never on a real site.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        learners: int = options["learners"]
        weeks: int = options["weeks"]
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: refusing to create accounts with a published password. "
                "Pass --force if this really is a demo site."
            )
        if not 1 <= learners <= 5000:
            raise CommandError("--learners must be between 1 and 5000.")
        if not 1 <= weeks <= 52:
            raise CommandError("--weeks must be between 1 and 52.")
        instructor = User.objects.filter(username__iexact=options["instructor"]).first()
        if instructor is None:
            raise CommandError(
                f"No user '{options['instructor']}'. Run `manage.py seed_demo_users` first, "
                "or pass --instructor with an existing username."
            )
        challenges = list(Challenge.objects.current().order_by("number"))
        cards = list(Card.objects.current().order_by("number"))
        if not challenges or not cards:
            raise CommandError("No curriculum loaded. Run `manage.py load_content` first.")

        started = timezone.now()
        with transaction.atomic():
            cohort = _seed(
                instructor=instructor,
                count=learners,
                weeks=weeks,
                challenges=challenges,
                cards=cards,
                rng=random.Random(options["seed"]),
                now=started,
            )
        elapsed = (timezone.now() - started).total_seconds()
        in_cohort = {"learner__memberships__cohort": cohort}
        self.stdout.write(
            self.style.SUCCESS(f"{cohort.name}: {learners} learners in {elapsed:.1f}s.")
            + f"\n  taught by {instructor.username}; learners log in as "
            + f"{cohort.pk}-learner-NNN / {DEMO_PASSWORD}"
            + f"\n  submissions: {Submission.objects.filter(**in_cohort).count()}"
            + f"\n  reviews:     {ReviewLog.objects.filter(**in_cohort).count()}"
        )


def _seed(
    *,
    instructor: User,
    count: int,
    weeks: int,
    challenges: list[Challenge],
    cards: list[Card],
    rng: random.Random,
    now: datetime,
) -> Cohort:
    cohort = Cohort.objects.create(
        name=f"Demo cohort ({count} learners, {now:%d %b %H:%M})", created_by=instructor
    )
    Membership.objects.get_or_create(
        cohort=cohort, user=instructor, defaults={"role": MemberRole.INSTRUCTOR}
    )
    begin = now - timedelta(weeks=weeks)
    password = make_password(DEMO_PASSWORD)  # hashed once, shared: hashing N times is slow
    users = User.objects.bulk_create(
        [
            User(
                username=f"{cohort.pk}-learner-{index:03d}",
                email=f"learner{index:03d}.{cohort.pk}@demo.example.com",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                password=password,
                role=Role.LEARNER,
            )
            for index in range(count)
        ],
        batch_size=BATCH,
    )
    Membership.objects.bulk_create(
        [Membership(cohort=cohort, user=user, role=MemberRole.LEARNER) for user in users],
        batch_size=BATCH,
    )
    # auto_now_add stamps "now" on bulk_create; the cohort started `weeks` ago.
    Membership.objects.filter(cohort=cohort, role=MemberRole.LEARNER).update(joined_at=begin)

    submissions: list[Submission] = []
    submission_times: list[datetime] = []
    failing: list[tuple[int, list[str]]] = []  # (index into submissions, failed checks)
    xp: list[tuple[XPEntry, datetime]] = []
    span = (now - begin).total_seconds()
    for user in users:
        # Each learner has a pace (how far through the weeks they kept going), a skill
        # (how often an attempt passes) and a point where they stopped (quiet learners).
        skill = rng.uniform(0.25, 0.8)
        stopped = begin + timedelta(seconds=span * rng.choice((0.3, 0.6, 1, 1, 1, 1)))
        moment = begin + timedelta(hours=rng.uniform(2, 72))
        for challenge in challenges:
            if moment >= stopped:
                break
            passed = False
            for _attempt in range(rng.randint(6, 9)):
                moment += timedelta(minutes=rng.uniform(5, 600))
                if moment >= stopped:
                    break
                passed = rng.random() < skill
                status = Submission.Status.PASS if passed else rng.choice(_FAIL_STATUSES)
                submission = Submission(
                    learner=user,
                    challenge=challenge,
                    source=f"# {challenge.title}\n# attempt by {user.username}\n",
                    status=status,
                    attempts=1,
                    enqueued_at=moment,
                    started_at=moment,
                    finished_at=moment + timedelta(seconds=rng.uniform(1, 20)),
                    xp_awarded=challenge.xp if passed else 0,
                    message="" if passed else "Some checks failed.",
                )
                submissions.append(submission)
                submission_times.append(moment)
                failing.append((len(submissions) - 1, [] if passed else _failed_checks(rng)))
                if passed:
                    xp.append(
                        (
                            XPEntry(
                                learner=user,
                                reason=f"challenge:{challenge.slug}:pass",
                                amount=challenge.xp,
                            ),
                            moment,
                        )
                    )
                    break
            if not passed:
                break  # stuck (or stopped) on this challenge
            moment += timedelta(hours=rng.uniform(6, 96))

    for submission, moment in zip(submissions, submission_times, strict=True):
        submission.created_at = moment
    with _keeping_timestamps(Submission):
        Submission.objects.bulk_create(submissions, batch_size=BATCH)
    checks = []
    for index, names in failing:
        submission = submissions[index]
        for position, name in enumerate(CHECK_NAMES):
            status = CheckResult.Status.FAIL if name in names else CheckResult.Status.PASS
            checks.append(
                CheckResult(
                    submission=submission,
                    position=position,
                    name=name,
                    status=status,
                    message="" if status == "pass" else "AssertionError: values differ",
                    elapsed_ms=rng.randint(5, 900),
                )
            )
    CheckResult.objects.bulk_create(checks, batch_size=BATCH)

    _seed_reviews(users=users, cards=cards, rng=rng, begin=begin, now=now, xp=xp)

    for entry, moment in xp:
        entry.created_at = moment
    with _keeping_timestamps(XPEntry):
        XPEntry.objects.bulk_create([entry for entry, _ in xp], batch_size=BATCH)
    return cohort


@contextmanager
def _keeping_timestamps(model: type[Model]) -> Iterator[None]:
    """Let bulk_create keep the `created_at` we set: auto_now_add would stamp "now" on
    every row, and rewriting tens of thousands of rows afterwards (bulk_update) takes
    minutes. Only this command's own process sees the flag flipped, and only briefly."""
    field = model._meta.get_field("created_at")
    assert isinstance(field, DateTimeField)
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


_FAIL_STATUSES = (Submission.Status.FAIL, Submission.Status.FAIL, Submission.Status.ERROR)


def _failed_checks(rng: random.Random) -> list[str]:
    # Early checks fail more often than late ones: the overview's "most failed" has a shape.
    return [name for i, name in enumerate(CHECK_NAMES) if rng.random() < 0.6 / (i + 1)] or [
        CHECK_NAMES[0]
    ]


def _seed_reviews(
    *,
    users: list[User],
    cards: list[Card],
    rng: random.Random,
    begin: datetime,
    now: datetime,
    xp: list[tuple[XPEntry, datetime]],
) -> None:
    """Daily review sessions: each learner studies a growing set of cards on most days
    until they stop; the first review of a card is a learning step, later ones are reviews
    of young (then mature) cards. One CardState per reviewed card, as the scheduler keeps."""
    days = max((now - begin).days, 1)
    logs: list[ReviewLog] = []
    states: list[CardState] = []
    for user in users:
        diligence = rng.uniform(0.2, 0.95)
        recall = rng.uniform(0.7, 0.97)
        last_day = rng.choice((days // 3, days // 2, days, days, days))
        seen: dict[int, tuple[datetime, int]] = {}  # card index → (first review, reviews)
        for day in range(last_day):
            if rng.random() > diligence:
                continue
            introduced = min(len(cards), (day + 1) * 2)
            for card_index in rng.sample(range(introduced), k=min(introduced, 8)):
                at = begin + timedelta(days=day, hours=rng.uniform(7, 22))
                first, reviews = seen.get(card_index, (at, 0))
                is_review = reviews > 0
                rating = (
                    rng.choice((2, 3, 3, 3, 4)) if rng.random() < recall else ReviewLog.Rating.AGAIN
                )
                logs.append(
                    ReviewLog(
                        learner=user,
                        card=cards[card_index],
                        rating=rating,
                        token=uuid.uuid4().hex,
                        reviewed_at=at,
                        state_before=REVIEW if is_review else None,
                        elapsed_days=(at - first).days if is_review else None,
                        interval_before_days=min(3 * reviews, 60) if is_review else None,
                        interval_seconds=86400 * max(1, 3 * (reviews + 1)),
                    )
                )
                seen[card_index] = (first, reviews + 1)
        for card_index, (first, reviews) in seen.items():
            interval = max(1, 3 * reviews)
            states.append(
                CardState(
                    learner=user,
                    card=cards[card_index],
                    state=REVIEW if reviews > 1 else LEARNING,
                    step=None if reviews > 1 else 0,
                    stability=float(interval),
                    difficulty=round(rng.uniform(3, 8), 2),
                    due=first + timedelta(days=interval * reviews),
                    last_review=first + timedelta(days=interval * (reviews - 1)),
                    reps=reviews,
                    lapses=0,
                    introduced_at=first,
                )
            )
    CardState.objects.bulk_create(states, batch_size=BATCH)
    ReviewLog.objects.bulk_create(logs, batch_size=BATCH)
    # Review XP as flashcards awards it: 1 XP per review, one ledger row per review id.
    xp.extend(
        (XPEntry(learner_id=log.learner_id, reason=f"review:{log.pk}", amount=1), log.reviewed_at)
        for log in logs
    )


FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Bea", "Chen", "Dara", "Elif", "Emil", "Fatima", "Grace",
    "Hiro", "Ines", "Jonas", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn",
    "Rosa", "Sami", "Tomas", "Uma", "Vera", "Wen", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
    "Ivanova", "Jensen", "Kim", "Lopez", "Mensah", "Novak", "Okafor", "Patel", "Rossi",
    "Silva", "Tanaka", "Urban", "Weber", "Yilmaz", "Zhou",
)  # fmt: skip
