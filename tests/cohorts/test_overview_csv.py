"""cohorts:overview-csv — the overview grid as a CSV attachment."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort
from progress.models import XPEntry
from tests.cohorts.test_overview import challenges, review, submit

pytestmark = pytest.mark.usefixtures("content")


def url(cohort: Cohort) -> str:
    return reverse("cohorts:overview-csv", args=[cohort.pk])


def read(response: object) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))  # type: ignore[attr-defined]


def test_it_exports_one_row_per_learner(
    client: Client, carol: User, alice: User, bob: User, cohort_a: Cohort
) -> None:
    first = challenges()[0]
    submit(alice, first, "fail")
    passed = submit(alice, first, "pass")
    review(alice, rating=3)
    XPEntry.objects.create(learner=alice, reason="challenge:x:pass", amount=40)
    client.force_login(carol)

    response = client.get(url(cohort_a))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="cohort-a-overview.csv"'
    rows = {row["username"]: row for row in read(response)}
    assert set(rows) == {"alice", "bob"}
    alice_row = rows["alice"]
    assert alice_row["email"] == "alice@example.com"
    assert alice_row[f"{first.slug} status"] == f"passed {passed.created_at:%Y-%m-%d}"
    assert alice_row[f"{first.slug} attempts"] == "2"
    assert alice_row["xp"] == "40"
    assert alice_row["retention"] == "1.000"
    assert alice_row["reviews"] == "1"
    assert alice_row["last_activity"]
    assert rows["bob"][f"{first.slug} status"] == "not-started"
    assert rows["bob"]["retention"] == ""
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert len(header) == 2 + 14 * 2 + 6


def test_it_guards_against_csv_injection(
    client: Client, carol: User, alice: User, cohort_a: Cohort
) -> None:
    alice.username = "=HYPERLINK(evil)"
    alice.email = "+cmd@example.com"
    alice.save()
    client.force_login(carol)

    row = read(client.get(url(cohort_a)))[0]

    assert row["username"] == "'=HYPERLINK(evil)"
    assert row["email"] == "'+cmd@example.com"


def test_it_applies_the_filter_from_the_query(
    client: Client, carol: User, alice: User, bob: User, cohort_a: Cohort
) -> None:
    for _ in range(5):
        submit(bob, challenges()[0], "fail")
    client.force_login(carol)

    rows = read(client.get(url(cohort_a) + "?show=stuck"))

    assert [row["username"] for row in rows] == ["bob"]
    assert rows[0]["stuck"] == "yes"


def test_it_rejects_post(client: Client, carol: User, cohort_a: Cohort) -> None:
    client.force_login(carol)

    assert client.post(url(cohort_a)).status_code == 405
