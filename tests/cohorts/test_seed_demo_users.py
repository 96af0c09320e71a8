"""seed_demo_users: demo learner, instructor and cohort; idempotent; refuses DEBUG off."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import Role, User
from cohorts.models import Cohort, MemberRole, Membership


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo_users", *args, stdout=out)
    return out.getvalue()


@override_settings(DEBUG=True)
def test_it_creates_the_demo_accounts_and_cohort(db: None) -> None:
    output = seed()

    assert authenticate(username="learner", password="learn-llms-2026")
    assert authenticate(username="instructor", password="teach-llms-2026")
    assert User.objects.get(username="instructor").role == Role.INSTRUCTOR
    cohort = Cohort.objects.get(name="Demo cohort")
    assert cohort.role_of(User.objects.get(username="learner")) == MemberRole.LEARNER
    assert cohort.role_of(User.objects.get(username="instructor")) == MemberRole.INSTRUCTOR
    assert "learner / learn-llms-2026" in output
    assert "instructor / teach-llms-2026" in output
    assert cohort.display_code in output


@override_settings(DEBUG=True)
def test_it_is_idempotent(db: None) -> None:
    seed()
    before = (
        list(User.objects.values_list("pk", "password", "role")),
        list(Cohort.objects.values_list("pk", "join_code")),
        list(Membership.objects.values_list("pk", "role")),
    )

    seed()

    after = (
        list(User.objects.values_list("pk", "password", "role")),
        list(Cohort.objects.values_list("pk", "join_code")),
        list(Membership.objects.values_list("pk", "role")),
    )
    assert after == before


@override_settings(DEBUG=True)
def test_it_restores_a_changed_demo_password(db: None) -> None:
    seed()
    learner = User.objects.get(username="learner")
    learner.set_password("something-else-entirely")
    learner.save()

    seed()

    assert authenticate(username="learner", password="learn-llms-2026")


@override_settings(DEBUG=False)
def test_it_refuses_to_run_with_debug_off(db: None) -> None:
    with pytest.raises(CommandError, match="DEBUG is off"):
        seed()
    assert not User.objects.exists()


@override_settings(DEBUG=False)
def test_it_runs_with_debug_off_when_forced(db: None) -> None:
    seed("--force")

    assert User.objects.filter(username__in=["learner", "instructor"]).count() == 2
