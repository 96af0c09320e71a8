"""The permissions matrix's world: the cast of tests/conftest.py, built once per module, with
things that belong to alice (a submission, an API token, a flashcard review, settings,
progress, a playground run) and a snapshot of everything a request could change.

Alice is the victim throughout: every other actor tries to see or change what is hers.
Each private thing carries a marker string that must not appear in a response to anyone
who may not see it (``MARKER_READERS``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken, Role, User
from cohorts.models import Cohort, Membership, RetiredJoinCode
from curriculum.models import BuildItem, Card, Challenge, Video
from flashcards.models import CardState, ReviewLog, ReviewSettings
from flashcards.reviews import record_review
from grading.models import CheckResult, Submission
from playgrounds.models import PlaygroundRun
from progress.models import BuildItemCheck, LearningPlan, VideoWatch, XPEntry
from progress.plan import set_plan
from progress.watching import set_item_done, set_watched
from tests.factories import join, make_cohort, make_user

ANONYMOUS = "anonymous"
CREATION_TOKEN_A = uuid.UUID("5a0c7d2e-1f3b-4c6d-8e9f-a1b2c3d4e5f6")
# Alice and bob learn in cohort A, carol teaches it; dave learns in cohort B, erin
# teaches it; stella ("staff") is staff and superuser and belongs to no cohort.
USERS = ("alice", "bob", "dave", "erin", "carol", "staff")
ACTORS = (ANONYMOUS, *USERS)
EVERYONE = frozenset(ACTORS)

# Who may read each marker anywhere on the site (a row can widen this for itself).
MARKER_READERS: dict[str, frozenset[str]] = {
    "alice's source": frozenset({"alice"}),
    "alice's check message": frozenset({"alice"}),
    "alice's token prefix": frozenset({"alice"}),
    "alice's run result": frozenset({"alice"}),
    # Her instructor sees her on the roster and overview; staff see everything.
    "alice's username": frozenset({"alice", "carol", "staff"}),
    "alice's email": frozenset({"alice", "carol", "staff"}),
    "dave's username": frozenset({"dave", "erin", "staff"}),
    "cohort A's name": frozenset({"alice", "bob", "carol", "staff"}),
    "cohort B's name": frozenset({"dave", "erin", "staff"}),
    "cohort A's join code": frozenset({"carol", "staff"}),
    "cohort B's join code": frozenset({"erin", "staff"}),
}


@dataclass
class World:
    users: dict[str, User]
    cohort_a: Cohort
    cohort_b: Cohort
    submission: Submission  # alice's, finished
    passing_mha: Submission  # alice's passing multi-head-attention (the attention playground)
    review: ReviewLog  # alice's, undoable
    run: PlaygroundRun  # alice's playground computation
    visitor_run: PlaygroundRun  # an anonymous visitor's, owned by their session
    api_tokens: dict[str, str]  # actor → raw bearer token
    unwatched_video: Video  # nobody has watched it
    unticked_item: BuildItem  # a self-check item nobody has ticked
    markers: dict[str, str]

    def user(self, actor: str) -> User:
        return self.users[actor]


def build() -> World:
    call_command("load_content", verbosity=0)
    carol = make_user("carol", role=Role.INSTRUCTOR)
    erin = make_user("erin", role=Role.INSTRUCTOR)
    cohort_a = make_cohort("Cohort Aurora", instructor=carol)
    # The one-time token of the form carol created cohort A with (cohorts:create).
    cohort_a.creation_token = CREATION_TOKEN_A
    cohort_a.save(update_fields=["creation_token"])
    cohort_b = make_cohort("Cohort Borealis", instructor=erin)
    users = {
        "alice": make_user("alice"),
        "bob": make_user("bob"),
        "dave": make_user("dave"),
        "erin": erin,
        "carol": carol,
        "staff": make_user("stella", role=Role.STAFF, is_staff=True, is_superuser=True),
    }
    join(cohort_a, users["alice"])
    join(cohort_a, users["bob"])
    join(cohort_b, users["dave"])
    alice = users["alice"]
    api_tokens = {actor: tokens.create_token(user=user) or "" for actor, user in users.items()}

    source = "# alice_private_solution_7f3a\ndef text_to_token_ids(text, tokenizer):\n    pass\n"
    now = timezone.now()
    submission = Submission.objects.create(
        learner=alice,
        challenge=Challenge.objects.current().get(slug="tokenizer"),
        source=source,
        status=Submission.Status.FAIL,
        finished_at=now,
        message="1 of 1 checks failed.",
    )
    CheckResult.objects.create(
        submission=submission,
        position=0,
        name="round trip",
        status=CheckResult.Status.FAIL,
        message="alice_private_check_0c41: expected [15496] got []",
    )
    passing_mha = Submission.objects.create(
        learner=alice,
        challenge=Challenge.objects.current().get(slug="multi-head-attention"),
        source="# alice_private_solution_7f3a\nclass MultiHeadAttention:\n    pass\n",
        status=Submission.Status.PASS,
        finished_at=now,
    )
    review = record_review(
        learner=alice, card=Card.objects.current().get(number=1), rating=3, token="a" * 32
    )
    ReviewSettings.objects.create(learner=alice, new_per_day=7, desired_retention=0.87)
    videos = list(Video.objects.current().order_by("challenge__number", "position")[:2])
    set_watched(learner=alice, video=videos[0], watched=True)
    items = list(
        BuildItem.objects.current().filter(kind=BuildItem.Kind.SELF_CHECK).order_by("pk")[:2]
    )
    set_item_done(learner=alice, item=items[0], done=True)
    set_plan(learner=alice, start_date=timezone.localdate() - timedelta(days=7))
    run = PlaygroundRun.objects.create(
        owner=alice,
        kind="attention",
        key="0" * 64,
        status=PlaygroundRun.Status.DONE,
        progress=1.0,
        result={"note": "alice_private_run_5d2e"},
        finished_at=now,
    )
    visitor_run = PlaygroundRun.objects.create(
        session_key="visitor-session-0000000000000000000000",
        kind="attention",
        key="1" * 64,
        status=PlaygroundRun.Status.DONE,
        progress=1.0,
        result={"note": "alice_private_run_5d2e"},
        finished_at=now,
    )
    alice_prefix = ApiToken.objects.get(user=alice).prefix
    markers = {
        "alice's source": "alice_private_solution_7f3a",
        "alice's check message": "alice_private_check_0c41",
        "alice's token prefix": alice_prefix,
        "alice's run result": "alice_private_run_5d2e",
        "alice's username": "alice",
        "alice's email": "alice@example.com",
        "dave's username": "dave",
        "cohort A's name": cohort_a.name,
        "cohort B's name": cohort_b.name,
        "cohort A's join code": cohort_a.join_code,
        "cohort B's join code": cohort_b.join_code,
    }
    assert markers.keys() == MARKER_READERS.keys()
    return World(
        users=users,
        cohort_a=cohort_a,
        cohort_b=cohort_b,
        submission=submission,
        passing_mha=passing_mha,
        review=review,
        run=run,
        visitor_run=visitor_run,
        api_tokens=api_tokens,
        unwatched_video=videos[1],
        unticked_item=items[1],
        markers=markers,
    )


# --- What a request may have changed ---------------------------------------------------

# Parts of the world a snapshot reports on: each user's own rows (named by actor), each
# cohort (its code and memberships), cohorts and users created by the request, and mail.
COHORT_A, COHORT_B, NEW_COHORTS, NEW_USERS, MAIL = (
    "cohort A",
    "cohort B",
    "new cohorts",
    "new users",
    "mail",
)


def _per_user(world: World, rows: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Group (user_id, *values) rows under the actor they belong to."""
    actor_of = {user.pk: actor for actor, user in world.users.items()}
    grouped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for user_id, *values in rows:
        if user_id in actor_of:
            grouped[actor_of[user_id]].append(tuple(values))
    return grouped


