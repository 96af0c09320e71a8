from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

# No 0/O/1/I/L: join codes are read aloud and typed by hand.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """ABCDEFGH → ABCD-EFGH: easier to read out; the dash is ignored when typed back."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if len(code) == CODE_LENGTH else code


class MemberRole(models.TextChoices):
    LEARNER = "learner", "Learner"
    INSTRUCTOR = "instructor", "Instructor"


class CohortQuerySet(models.QuerySet["Cohort"]):
    # Membership filters go through a `pk__in` subquery rather than a join, so that a
    # later `.annotate(Count("memberships"))` counts every member, not just the filtered
    # one (a join filter on a multi-valued relation would constrain the annotation).

    def visible_to(self, user: User | AnonymousUser) -> CohortQuerySet:
        """Cohorts `user` belongs to in any role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=Membership.objects.filter(user=user).values("cohort"))

    def instructed_by(self, user: User | AnonymousUser) -> CohortQuerySet:
        """Cohorts `user` teaches: the ones whose roster and codes they may see and manage."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            pk__in=Membership.objects.filter(user=user, role=MemberRole.INSTRUCTOR).values("cohort")
        )

    def attended_by(self, user: User | AnonymousUser) -> CohortQuerySet:
        """Cohorts `user` learns in."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            pk__in=Membership.objects.filter(user=user, role=MemberRole.LEARNER).values("cohort")
        )

    def touch(self) -> int:
        """Bump these cohorts' ``activity_version`` (their overview's cache key)."""
        return self.update(activity_version=models.F("activity_version") + 1)

    def with_counts(self) -> CohortQuerySet:
        return self.annotate(
            learner_count=models.Count(
                "memberships", filter=models.Q(memberships__role=MemberRole.LEARNER)
            ),
            instructor_count=models.Count(
                "memberships", filter=models.Q(memberships__role=MemberRole.INSTRUCTOR)
            ),
        )


class Cohort(models.Model):
    name = models.CharField(max_length=120)
    # Stored normalised (upper case, no dashes); see cohorts.membership.normalise_code.
    join_code = models.CharField(max_length=16, unique=True, default=new_join_code)
    code_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cohorts_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The one-time token of the "create cohort" form that made this row: a double click or
    # a replayed POST finds this cohort instead of creating a second one.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Bumped when the cohort's membership changes (cohorts.membership). The overview's cache
    # key also carries the sum of its learners' own ``User.activity_version``s, which their
    # actions bump, so instructors see any member's change on the next request.
    activity_version = models.PositiveIntegerField(default=0, editable=False)

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_code(self) -> str:
        return format_code(self.join_code)

    def role_of(self, user: User | AnonymousUser) -> str | None:
        """The member role of `user` here, or None for a non-member."""
        if not user.is_authenticated:
            return None
        return self.memberships.filter(user=user).values_list("role", flat=True).first()


class MembershipQuerySet(models.QuerySet["Membership"]):
    def learners(self) -> MembershipQuerySet:
        return self.filter(role=MemberRole.LEARNER)

    def instructors(self) -> MembershipQuerySet:
        return self.filter(role=MemberRole.INSTRUCTOR)


class Membership(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=MemberRole.choices, default=MemberRole.LEARNER)
    joined_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=MemberRole.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort} ({self.get_role_display()})"


class RetiredJoinCode(models.Model):
    """A code a cohort used before its instructor generated a new one.

    Kept so that someone typing the old code is told it was replaced (and asks for the
    new one) instead of being told no such cohort exists; and so the old code is never
    handed out again to a different cohort.
    """

    code = models.CharField(max_length=16, unique=True)
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="retired_codes")
    retired_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return format_code(self.code)
