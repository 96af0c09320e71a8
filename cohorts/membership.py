"""Cohort workflows: creating a cohort, joining it with a code, managing the code.

Views, the admin and the seed command call these functions; nothing else writes
Cohort, Membership or RetiredJoinCode rows. A refusal is a `CohortError` whose
`message` is written for the person who triggered it and is shown to them as is.
"""

from __future__ import annotations

import re
import uuid

from django.db import IntegrityError, transaction

from accounts.models import Role, User
from cohorts.models import (
    CODE_LENGTH,
    Cohort,
    MemberRole,
    Membership,
    RetiredJoinCode,
    format_code,
    new_join_code,
)

NAME_MAX_LENGTH = Cohort._meta.get_field("name").max_length or 120

# Spaces of any kind and every dash-like character people paste from chat or e-mail.
_IGNORED_IN_CODES = re.compile(r"[\s\-‐‑‒–—―−_.]+")


class CohortError(Exception):
    """A refused cohort action; `message` is user-facing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(CohortError):
    """The acting user may not do this (a learner creating a cohort, for instance)."""


class InvalidCode(CohortError):
    """The code is malformed, unknown, revoked or replaced."""


class AlreadyMember(CohortError):
    """Joining a cohort the user already belongs to; nothing was changed."""

    def __init__(self, message: str, *, membership: Membership) -> None:
        super().__init__(message)
        self.membership = membership


def normalise_code(raw: str) -> str:
    """Codes are case-insensitive and ignore spaces and dashes: 'abcd-efgh ' → 'ABCDEFGH'."""
    return _IGNORED_IN_CODES.sub("", raw).upper()


def _unused_code() -> str:
    # 31**8 ≈ 8.5e11 codes make a collision all but impossible; the loop (and the unique
    # index behind it) makes it impossible, retired codes included.
    while True:
        code = new_join_code()
        if not (
            Cohort.objects.filter(join_code=code).exists()
            or RetiredJoinCode.objects.filter(code=code).exists()
        ):
            return code


def can_manage(*, cohort: Cohort, user: User) -> bool:
    """Instructors of this cohort manage it; staff manage every cohort (mostly via admin)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.role == Role.STAFF:
        return True
    return cohort.memberships.filter(user=user, role=MemberRole.INSTRUCTOR).exists()


def _require_manager(*, cohort: Cohort, by: User) -> None:
    if not can_manage(cohort=cohort, user=by):
        raise NotAllowed(f"Only the instructors of {cohort.name} can do that.")