# What a user row holds that a view could change (not last_login: logging in writes it).
USER_FIELDS = (
    "password",
    "email",
    "first_name",
    "last_name",
    "timezone",
    "role",
    "is_active",
    "is_staff",
    "is_superuser",
)


def snapshot(world: World) -> dict[str, Any]:
    """Everything the site's views can write, grouped by whose it is (last_login and a
    token's last_used_at are left out: logging in and using a token write them)."""
    ids = [user.pk for user in world.users.values()]
    tables = {
        "user": User.objects.filter(pk__in=ids).values_list("pk", *USER_FIELDS),
        "token": ApiToken.objects.filter(user__in=ids).values_list("user_id", "digest"),
        "submissions": Submission.objects.filter(learner__in=ids).values_list(
            "learner_id", "pk", "status", "source"
        ),
        "reviews": ReviewLog.objects.filter(learner__in=ids).values_list(
            "learner_id", "pk", "rating", "undone_at"
        ),
        "card states": CardState.objects.filter(learner__in=ids).values_list(
            "learner_id", "card_id", "reps", "due", "state"
        ),
        "review settings": ReviewSettings.objects.filter(learner__in=ids).values_list(
            "learner_id", "new_per_day", "desired_retention"
        ),
        "watched": VideoWatch.objects.filter(learner__in=ids).values_list("learner_id", "video_id"),
        "ticked": BuildItemCheck.objects.filter(learner__in=ids).values_list(
            "learner_id", "item_id"
        ),
        "plan": LearningPlan.objects.filter(learner__in=ids).values_list(
            "learner_id", "start_date", "study_days"
        ),
        "xp": XPEntry.objects.filter(learner__in=ids).values_list("learner_id", "reason", "amount"),
        "runs": PlaygroundRun.objects.filter(owner__in=ids).values_list("owner_id", "pk", "status"),
    }
    state: dict[str, Any] = {actor: {} for actor in world.users}
    for table, rows in tables.items():
        for actor, values in _per_user(world, rows).items():
            state[actor][table] = sorted(values, key=repr)
    for part, cohort in ((COHORT_A, world.cohort_a), (COHORT_B, world.cohort_b)):
        row = Cohort.objects.filter(pk=cohort.pk).values_list("name", "join_code", "code_active")
        members = Membership.objects.filter(cohort=cohort).values_list("user_id", "role")
        retired = RetiredJoinCode.objects.filter(cohort=cohort).values_list("pk", flat=True)
        state[part] = (list(row), sorted(members), sorted(retired))
    known = [world.cohort_a.pk, world.cohort_b.pk]
    state[NEW_COHORTS] = sorted(Cohort.objects.exclude(pk__in=known).values_list("pk", flat=True))
    state[NEW_USERS] = sorted(User.objects.exclude(pk__in=ids).values_list("username", flat=True))
    state[MAIL] = [(message.subject, message.to) for message in mail.outbox]
    return state


def changed_parts(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {part for part in before if before[part] != after[part]}
