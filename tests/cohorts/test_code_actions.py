"""cohorts:code-revoke and cohorts:code-regenerate."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort, RetiredJoinCode

HX = {"HX-Request": "true"}


def revoke_url(cohort: Cohort) -> str:
    return reverse("cohorts:code-revoke", args=[cohort.pk])


def regenerate_url(cohort: Cohort) -> str:
    return reverse("cohorts:code-regenerate", args=[cohort.pk])


def state(cohort: Cohort) -> tuple[str, bool]:
    cohort.refresh_from_db()
    return cohort.join_code, cohort.code_active


def test_it_revokes_the_code_and_says_so(client: Client, carol: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    response = client.post(revoke_url(cohort_a), {"code": cohort_a.join_code}, follow=True)

    assert not state(cohort_a)[1]
    assert response.redirect_chain[-1][0] == reverse("cohorts:detail", args=[cohort_a.pk])
    page = response.content.decode()
    assert "Join code revoked" in page
    assert "revoked</span>" in page


def test_it_regenerates_the_code(client: Client, carol: User, cohort_a: Cohort) -> None:
    old = cohort_a.join_code
    client.force_login(carol)

    response = client.post(regenerate_url(cohort_a), {"code": old}, follow=True)

    new, active = state(cohort_a)
    assert new != old and active
    assert f"New join code {cohort_a.display_code}" in response.content.decode()


def test_it_returns_the_join_code_partial_for_htmx(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    response = client.post(regenerate_url(cohort_a), {"code": cohort_a.join_code}, headers=HX)

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="join-code"')
    assert "<html" not in page
    code, _ = state(cohort_a)
    assert f"http://testserver/cohorts/join/{code}/" in page


def test_it_changes_nothing_on_a_replayed_regenerate(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)
    form = {"code": cohort_a.join_code}
    client.post(regenerate_url(cohort_a), form)
    after_first = state(cohort_a)

    response = client.post(regenerate_url(cohort_a), form, headers=HX)

    assert state(cohort_a) == after_first
    assert RetiredJoinCode.objects.count() == 1
    assert "already been replaced" in response.content.decode()


def test_it_changes_nothing_on_a_replayed_revoke(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)
    form = {"code": cohort_a.join_code}
    client.post(revoke_url(cohort_a), form)
    client.post(regenerate_url(cohort_a), form)
    after = state(cohort_a)

    response = client.post(revoke_url(cohort_a), form, headers=HX)

    assert state(cohort_a) == after
    assert after[1]
    assert "Nothing changed" in response.content.decode()


def test_it_changes_nothing_without_the_code_field(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)
    before = state(cohort_a)

    response = client.post(regenerate_url(cohort_a), {}, headers=HX)

    assert state(cohort_a) == before
    assert "out of date" in response.content.decode()


@pytest.mark.parametrize("who", ["alice", "dave", "erin"])
@pytest.mark.parametrize("make_url", [revoke_url, regenerate_url])
def test_it_answers_404_to_anyone_but_the_instructors(
    client: Client,
    alice: User,
    dave: User,
    erin: User,
    cohort_a: Cohort,
    who: str,
    make_url: object,
) -> None:
    client.force_login({"alice": alice, "dave": dave, "erin": erin}[who])
    before = state(cohort_a)

    response = client.post(make_url(cohort_a), {"code": cohort_a.join_code})  # type: ignore[operator]

    assert response.status_code == 404
    assert state(cohort_a) == before


def test_it_answers_404_for_a_tampered_id(
    client: Client, carol: User, cohort_a: Cohort, cohort_b: Cohort
) -> None:
    client.force_login(carol)
    before = state(cohort_b)

    response = client.post(revoke_url(cohort_b), {"code": cohort_b.join_code})

    assert response.status_code == 404
    assert state(cohort_b) == before


def test_it_refuses_get(client: Client, carol: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    assert client.get(revoke_url(cohort_a)).status_code == 405
    assert client.get(regenerate_url(cohort_a)).status_code == 405


def test_it_sends_an_expired_session_to_log_in_and_back_to_the_page(
    client: Client, cohort_a: Cohort
) -> None:
    detail = reverse("cohorts:detail", args=[cohort_a.pk])

    response = client.post(
        revoke_url(cohort_a),
        {"code": cohort_a.join_code},
        headers={"Referer": f"http://testserver{detail}"},
    )

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={detail}"
    assert state(cohort_a)[1]


def test_it_tells_htmx_to_navigate_to_log_in(client: Client, cohort_a: Cohort) -> None:
    detail = reverse("cohorts:detail", args=[cohort_a.pk])

    response = client.post(
        revoke_url(cohort_a),
        {"code": cohort_a.join_code},
        headers={**HX, "HX-Current-URL": f"http://testserver{detail}"},
    )

    assert response["HX-Redirect"] == f"{reverse('accounts:login')}?next={detail}"