@transaction.atomic
def create_cohort(
    *, instructor: User, name: str, creation_token: uuid.UUID | None = None
) -> Cohort:
    """Create a cohort taught by `instructor`, with a fresh, active join code.

    `creation_token` comes from the form that was submitted: the same token twice (a double
    click, a replayed POST) returns the cohort the first submission created.
    """
    if not instructor.is_instructor:
        raise NotAllowed("Only instructors can create cohorts.")
    name = " ".join(name.split())
    if not name:
        raise CohortError("Give the cohort a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise CohortError(f"Keep the name to {NAME_MAX_LENGTH} characters or fewer.")
    if creation_token is not None:
        existing = Cohort.objects.filter(creation_token=creation_token).first()
        if existing is not None:
            return _replayed(existing, instructor)
    try:
        with transaction.atomic():
            cohort = Cohort.objects.create(
                name=name,
                join_code=_unused_code(),
                created_by=instructor,
                creation_token=creation_token,
            )
    except IntegrityError:
        # Two submissions of the same form raced past the check above; the other one won.
        if creation_token is None:
            raise
        return _replayed(Cohort.objects.get(creation_token=creation_token), instructor)
    Membership.objects.create(cohort=cohort, user=instructor, role=MemberRole.INSTRUCTOR)
    return cohort


def _replayed(cohort: Cohort, instructor: User) -> Cohort:
    """The cohort a replayed creation form made, for the instructor who made it only: a
    token lifted from someone else's form must not reveal their cohort."""
    if cohort.created_by_id != instructor.pk:
        raise CohortError("This form has expired. Reload the page to create a cohort.")
    return cohort


def find_cohort_for_code(code: str) -> Cohort:
    """The cohort an active code opens, or InvalidCode saying why the code does not work."""
    normalised = normalise_code(code)
    if not normalised:
        raise InvalidCode("Enter the join code your instructor gave you.")
    shown = format_code(normalised)
    if len(normalised) != CODE_LENGTH:
        raise InvalidCode(
            f"“{shown}” is not a join code: join codes have {CODE_LENGTH} letters and "
            "digits, like ABCD-EF23."
        )
    cohort = Cohort.objects.filter(join_code=normalised).first()
    if cohort is not None:
        if not cohort.code_active:
            raise InvalidCode(
                f"The join code {shown} has been revoked by the instructors of "
                f"{cohort.name}. Ask them for a new one."
            )
        return cohort
    if RetiredJoinCode.objects.filter(code=normalised).exists():
        raise InvalidCode(
            f"The join code {shown} has been replaced by a new one. "
            "Ask your instructor for the current code."
        )
    raise InvalidCode(f"No cohort has the join code {shown}. Check it for typos.")


@transaction.atomic
def join_cohort(*, learner: User, code: str) -> Membership:
    """Add `learner` to the cohort whose active join code is `code` (in any spelling).

    Raises InvalidCode for a wrong, revoked or replaced code, and AlreadyMember when the
    learner already belongs to the cohort (nothing is changed then).
    """
    cohort = find_cohort_for_code(code)
    existing = Membership.objects.filter(cohort=cohort, user=learner).first()
    if existing is not None:
        raise _already(existing)
    try:
        with transaction.atomic():
            joined = Membership.objects.create(cohort=cohort, user=learner, role=MemberRole.LEARNER)
    except IntegrityError:
        # A concurrent join (a double click) got there first: the unique constraint on
        # (cohort, user) is what guarantees a single membership.
        raise _already(Membership.objects.get(cohort=cohort, user=learner)) from None
    Cohort.objects.filter(pk=cohort.pk).touch()  # a new row in the overview
    return joined


def _already(membership: Membership) -> AlreadyMember:
    cohort = membership.cohort
    if membership.role == MemberRole.INSTRUCTOR:
        message = f"You already teach {cohort.name}."
    else:
        message = f"You are already in {cohort.name}."
    return AlreadyMember(message, membership=membership)


@transaction.atomic
def enrol(*, cohort: Cohort, user: User, role: str = MemberRole.LEARNER) -> Membership:
    """Idempotently make `user` a member of `cohort` with `role` (no code needed).

    For trusted callers only: the seed command and the admin.
    """
    membership, created = Membership.objects.get_or_create(
        cohort=cohort, user=user, defaults={"role": role}
    )
    changed = created
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        changed = True
    if changed:
        Cohort.objects.filter(pk=cohort.pk).touch()  # a row more, or less, in the overview
    return membership


def _locked(cohort: Cohort) -> Cohort:
    # Row lock: two instructors pressing "new code" at once produce one new code, not two.
    return Cohort.objects.select_for_update().get(pk=cohort.pk)


def _sync(target: Cohort, source: Cohort) -> None:
    target.join_code = source.join_code
    target.code_active = source.code_active


@transaction.atomic
def revoke_code(*, cohort: Cohort, by: User, expected_code: str | None = None) -> bool:
    """Stop the cohort's join code from working. Returns whether anything changed.

    `expected_code` is the code the instructor saw when they pressed "Revoke": a replayed
    request, sent after the code was regenerated, must not revoke the new code.
    """
    _require_manager(cohort=cohort, by=by)
    current = _locked(cohort)
    changed = current.code_active and (
        expected_code is None or normalise_code(expected_code) == current.join_code
    )
    if changed:
        current.code_active = False
        current.save(update_fields=["code_active"])
    _sync(cohort, current)
    return changed


@transaction.atomic
def regenerate_code(*, cohort: Cohort, by: User, expected_code: str | None = None) -> bool:
    """Give the cohort a new, active join code; the old one is retired for good.

    Returns whether anything changed: with `expected_code` set (the code the instructor
    saw), a replayed request after a regeneration does nothing.
    """
    _require_manager(cohort=cohort, by=by)
    current = _locked(cohort)
    if expected_code is not None and normalise_code(expected_code) != current.join_code:
        _sync(cohort, current)
        return False
    RetiredJoinCode.objects.create(code=current.join_code, cohort=current)
    current.join_code = _unused_code()
    current.code_active = True
    current.save(update_fields=["join_code", "code_active"])
    _sync(cohort, current)
    return True


@transaction.atomic
def add_instructor(*, cohort: Cohort, by: User, username: str) -> Membership:
    """Make the user called `username` (any case) a co-instructor of `cohort`.

    The user must have an instructor account. A learner of the cohort who is an
    instructor elsewhere is promoted; someone who already teaches it is a CohortError.
    """
    _require_manager(cohort=cohort, by=by)
    username = username.strip()
    if not username:
        raise CohortError("Enter the username of the instructor to add.")
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        raise CohortError(f"There is no user called “{username}”.")
    if not user.is_instructor:
        raise NotAllowed(
            f"{user.username} has a learner account; only instructors can co-teach. "
            "Staff can change their role in the admin."
        )
    membership = Membership.objects.filter(cohort=cohort, user=user).first()
    if membership is not None and membership.role == MemberRole.INSTRUCTOR:
        raise CohortError(f"{user.username} already teaches {cohort.name}.")
    return enrol(cohort=cohort, user=user, role=MemberRole.INSTRUCTOR)
