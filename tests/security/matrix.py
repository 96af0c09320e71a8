"""The permissions matrix (issue #7): every URL pattern of the site, each method it
answers, and what each actor gets from it.

A row is one request (a URL name, its arguments from the world, a method and form data);
``expect`` gives each actor's outcome, ``changes`` what that actor's request may change
(exactly: a part changed that is not listed fails, and so does a listed part that did not
change), and ``readers`` widens who may read a marker in that row's responses. "self" in
``changes`` stands for the acting user's own rows. ``shows`` names markers an actor must
find in the response: a positive control, so that "bob does not see alice's code" cannot
pass merely because the page shows nobody's code.

Objects that belong to someone are alice's; the other learners are bob (her cohort-mate,
the one who could plausibly be shown a fellow learner's work) and dave (another cohort).
The admin is one group of rows: every pattern in the ``admin`` namespace is covered by it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import PASSWORD
from tests.security.world import (
    ACTORS,
    ANONYMOUS,
    COHORT_A,
    CREATION_TOKEN_A,
    EVERYONE,
    MAIL,
    MARKER_READERS,
    NEW_COHORTS,
    NEW_USERS,
    USERS,
    World,
)


@dataclass(frozen=True)
class Outcome:
    status: int
    to: str = ""  # a redirect's target, as the URL name its Location resolves to

    def __str__(self) -> str:
        return f"{self.status} to {self.to}" if self.to else str(self.status)


OK = Outcome(200)
CREATED = Outcome(201)
UNAUTHORIZED = Outcome(401)
FORBIDDEN = Outcome(403)
NOT_FOUND = Outcome(404)
NOT_ALLOWED = Outcome(405)
LOGIN = Outcome(302, "accounts:login")
# What an htmx request gets from accounts.decorators.login_required: a 200 with HX-Redirect.
HX_LOGIN = Outcome(200, "accounts:login")
ADMIN_LOGIN = Outcome(302, "admin:login")
ACCEPTED = Outcome(202)
BAD_REQUEST = Outcome(400)


def redirect(to: str) -> Outcome:
    return Outcome(302, to)


def outcomes(default: Outcome, **per_actor: Outcome) -> dict[str, Outcome]:
    unknown = per_actor.keys() - set(ACTORS)
    assert not unknown, f"not actors: {unknown}"
    return {actor: per_actor.get(actor, default) for actor in ACTORS}


SELF = frozenset({"self"})
# Every signed-in actor changes their own rows and nobody else's.
EACH_OWN: dict[str, frozenset[str]] = dict.fromkeys(USERS, SELF)
ALL_OK = outcomes(OK)
SIGNED_IN_OK = outcomes(OK, anonymous=LOGIN)
ALICE_ONLY = outcomes(NOT_FOUND, anonymous=LOGIN, alice=OK)
INSTRUCTOR_OF_A_ONLY = outcomes(NOT_FOUND, anonymous=LOGIN, carol=OK, staff=OK)
NEW_PASSWORD = "a-brand-new-passphrase-42"


def no_args(world: World) -> Sequence[object]:
    return ()


@dataclass(frozen=True)
class Row:
    name: str
    expect: Mapping[str, Outcome]
    method: str = "GET"
    args: Callable[[World], Sequence[object]] = no_args
    data: Callable[[World, str], dict[str, Any]] | None = None
    changes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    readers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Markers an actor must see here: proof that the absence checks are not vacuous.
    shows: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # "session": the actor is logged in; "bearer": only their API token is sent.
    auth: str = "session"
    htmx: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)
    variant: str = ""

    @property
    def id(self) -> str:
        label = f"{self.name}({self.variant})" if self.variant else self.name
        return label if self.method == "GET" else f"{label}.{self.method}"

    def expected_changes(self, actor: str) -> set[str]:
        return {actor if part == "self" else part for part in self.changes.get(actor, ())}


def _cohort_a(world: World) -> Sequence[object]:
    return (world.cohort_a.pk,)


def _code_a(world: World) -> Sequence[object]:
    return (world.cohort_a.join_code,)


def _code_form(world: World, actor: str) -> dict[str, Any]:
    return {"code": world.cohort_a.join_code}


def _alices_submission(world: World) -> Sequence[object]:
    return (world.submission.pk,)


# Holding cohort A's code (it is in the URL or the form) shows what the code opens.
CODE_HOLDERS = {"cohort A's name": EVERYONE, "cohort A's join code": EVERYONE}
# The drill-down shows alice's instructor (and staff) her code and results.
LEARNER_READERS = {
    "alice's source": frozenset({"carol", "staff"}),
    "alice's check message": frozenset({"carol", "staff"}),
}
# Staff read anything in the admin.
STAFF_READS_ALL = dict.fromkeys(MARKER_READERS, frozenset({"staff"}))
# Joining with cohort A's code: members are told they are in already, the rest join.
JOIN_OUTCOMES = outcomes(redirect("cohorts:detail"), anonymous=LOGIN)
JOIN_CHANGES = dict.fromkeys(("dave", "erin", "staff"), frozenset({COHORT_A}))


ROWS: list[Row] = [
    # --- Site ---------------------------------------------------------------------------
    Row("home", ALL_OK),
    Row("home", outcomes(OK), htmx=True, variant="htmx"),
    Row("healthz", ALL_OK),
    # --- Admin: staff only; everyone else is sent to the admin's own log-in page ----------
    Row("admin:index", outcomes(ADMIN_LOGIN, staff=OK), readers=STAFF_READS_ALL),
    Row(
        "admin:grading_submission_change",
        outcomes(ADMIN_LOGIN, staff=OK),
        args=_alices_submission,
        readers=STAFF_READS_ALL,
        shows={"staff": frozenset({"alice's source"})},
    ),
    # --- Accounts -----------------------------------------------------------------------
    Row("accounts:signup", outcomes(redirect("home"), anonymous=OK)),
    Row(
        "accounts:signup",
        outcomes(redirect("home")),
        method="POST",
        data=lambda world, actor: {
            "username": "mallory",
            "email": "mallory@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "timezone": "UTC",
        },
        changes={ANONYMOUS: frozenset({NEW_USERS})},
    ),
    Row("accounts:login", outcomes(redirect("home"), anonymous=OK)),
    Row(
        "accounts:login",
        outcomes(redirect("home"), anonymous=OK),
        method="POST",
        data=lambda world, actor: {"username": "alice", "password": "not-her-password"},
        # The form echoes the username typed.
        readers={"alice's username": EVERYONE},
    ),
    Row("accounts:logout", outcomes(NOT_ALLOWED)),
    Row("accounts:logout", outcomes(redirect("home")), method="POST"),
    Row(
        "accounts:profile",
        SIGNED_IN_OK,
        shows={"alice": frozenset({"alice's token prefix", "alice's email"})},
    ),
    Row(
        "accounts:profile",
        outcomes(redirect("accounts:profile"), anonymous=LOGIN),
        method="POST",
        data=lambda world, actor: {"email": f"{actor}@example.org", "timezone": "Europe/Paris"},
        changes=EACH_OWN,
    ),
    Row(
        "accounts:profile",
        # Taking alice's address, in any case, is refused (the form shows what was typed).
        outcomes(OK, anonymous=LOGIN, alice=redirect("accounts:profile")),
        method="POST",
        data=lambda world, actor: {"email": "Alice@example.com", "timezone": "Europe/Paris"},
        changes={"alice": SELF},
        readers={"alice's username": EVERYONE},
        variant="alice's email",
    ),
    Row("accounts:token-create", outcomes(NOT_ALLOWED)),
    # Everyone has a token already: nothing is replaced, nobody else's token is shown.
    Row("accounts:token-create", SIGNED_IN_OK, method="POST"),
    Row("accounts:token-revoke", outcomes(NOT_ALLOWED)),
    Row(
        "accounts:token-revoke",
        outcomes(redirect("accounts:profile"), anonymous=LOGIN),
        method="POST",
        changes=EACH_OWN,
    ),
    Row("accounts:password-change", SIGNED_IN_OK),
    Row(
        "accounts:password-change",
        outcomes(redirect("accounts:password-change-done"), anonymous=LOGIN),
        method="POST",
        data=lambda world, actor: {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        changes=EACH_OWN,
    ),
    Row("accounts:password-change-done", SIGNED_IN_OK),
    Row("accounts:password-reset", ALL_OK),
    Row(
        "accounts:password-reset",
        # Anyone may ask; the link goes to alice's address only.
        outcomes(redirect("accounts:password-reset-done")),
        method="POST",
        data=lambda world, actor: {"email": "alice@example.com"},
        changes=dict.fromkeys(ACTORS, frozenset({MAIL})),
        readers={"alice's email": EVERYONE},
    ),
    Row("accounts:password-reset-done", ALL_OK),
    Row(
        "accounts:password-reset-confirm",
        ALL_OK,
        args=lambda world: (urlsafe_base64_encode(force_bytes(world.user("alice").pk)), "1-x"),
    ),
    Row(
        "accounts:password-reset-confirm",
        ALL_OK,
        method="POST",
        args=lambda world: (urlsafe_base64_encode(force_bytes(world.user("alice").pk)), "1-x"),
        data=lambda world, actor: {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    ),
    Row("accounts:password-reset-complete", ALL_OK),
    # --- Cohorts ------------------------------------------------------------------------
    Row(
        "cohorts:list",
        SIGNED_IN_OK,
        shows={
            "alice": frozenset({"cohort A's name"}),
            "carol": frozenset({"cohort A's name"}),
            "dave": frozenset({"cohort B's name"}),
        },
    ),
    Row(
        "cohorts:create",
        outcomes(FORBIDDEN, anonymous=LOGIN, erin=OK, carol=OK, staff=OK),
    ),
    Row(
        "cohorts:create",
        outcomes(
            FORBIDDEN,
            anonymous=LOGIN,
            erin=redirect("cohorts:detail"),
            carol=redirect("cohorts:detail"),
            staff=redirect("cohorts:detail"),
        ),
        method="POST",
        data=lambda world, actor: {
            "name": "Cohort Mallory",
            "creation_token": "6f1c2b1e-8a53-4c1e-9d7a-2f0e6b1d4c3a",
        },
        changes=dict.fromkeys(("erin", "carol", "staff"), frozenset({NEW_COHORTS})),
    ),
    Row(
        "cohorts:create",
        # Replaying the form carol created cohort A with: hers finds cohort A again; another
        # instructor's must neither open nor name cohort A (the form comes back, nothing made).
        outcomes(
            FORBIDDEN,
            anonymous=LOGIN,
            erin=OK,
            carol=redirect("cohorts:detail"),
            staff=OK,
        ),
        method="POST",
        data=lambda world, actor: {"name": "Cohort Mallory", "creation_token": CREATION_TOKEN_A},
        variant="carol's form token",
    ),
    Row("cohorts:join", SIGNED_IN_OK),
    Row(
        "cohorts:join",
        JOIN_OUTCOMES,
        method="POST",
        data=_code_form,
        changes=JOIN_CHANGES,
        readers=CODE_HOLDERS,
    ),
    Row("cohorts:join-link", SIGNED_IN_OK, args=_code_a, readers=CODE_HOLDERS),
    Row(
        "cohorts:join-link",
        JOIN_OUTCOMES,
        method="POST",
        args=_code_a,
        changes=JOIN_CHANGES,
        readers=CODE_HOLDERS,
    ),
    Row(
        "cohorts:detail",
        outcomes(NOT_FOUND, anonymous=LOGIN, alice=OK, bob=OK, carol=OK),
        args=_cohort_a,
        shows={
            "alice": frozenset({"cohort A's name"}),
            "carol": frozenset({"cohort A's join code", "alice's username"}),
        },
    ),
    Row("cohorts:code-revoke", outcomes(NOT_ALLOWED), args=_cohort_a),
    Row(
        "cohorts:code-revoke",
        outcomes(NOT_FOUND, anonymous=LOGIN, carol=redirect("cohorts:detail")),
        method="POST",
        args=_cohort_a,
        data=_code_form,
        changes={"carol": frozenset({COHORT_A})},
    ),
    Row("cohorts:code-regenerate", outcomes(NOT_ALLOWED), args=_cohort_a),
    Row(
        "cohorts:code-regenerate",
        outcomes(NOT_FOUND, anonymous=LOGIN, carol=redirect("cohorts:detail")),
        method="POST",
        args=_cohort_a,
        data=_code_form,
        changes={"carol": frozenset({COHORT_A})},
    ),
    Row("cohorts:instructor-add", outcomes(NOT_ALLOWED), args=_cohort_a),
    Row(
        "cohorts:instructor-add",
        outcomes(NOT_FOUND, anonymous=LOGIN, carol=redirect("cohorts:detail")),
        method="POST",
        args=_cohort_a,
        data=lambda world, actor: {"username": "erin"},
        changes={"carol": frozenset({COHORT_A})},
    ),
    Row(
        "cohorts:overview",
        INSTRUCTOR_OF_A_ONLY,
        args=_cohort_a,
        shows=dict.fromkeys(("carol", "staff"), frozenset({"alice's username"})),
    ),
    Row(
        "cohorts:overview",
        outcomes(NOT_FOUND, anonymous=HX_LOGIN, carol=OK, staff=OK),
        args=_cohort_a,
        htmx=True,
        shows=dict.fromkeys(("carol", "staff"), frozenset({"alice's username"})),
        variant="htmx",
    ),
    Row(
        "cohorts:overview-csv",
        INSTRUCTOR_OF_A_ONLY,
        args=_cohort_a,
        shows=dict.fromkeys(("carol", "staff"), frozenset({"alice's email"})),
    ),
    Row(
        "cohorts:learner",
        INSTRUCTOR_OF_A_ONLY,
        args=lambda world: (world.cohort_a.pk, world.user("alice").pk),
        # The drill-down shows her instructor (and staff) her code and results.
        readers=LEARNER_READERS,
        shows=dict.fromkeys(("carol", "staff"), frozenset({"alice's source"})),
    ),
    Row(
        "cohorts:learner",
        outcomes(NOT_FOUND, anonymous=HX_LOGIN, carol=OK, staff=OK),
        args=lambda world: (world.cohort_a.pk, world.user("alice").pk),
        htmx=True,
        readers=LEARNER_READERS,
        shows=dict.fromkeys(("carol", "staff"), frozenset({"alice's source"})),
        variant="htmx",
    ),
    Row(
        "cohorts:learner",
        # Dave is not in cohort A: its instructor cannot reach him through it.
        outcomes(NOT_FOUND, anonymous=LOGIN),
        args=lambda world: (world.cohort_a.pk, world.user("dave").pk),
        variant="dave through cohort A",
    ),
    Row(
        "cohorts:learner",
        # Alice is not in cohort B: its instructor cannot reach her through it either.
        outcomes(NOT_FOUND, anonymous=LOGIN),
        args=lambda world: (world.cohort_b.pk, world.user("alice").pk),
        variant="alice through cohort B",
    ),
    Row("cohorts:roster-import", outcomes(NOT_FOUND, anonymous=LOGIN, carol=OK), args=_cohort_a),
    Row(
        "cohorts:roster-import",
        outcomes(NOT_FOUND, anonymous=LOGIN, carol=redirect("cohorts:overview")),
        method="POST",
        args=_cohort_a,
        data=lambda world, actor: {
            "emails": "newcomer@example.com",
            "token": "0b7d5f4e-3c2a-4e1b-8f6d-9a8b7c6d5e4f",
        },
        changes={"carol": frozenset({MAIL})},
    ),
    # --- Curriculum: public; a signed-in learner sees their own progress -------------------
    Row("curriculum:tiers", ALL_OK),
    Row("curriculum:path", ALL_OK),
    Row("curriculum:stats", ALL_OK),
    Row("curriculum:tier", ALL_OK, args=lambda world: ("foundation",)),
    # The challenge page's grading panel shows the viewer's own latest submission.
    Row(
        "curriculum:challenge",
        ALL_OK,
        args=lambda world: ("tokenizer",),
        shows={"alice": frozenset({"alice's source"})},
    ),
    Row(
        "curriculum:challenge",
        ALL_OK,
        args=lambda world: ("tokenizer",),
        htmx=True,
        variant="htmx",
    ),
    # --- Progress -----------------------------------------------------------------------
    Row("progress:dashboard", SIGNED_IN_OK),
    Row("progress:dashboard", outcomes(OK, anonymous=HX_LOGIN), htmx=True, variant="htmx"),
    Row("progress:xp-badge", SIGNED_IN_OK),
    Row(
        "progress:video-watched",
        outcomes(NOT_ALLOWED),
        args=lambda world: (world.unwatched_video.slug,),
    ),
    Row(
        "progress:video-watched",
        outcomes(redirect("curriculum:challenge"), anonymous=LOGIN),
        method="POST",
        args=lambda world: (world.unwatched_video.slug,),
        data=lambda world, actor: {"watched": "1"},
        changes=EACH_OWN,
    ),
    Row(
        "progress:build-item-done",
        outcomes(NOT_ALLOWED),
        args=lambda world: (world.unticked_item.slug,),
    ),
    Row(
        "progress:build-item-done",
        outcomes(redirect("curriculum:challenge"), anonymous=LOGIN),
        method="POST",
        args=lambda world: (world.unticked_item.slug,),
        data=lambda world, actor: {"done": "1"},
        changes=EACH_OWN,
    ),
    Row("progress:plan", outcomes(NOT_ALLOWED)),
    Row(
        "progress:plan",
        outcomes(redirect("curriculum:path"), anonymous=LOGIN),
        method="POST",
        data=lambda world, actor: {
            "start_date": timezone.localdate().isoformat(),
            "study_days": "daily",
        },
        changes=EACH_OWN,
    ),
    # --- Grading: a submission is its learner's only -------------------------------------
    Row(
        "grading:challenge-submissions",
        SIGNED_IN_OK,
        args=lambda world: ("tokenizer",),
        shows={"alice": frozenset({"alice's source"})},
    ),
    Row(
        "grading:challenge-submissions",
        outcomes(OK, anonymous=HX_LOGIN),
        args=lambda world: ("tokenizer",),
        htmx=True,
        variant="htmx",
    ),
    Row(
        "grading:challenge-submissions",
        outcomes(redirect("grading:submission-detail"), anonymous=LOGIN),
        method="POST",
        args=lambda world: ("tokenizer",),
        data=lambda world, actor: {"source": "x = 1\n", "token": f"matrix-{uuid.uuid4().hex}"},
        changes=EACH_OWN,
    ),
    Row(
        "grading:submission-detail",
        ALICE_ONLY,
        args=_alices_submission,
        shows={"alice": frozenset({"alice's source", "alice's check message"})},
    ),
    Row("grading:submission-detail", outcomes(NOT_ALLOWED), method="POST", args=_alices_submission),
    Row(
        "grading:submission-status",
        outcomes(NOT_FOUND, anonymous=HX_LOGIN, alice=OK),
        args=_alices_submission,
        htmx=True,
        shows={"alice": frozenset({"alice's check message"})},
    ),
    Row("grading:api-create-submission", outcomes(NOT_ALLOWED), args=lambda world: ("tokenizer",)),
    Row(
        "grading:api-create-submission",
        outcomes(CREATED, anonymous=UNAUTHORIZED),
        method="POST",
        args=lambda world: ("tokenizer",),
        data=lambda world, actor: {"source": "x = 1\n"},
        changes=EACH_OWN,
        auth="bearer",
    ),
    Row(
        "grading:api-create-submission",
        # The API ignores the session cookie (it is exempt from CSRF because of that).
        outcomes(UNAUTHORIZED),
        method="POST",
        args=lambda world: ("tokenizer",),
        data=lambda world, actor: {"source": "x = 1\n"},
        variant="session cookie only",
    ),
    Row(
        "grading:api-submission",
        outcomes(NOT_FOUND, anonymous=UNAUTHORIZED, alice=OK),
        args=_alices_submission,
        auth="bearer",
        shows={"alice": frozenset({"alice's check message"})},
    ),
    Row(
        "grading:api-submission",
        outcomes(UNAUTHORIZED),
        args=_alices_submission,
        variant="session cookie only",
    ),
    Row(
        "grading:api-submission",
        outcomes(NOT_ALLOWED),
        method="POST",
        args=_alices_submission,
        auth="bearer",
    ),
    # --- Flashcards ---------------------------------------------------------------------
    Row("flashcards:review", SIGNED_IN_OK),
    Row("flashcards:rate", outcomes(NOT_ALLOWED)),
    Row(
        "flashcards:rate",
        # Replaying alice's spent review token: hers is a no-op, anyone else's a 404.
        outcomes(NOT_FOUND, anonymous=LOGIN, alice=redirect("flashcards:review")),
        method="POST",
        data=lambda world, actor: {
            "card": world.review.card.number,
            "rating": "1",
            "token": world.review.token,
            "reps": "0",
        },
        variant="alice's token",
    ),
    Row("flashcards:undo", outcomes(NOT_ALLOWED)),
    Row(
        "flashcards:undo",
        outcomes(NOT_FOUND, anonymous=LOGIN, alice=redirect("flashcards:review")),
        method="POST",
        data=lambda world, actor: {"review": world.review.pk},
        changes={"alice": SELF},
        variant="alice's review",
    ),
    Row("flashcards:settings", SIGNED_IN_OK),
    Row(
        "flashcards:settings",
        outcomes(redirect("flashcards:settings"), anonymous=LOGIN),
        method="POST",
        data=lambda world, actor: {"retention_percent": "85", "new_per_day": "11"},
        changes=EACH_OWN,
    ),
    Row("flashcards:cards", SIGNED_IN_OK),
    # --- Playgrounds: public pages; a computation answers its owner only -------------------
    Row("playgrounds:index", ALL_OK),
    Row("playgrounds:sampling", ALL_OK),
    Row("playgrounds:tokenizer", ALL_OK),
    Row("playgrounds:tokenizer", ALL_OK, htmx=True, variant="htmx"),
    Row(
        "playgrounds:tokenizer",
        ALL_OK,
        method="POST",
        data=lambda world, actor: {"text": "Hello, do you like tea?"},
    ),
    Row("playgrounds:embeddings", ALL_OK),
    Row(
        "playgrounds:embeddings",
        # Without JavaScript: back to the page for these settings.
        outcomes(Outcome(303, "playgrounds:embeddings")),
        method="POST",
        data=lambda world, actor: {"dim": "16", "epochs": "5"},
    ),
    Row(
        "playgrounds:embeddings",
        # The training starts as a run of the visitor's own (a visitor's is their session's).
        outcomes(ACCEPTED),
        method="POST",
        data=lambda world, actor: {"dim": "16", "epochs": "5"},
        headers={"Accept": "application/json"},
        changes=EACH_OWN,
        variant="json",
    ),
    Row("playgrounds:attention", ALL_OK),
    Row("playgrounds:attention-run", outcomes(NOT_ALLOWED)),
    Row(
        "playgrounds:attention-run",
        outcomes(ACCEPTED),
        method="POST",
        data=lambda world, actor: {"text": "Your journey starts", "source": "trained"},
        changes=EACH_OWN,
    ),
    Row(
        "playgrounds:attention-run",
        # Only alice has a passing submission; naming hers in the form gives nobody else it.
        outcomes(BAD_REQUEST, alice=ACCEPTED),
        method="POST",
        data=lambda world, actor: {
            "text": "Your journey starts",
            "source": "submission",
            "submission": world.passing_mha.pk,
        },
        changes={"alice": SELF},
        variant="alice's submission",
    ),
    Row(
        "playgrounds:run-status",
        outcomes(NOT_FOUND, alice=OK),
        args=lambda world: (world.run.pk,),
        shows={"alice": frozenset({"alice's run result"})},
    ),
    Row(
        "playgrounds:run-status",
        # A visitor's computation belongs to their session: nobody else's, signed in or not.
        outcomes(NOT_FOUND),
        args=lambda world: (world.visitor_run.pk,),
        variant="a visitor's run",
    ),
]


def _refusing_post() -> list[Row]:
    """Every read-only page refuses a POST (405, nothing changes); the admin is left to its
    own rows. Django's password-change-done view asks for a log-in before the method."""
    answered = {row.name for row in ROWS if row.method == "POST"}
    special = {"accounts:password-change-done": outcomes(NOT_ALLOWED, anonymous=LOGIN)}
    rows: dict[str, Row] = {}
    for row in ROWS:
        if row.name in answered or row.name.startswith("admin:") or row.name in rows:
            continue
        expect = special.get(row.name, outcomes(NOT_ALLOWED))
        rows[row.name] = Row(row.name, expect, method="POST", args=row.args)
    return list(rows.values())


ROWS += _refusing_post()
