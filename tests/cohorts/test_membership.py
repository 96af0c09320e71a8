"""cohorts/membership.py: creating cohorts, joining with codes, managing codes."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import Role, User
from cohorts import membership
from cohorts.models import Cohort, MemberRole, Membership, RetiredJoinCode, format_code
from tests.factories import make_user


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ABCDEFGH", "ABCDEFGH"),
        ("abcd-efgh", "ABCDEFGH"),
        ("  abCD efGH  ", "ABCDEFGH"),
        ("ab-cd ef–gh", "ABCDEFGH"),  # an en dash pasted from an e-mail
        ("a\tb\nc d-e_f.g h", "ABCDEFGH"),
        ("", ""),
    ],
)
def test_it_normalises_codes_ignoring_case_spaces_and_dashes(typed: str, expected: str) -> None:
    assert membership.normalise_code(typed) == expected


def test_it_formats_codes_in_two_halves() -> None:
    assert format_code("ABCD2345") == "ABCD-2345"


def test_it_creates_a_cohort_taught_by_its_creator(carol: User) -> None:
    cohort = membership.create_cohort(instructor=carol, name="  Spring   2026 ")

    assert cohort.name == "Spring 2026"
    assert cohort.code_active
    assert len(cohort.join_code) == 8
    assert cohort.memberships.get().user == carol
    assert cohort.role_of(carol) == MemberRole.INSTRUCTOR


def test_it_lets_staff_create_cohorts(staff: User) -> None:
    assert membership.create_cohort(instructor=staff, name="Staff cohort").pk


def test_it_refuses_a_learner_creating_a_cohort(db: None) -> None:
    learner = make_user("lena")

    with pytest.raises(membership.NotAllowed, match="Only instructors can create cohorts"):
        membership.create_cohort(instructor=learner, name="Mine")
    assert not Cohort.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_it_refuses_a_blank_or_overlong_name(carol: User, name: str) -> None:
    with pytest.raises(membership.CohortError):
        membership.create_cohort(instructor=carol, name=name)
    assert not Cohort.objects.exists()


def test_it_creates_one_cohort_for_a_replayed_creation_token(carol: User) -> None:
    token = uuid.uuid4()

    first = membership.create_cohort(instructor=carol, name="Once", creation_token=token)
    second = membership.create_cohort(instructor=carol, name="Once", creation_token=token)

    assert first == second
    assert Cohort.objects.count() == 1
    assert Membership.objects.count() == 1


def test_it_joins_a_learner_with_a_sloppily_typed_code(cohort_a: Cohort) -> None:
    learner = make_user("lena")
    typed = f" {cohort_a.join_code[:4].lower()} - {cohort_a.join_code[4:].lower()} "

    joined = membership.join_cohort(learner=learner, code=typed)

    assert joined.cohort == cohort_a
    assert joined.role == MemberRole.LEARNER


def test_it_lets_a_learner_join_several_cohorts(cohort_a: Cohort, cohort_b: Cohort) -> None:
    learner = make_user("lena")

    membership.join_cohort(learner=learner, code=cohort_a.join_code)
    membership.join_cohort(learner=learner, code=cohort_b.join_code)

    assert set(Cohort.objects.visible_to(learner)) == {cohort_a, cohort_b}


def test_it_refuses_a_second_join_without_duplicating(alice: User, cohort_a: Cohort) -> None:
    with pytest.raises(membership.AlreadyMember, match="You are already in Cohort A") as caught:
        membership.join_cohort(learner=alice, code=cohort_a.join_code)

    assert caught.value.membership.user == alice
    assert Membership.objects.filter(user=alice).count() == 1


def test_it_tells_an_instructor_they_already_teach_the_cohort(
    carol: User, cohort_a: Cohort
) -> None:
    with pytest.raises(membership.AlreadyMember, match="You already teach Cohort A"):
        membership.join_cohort(learner=carol, code=cohort_a.join_code)
    assert cohort_a.role_of(carol) == MemberRole.INSTRUCTOR


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the join code"),
        ("   --  ", "Enter the join code"),
        ("ABC", "is not a join code"),
        ("ABCDEFGHJK", "is not a join code"),
        ("ZZZZ-ZZZZ", "No cohort has the join code ZZZZ-ZZZZ"),
    ],
)
def test_it_refuses_wrong_codes_with_a_clear_message(
    cohort_a: Cohort, code: str, message: str
) -> None:
    learner = make_user("lena")
    if cohort_a.join_code == "ZZZZZZZZ":  # pragma: no cover - one chance in 8.5e11
        pytest.skip("the random code happens to be the unknown one")

    with pytest.raises(membership.InvalidCode, match=message):
        membership.join_cohort(learner=learner, code=code)
    assert not Membership.objects.filter(user=learner).exists()


def test_it_refuses_a_revoked_code(carol: User, cohort_a: Cohort) -> None:
    learner = make_user("lena")

    assert membership.revoke_code(cohort=cohort_a, by=carol)

    with pytest.raises(membership.InvalidCode, match="has been revoked.*Ask them for a new one"):
        membership.join_cohort(learner=learner, code=cohort_a.join_code)
    assert not Membership.objects.filter(user=learner).exists()


def test_it_retires_the_old_code_when_regenerating(carol: User, cohort_a: Cohort) -> None:
    learner = make_user("lena")
    old = cohort_a.join_code

    assert membership.regenerate_code(cohort=cohort_a, by=carol)

    assert cohort_a.join_code != old
    assert cohort_a.code_active
    assert RetiredJoinCode.objects.get(code=old).cohort == cohort_a
    with pytest.raises(membership.InvalidCode, match="has been replaced by a new one"):
        membership.join_cohort(learner=learner, code=old)
    assert membership.join_cohort(learner=learner, code=cohort_a.join_code).cohort == cohort_a


def test_it_reactivates_a_revoked_cohort_with_a_new_code(carol: User, cohort_a: Cohort) -> None:
    membership.revoke_code(cohort=cohort_a, by=carol)
    membership.regenerate_code(cohort=cohort_a, by=carol)

    cohort_a.refresh_from_db()
    assert cohort_a.code_active


def test_it_ignores_a_replayed_regenerate(carol: User, cohort_a: Cohort) -> None:
    seen = cohort_a.join_code
    assert membership.regenerate_code(cohort=cohort_a, by=carol, expected_code=seen)
    current = cohort_a.join_code

    assert not membership.regenerate_code(cohort=cohort_a, by=carol, expected_code=seen)

    cohort_a.refresh_from_db()
    assert cohort_a.join_code == current
    assert RetiredJoinCode.objects.count() == 1


def test_it_does_not_revoke_a_newer_code_on_a_replayed_revoke(
    carol: User, cohort_a: Cohort
) -> None:
    seen = cohort_a.join_code
    membership.revoke_code(cohort=cohort_a, by=carol, expected_code=seen)
    membership.regenerate_code(cohort=cohort_a, by=carol)

    assert not membership.revoke_code(cohort=cohort_a, by=carol, expected_code=seen)

    cohort_a.refresh_from_db()
    assert cohort_a.code_active


def test_it_accepts_the_expected_code_in_any_spelling(carol: User, cohort_a: Cohort) -> None:
    spelled = format_code(cohort_a.join_code).lower()

    assert membership.revoke_code(cohort=cohort_a, by=carol, expected_code=spelled)


@pytest.mark.parametrize("action", [membership.revoke_code, membership.regenerate_code])
def test_it_refuses_code_changes_by_non_instructors(
    alice: User, dave: User, cohort_a: Cohort, action: object
) -> None:
    code = cohort_a.join_code
    for outsider in (alice, dave):
        with pytest.raises(membership.NotAllowed):
            action(cohort=cohort_a, by=outsider)  # type: ignore[operator]

    cohort_a.refresh_from_db()
    assert (cohort_a.join_code, cohort_a.code_active) == (code, True)


def test_it_lets_staff_manage_any_cohort(staff: User, cohort_a: Cohort) -> None:
    assert membership.revoke_code(cohort=cohort_a, by=staff)


def test_it_adds_a_co_instructor_by_username_in_any_case(
    carol: User, erin: User, cohort_a: Cohort
) -> None:
    added = membership.add_instructor(cohort=cohort_a, by=carol, username="  ERIN ")

    assert added.user == erin
    assert set(Cohort.objects.instructed_by(erin)) == {cohort_a}


def test_it_promotes_a_learner_member_who_is_an_instructor(carol: User, cohort_a: Cohort) -> None:
    frank = make_user("frank", role=Role.INSTRUCTOR)
    membership.join_cohort(learner=frank, code=cohort_a.join_code)

    membership.add_instructor(cohort=cohort_a, by=carol, username="frank")

    assert cohort_a.role_of(frank) == MemberRole.INSTRUCTOR
    assert Membership.objects.filter(user=frank).count() == 1


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Enter the username"),
        ("nobody", "There is no user called “nobody”"),
        ("alice", "alice has a learner account"),
        ("carol", "carol already teaches Cohort A"),
    ],
)
def test_it_refuses_bad_co_instructors(
    carol: User, alice: User, cohort_a: Cohort, username: str, message: str
) -> None:
    before = list(Membership.objects.values_list("user__username", "role"))

    with pytest.raises(membership.CohortError, match=message):
        membership.add_instructor(cohort=cohort_a, by=carol, username=username)

    assert list(Membership.objects.values_list("user__username", "role")) == before


def test_it_refuses_co_instructor_changes_by_a_learner(
    alice: User, erin: User, cohort_a: Cohort
) -> None:
    with pytest.raises(membership.NotAllowed):
        membership.add_instructor(cohort=cohort_a, by=alice, username="erin")


def test_it_enrols_idempotently(carol: User, cohort_a: Cohort) -> None:
    learner = make_user("lena")

    first = membership.enrol(cohort=cohort_a, user=learner)
    second = membership.enrol(cohort=cohort_a, user=learner)

    assert first.pk == second.pk


def test_it_never_hands_out_a_retired_code(
    carol: User, cohort_a: Cohort, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = cohort_a.join_code
    membership.regenerate_code(cohort=cohort_a, by=carol)
    codes = iter([old, cohort_a.join_code, "QRSTUVWX"])
    monkeypatch.setattr(membership, "new_join_code", lambda: next(codes))

    cohort = membership.create_cohort(instructor=carol, name="Another")

    assert cohort.join_code == "QRSTUVWX"


class TestQuerysets:
    def test_it_scopes_cohorts_by_membership(
        self, alice: User, carol: User, dave: User, cohort_a: Cohort, cohort_b: Cohort
    ) -> None:
        assert list(Cohort.objects.visible_to(alice)) == [cohort_a]
        assert list(Cohort.objects.visible_to(carol)) == [cohort_a]
        assert list(Cohort.objects.instructed_by(carol)) == [cohort_a]
        assert list(Cohort.objects.instructed_by(alice)) == []
        assert list(Cohort.objects.attended_by(alice)) == [cohort_a]
        assert list(Cohort.objects.attended_by(carol)) == []
        assert list(Cohort.objects.visible_to(dave)) == [cohort_b]

    def test_it_counts_every_member_even_when_filtered_by_one(
        self, alice: User, bob: User, cohort_a: Cohort
    ) -> None:
        cohort = Cohort.objects.visible_to(alice).with_counts().get()

        assert (cohort.learner_count, cohort.instructor_count) == (2, 1)  # type: ignore[attr-defined]

    def test_it_shows_nothing_to_anonymous_visitors(self, cohort_a: Cohort) -> None:
        from django.contrib.auth.models import AnonymousUser

        assert not Cohort.objects.visible_to(AnonymousUser()).exists()
        assert not Cohort.objects.instructed_by(AnonymousUser()).exists()
