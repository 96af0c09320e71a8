"""The /play/ index and the playground links on challenge pages (playgrounds/catalogue.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from curriculum.models import Challenge
from playgrounds import catalogue
from tests.conftest import PageProblems

pytestmark = pytest.mark.django_db


def test_the_index_lists_every_playground_and_each_link_opens(client: Client) -> None:
    response = client.get(reverse("playgrounds:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for playground in catalogue.PLAYGROUNDS:
        url = reverse(playground.url_name)
        assert f'href="{url}"' in html
        assert playground.title in html
        assert client.get(url).status_code == 200


def test_every_playground_names_only_challenges_that_exist(content: None) -> None:
    slugs = set(Challenge.objects.values_list("slug", flat=True))
    for playground in catalogue.PLAYGROUNDS:
        assert set(playground.challenges) <= slugs, playground.title
    illustrated = {slug for p in catalogue.PLAYGROUNDS for slug in p.challenges}
    assert {"tokenizer", "embeddings", "multi-head-attention", "sampling"} <= illustrated


@pytest.mark.parametrize(
    ("slug", "linked", "not_linked"),
    [
        ("tokenizer", "playgrounds:tokenizer", "playgrounds:attention"),
        ("embeddings", "playgrounds:embeddings", "playgrounds:sampling"),
        ("multi-head-attention", "playgrounds:attention", "playgrounds:tokenizer"),
        ("sampling", "playgrounds:sampling", "playgrounds:embeddings"),
    ],
)
def test_a_challenge_page_links_the_playgrounds_that_illustrate_it(
    client: Client, content: None, slug: str, linked: str, not_linked: str
) -> None:
    html = client.get(reverse("curriculum:challenge", args=[slug])).content.decode()
    assert f'class="playground-link">Try it first: the <a href="{reverse(linked)}"' in html
    assert f'<a href="{reverse(not_linked)}">' not in html.split('id="build-title"')[1]


def test_a_challenge_without_a_playground_links_none(client: Client, content: None) -> None:
    html = client.get(reverse("curriculum:challenge", args=["model-io"])).content.decode()
    assert "playground-link" not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_finds_the_attention_explorer_from_the_nav_and_from_its_challenge(
    live_server: object, page: Page, page_problems: PageProblems
) -> None:
    call_command("load_content", verbosity=0)
    base = live_server.url  # type: ignore[attr-defined]
    page.goto(f"{base}/learn/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Playgrounds").click()
    expect(page).to_have_url(f"{base}/play/")
    expect(page.locator(".playground-entry")).to_have_count(len(catalogue.PLAYGROUNDS))
    page.get_by_role("link", name="Tokenizer playground").click()
    expect(page).to_have_url(f"{base}/play/tokenizer/")

    page.goto(f"{base}/learn/challenges/multi-head-attention/")
    page.locator(".playground-link").get_by_role("link", name="attention explorer").click()
    expect(page).to_have_url(f"{base}/play/attention/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attention")
    page_problems.assert_clean()
