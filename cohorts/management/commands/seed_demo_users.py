"""Demo accounts for a development site: a learner, an instructor and their cohort.

Lives in cohorts (not accounts) because it creates a cohort, and accounts must not
depend on cohorts (STYLE.md's dependency direction).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Role, User
from cohorts import membership
from cohorts.models import Cohort, MemberRole

DEMO_USERS = (
    # username, password, role, first name
    ("learner", "learn-llms-2026", Role.LEARNER, "Demo learner"),
    ("instructor", "teach-llms-2026", Role.INSTRUCTOR, "Demo instructor"),
)
DEMO_COHORT = "Demo cohort"


class Command(BaseCommand):
    help = "Create (or restore) the demo learner, instructor and cohort. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo passwords are public: never on a real site.",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create accounts with published passwords. "
                "Pass --force if this really is a demo site."
            )
        with transaction.atomic():
            users = {
                username: self._user(username, password, role, first)
                for username, password, role, first in DEMO_USERS
            }
            cohort = self._cohort(instructor=users["instructor"], learner=users["learner"])
        self.stdout.write(
            self.style.SUCCESS("Demo accounts ready:")
            + "\n  learner:    learner / learn-llms-2026"
            + "\n  instructor: instructor / teach-llms-2026"
            + f"\n  cohort:     {cohort.name} (join code {cohort.display_code}"
            + ("" if cohort.code_active else ", revoked")
            + ")"
        )

    def _user(self, username: str, password: str, role: str, first_name: str) -> User:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            return User.objects.create_user(
                username=username,
                email=f"{username}@demo.example.com",
                password=password,
                role=role,
                first_name=first_name,
            )
        # Restore what the printed logins promise; touch the row only if it differs.
        changed = []
        if not user.check_password(password):
            user.set_password(password)
            changed.append("password")
        if user.role != role:
            user.role = role
            changed.append("role")
        if not user.is_active:
            user.is_active = True
            changed.append("is_active")
        if changed:
            user.save(update_fields=changed)
        return user

    def _cohort(self, *, instructor: User, learner: User) -> Cohort:
        cohort = (
            Cohort.objects.filter(name=DEMO_COHORT, created_by=instructor).order_by("pk").first()
        )
        if cohort is None:
            cohort = membership.create_cohort(instructor=instructor, name=DEMO_COHORT)
        membership.enrol(cohort=cohort, user=instructor, role=MemberRole.INSTRUCTOR)
        membership.enrol(cohort=cohort, user=learner, role=MemberRole.LEARNER)
        return cohort
