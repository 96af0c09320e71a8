"""POST /progress/build-items/<slug>/done/ — tick a self-check build item."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from progress.models import BuildItemCheck, XPEntry

pytestmark = pytest.mark.usefixtures("content")
URL = reverse("progress:build-item-done", args=["embeddings--pca-tsne"])


def test_it_ticks_a_self_check_item(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(URL, {"done": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<li id="item-embeddings--pca-tsne"')
    assert 'aria-pressed="true"' in html
    assert "1 of 2 self-checks ticked" in html  # the out-of-band progress
    assert BuildItemCheck.objects.filter(learner=alice).count() == 1
    assert not XPEntry.objects.exists()


def test_a_replayed_post_changes_nothing(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.post(URL, {"done": "1"})
    client.post(URL, {"done": "1"})
    assert BuildItemCheck.objects.filter(learner=alice).count() == 1


def test_it_unticks(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.post(URL, {"done": "1"})
    response = client.post(URL, {"done": "0"})
    assert response.status_code == 302
    assert response["Location"].endswith("#item-embeddings--pca-tsne")
    assert not BuildItemCheck.objects.exists()


def test_it_refuses_to_tick_a_graded_item(client: Client, alice: User) -> None:
    client.force_login(alice)
    graded = reverse("progress:build-item-done", args=["embeddings--token-embedding"])
    response = client.post(graded, {"done": "1"})
    assert response.status_code == 400
    assert "checked by the grader" in response.content.decode()
    assert not BuildItemCheck.objects.exists()


def test_it_says_what_is_wrong_with_a_bad_value(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.post(URL, {}).status_code == 400


def test_it_answers_404_for_an_unknown_item(client: Client, alice: User) -> None:
    client.force_login(alice)
    unknown = reverse("progress:build-item-done", args=["embeddings--nope"])
    assert client.post(unknown, {"done": "1"}).status_code == 404


def test_it_leaves_other_learners_ticks_alone(client: Client, alice: User, bob: User) -> None:
    client.force_login(alice)
    client.post(URL, {"done": "1"})
    client.force_login(bob)
    client.post(URL, {"done": "0"})
    assert BuildItemCheck.objects.filter(learner=alice).count() == 1


def test_a_visitor_is_sent_to_log_in(client: Client) -> None:
    response = client.post(URL, {"done": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_refuses_a_get(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get(URL).status_code == 405
