"""cohorts:roster-import — a pasted list or CSV of e-mails → invitations with the join link."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort

pytestmark = pytest.mark.usefixtures("content")


def url(cohort: Cohort) -> str:
    return reverse("cohorts:roster-import", args=[cohort.pk])


def post(client: Client, cohort: Cohort, token: str | None = None, **data: object) -> object:
    return client.post(url(cohort), {"token": token or str(uuid.uuid4()), **data}, **{})


def test_it_sends_one_invitation_per_new_address(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    response = post(
        client,
        cohort_a,
        emails="new1@example.com, New2@example.com\nnew1@example.com\nalice@example.com",
    )

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == reverse("cohorts:overview", args=[cohort_a.pk])  # type: ignore[index]
    assert sorted(m.to[0] for m in mail.outbox) == ["New2@example.com", "new1@example.com"]
    body = mail.outbox[0].body
    assert f"http://testserver/cohorts/join/{cohort_a.join_code}/" in body
    assert cohort_a.display_code in body
    assert cohort_a.memberships.count() == 2  # nobody joined by being invited
    page = client.get(response["Location"]).content.decode()  # type: ignore[index]
    assert "Sent 2 invitations. Skipped 1 already in the cohort." in page


def test_it_reads_a_csv_file(client: Client, carol: User, cohort_a: Cohort) -> None:
    client.force_login(carol)
    upload = SimpleUploadedFile(
        "roster.csv", "\ufeffemail,name\nx@example.com,X\ny@example.com,Y\n".encode(), "text/csv"
    )

    post(client, cohort_a, file=upload)

    assert sorted(m.to[0] for m in mail.outbox) == ["x@example.com", "y@example.com"]


def test_it_rejects_bad_addresses_and_keeps_the_text(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    response = post(client, cohort_a, emails="ok@example.com\nnot-an-address")

    page = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "1 entry is not an e-mail address: not-an-address" in page
    assert "nothing was sent" in page
    assert "ok@example.com\nnot-an-address</textarea>" in page
    assert mail.outbox == []


def test_it_rejects_an_empty_form_and_a_binary_file(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    empty = post(client, cohort_a, emails="  ").content.decode()  # type: ignore[attr-defined]
    binary = post(
        client, cohort_a, file=SimpleUploadedFile("r.csv", b"\xff\xfe\x00bad", "text/csv")
    ).content.decode()  # type: ignore[attr-defined]

    assert "Paste at least one e-mail address or choose a CSV file." in empty
    assert "The file is not UTF-8 text." in binary
    assert mail.outbox == []


def test_it_sends_nothing_twice_for_a_replayed_post(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)
    token = str(uuid.uuid4())

    post(client, cohort_a, token=token, emails="x@example.com")
    replay = client.post(
        url(cohort_a), {"token": token, "emails": "x@example.com"}, headers={"HX-Request": "true"}
    )

    assert len(mail.outbox) == 1
    assert "already sent; nothing was sent again" in replay.content.decode()


def test_it_renders_the_section_for_htmx(client: Client, carol: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    response = client.post(
        url(cohort_a),
        {"token": str(uuid.uuid4()), "emails": "x@example.com"},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="roster-import"')
    assert "Sent 1 invitation." in page


def test_it_refuses_while_the_code_is_revoked(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    cohort_a.code_active = False
    cohort_a.save()
    client.force_login(carol)

    page = post(client, cohort_a, emails="x@example.com").content.decode()  # type: ignore[attr-defined]

    assert "The join code is revoked" in page
    assert mail.outbox == []


@pytest.mark.parametrize("viewer", ["alice", "dave", "erin", "staff"])
def test_it_404s_for_anyone_but_the_cohorts_instructors(
    request: pytest.FixtureRequest,
    client: Client,
    viewer: str,
    alice: User,
    dave: User,
    erin: User,
    cohort_a: Cohort,
) -> None:
    client.force_login(request.getfixturevalue(viewer))

    assert post(client, cohort_a, emails="x@example.com").status_code == 404  # type: ignore[attr-defined]
    assert mail.outbox == []


def test_it_sends_anonymous_visitors_to_log_in(client: Client, cohort_a: Cohort) -> None:
    response = post(client, cohort_a, emails="x@example.com")

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert reverse("accounts:login") in response["Location"]  # type: ignore[index]


def test_get_shows_the_form_on_a_page_of_its_own(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    page = client.get(url(cohort_a)).content.decode()

    assert f"Invite learners to {cohort_a.name}" in page
    assert 'name="csrfmiddlewaretoken"' in page and 'name="token"' in page
    assert reverse("cohorts:overview", args=[cohort_a.pk]) in page  # the way back


def test_get_for_htmx_is_the_section_with_a_fresh_token_each_time(
    client: Client, carol: User, cohort_a: Cohort
) -> None:
    client.force_login(carol)

    first, second = (
        client.get(url(cohort_a), headers={"HX-Request": "true"}).content.decode() for _ in range(2)
    )

    assert first.lstrip().startswith('<section class="card" id="roster-import"')
    assert "<html" not in first and 'name="emails"' in first
    token = re.compile(r'name="token" value="([^"]+)"')
    assert token.search(first).group(1) != token.search(second).group(1)  # type: ignore[union-attr]


def test_the_overview_offers_it_to_instructors_but_not_to_staff(
    client: Client, carol: User, staff: User, cohort_a: Cohort
) -> None:
    overview_url = reverse("cohorts:overview", args=[cohort_a.pk])
    client.force_login(carol)
    page = client.get(overview_url).content.decode()
    # A link that htmx follows in place; the form and its tokens are not on the overview.
    assert f'id="roster-open" href="{url(cohort_a)}"' in page
    assert 'name="token"' not in page and 'name="emails"' not in page
    client.force_login(staff)
    assert 'id="roster-import"' not in client.get(overview_url).content.decode()
