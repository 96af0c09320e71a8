"""Plain helpers that create rows for tests (STYLE.md: no factory_boy until it hurts)."""

from __future__ import annotations

from accounts.models import Role, User
from cohorts.models import Cohort, MemberRole, Membership

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, *, role: str = Role.LEARNER, **extra: object) -> User:
    return User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        role=role,
        **extra,
    )


def make_cohort(name: str, *, instructor: User) -> Cohort:
    cohort = Cohort.objects.create(name=name, created_by=instructor)
    Membership.objects.create(cohort=cohort, user=instructor, role=MemberRole.INSTRUCTOR)
    return cohort


def join(cohort: Cohort, user: User) -> Membership:
    return Membership.objects.create(cohort=cohort, user=user, role=MemberRole.LEARNER)
