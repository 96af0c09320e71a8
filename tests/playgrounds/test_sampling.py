"""The sampling explorer page (/play/sampling/) and its maths (playgrounds/sampling.py)."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from playgrounds import sampling

URL = "/play/sampling/"


def test_it_is_named_and_routed() -> None:
    assert reverse("playgrounds:sampling") == URL


@pytest.mark.django_db
def test_it_renders_the_books_example_with_a_server_side_chart(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sampling explorer" in html
    for word in sampling.BOOK_VOCAB:
        assert f'data-token="{word}"' in html
    # softmax of the book's logits: forward 0.57, toward 0.36, closer 0.06 (the book's
    # 582 / 343 / 73 draws out of 1,000).
    assert 'data-probability="0.572' in html and 'data-probability="0.357' in html
    assert '<script src="/static/js/sampling.js" defer></script>' in html
    assert "style=" not in html.split('id="sampling-svg"')[1].split("</svg>")[0]


@pytest.mark.django_db
def test_it_renders_the_chart_for_the_given_settings(client: Client) -> None:
    response = client.get(URL, {"temperature": "0.5", "top_k": "3", "top_p": "0.9"})
    assert response.status_code == 200
    probs, kept = sampling.distribution(sampling.BOOK_LOGITS, 0.5, 3, 0.9)
    html = response.content.decode()
    assert html.count('class="sampling-bar is-cut"') == int((~kept).sum())
    assert f'data-probability="{probs[3]:.6f}"' in html
    assert 'value="0.5"' in html and 'value="3"' in html


@pytest.mark.django_db
def test_it_accepts_typed_logits(client: Client) -> None:
    response = client.get(URL, {"logits": "2, 1 0.5;-1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="sampling-bar') == 4 and 'data-token="#3"' in html
    assert 'max="4"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"temperature": "9"}, "Temperature must be a number from 0 to 5"),
        ({"temperature": "warm"}, "Temperature must be a number from 0 to 5"),
        ({"temperature": "nan"}, "Temperature must be a number from 0 to 5"),
        ({"top_k": "0"}, "Top-k must be a whole number from 1 to 9"),
        ({"top_k": "2.5"}, "Top-k must be a whole number from 1 to 9"),
        ({"top_p": "1.5"}, "Top-p must be a number from 0 to 1"),
        ({"logits": "1"}, "Enter between 2 and 50 logits"),
        ({"logits": ",".join(["1"] * 51)}, "Enter between 2 and 50 logits"),
        ({"logits": "1, two"}, "is not a number"),
        ({"logits": "1, inf"}, "finite numbers"),
        ({"logits": "1, 5000"}, "between -1000 and 1000"),
    ],
)
def test_it_explains_bad_parameters(client: Client, params: dict[str, str], message: str) -> None:
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'data-token="forward"' in response.content.decode()  # still a usable page


@pytest.mark.django_db
def test_it_refuses_other_methods(client: Client) -> None:
    assert client.post(URL).status_code == 405
    assert client.put(URL).status_code == 405


@pytest.mark.django_db
def test_it_works_for_a_signed_in_learner_too(client: Client, alice: object) -> None:
    client.force_login(alice)  # type: ignore[arg-type]
    assert client.get(URL, headers={"HX-Request": "true"}).status_code == 200


# --- Maths ----------------------------------------------------------------------------------


def test_it_computes_the_books_temperatures() -> None:
    logits = sampling.BOOK_LOGITS
    cold, _ = sampling.distribution(logits, 0.1, 9, 1.0)
    hot, _ = sampling.distribution(logits, 5.0, 9, 1.0)
    assert cold[3] > 0.98  # "forward" nearly always (the book: 985 of 1,000)
    assert hot.max() < 0.25 and hot.min() > 0.02
    np.testing.assert_allclose(sampling.distribution(logits, 1.0, 9, 1.0)[0].sum(), 1.0)


def test_it_applies_top_k_then_temperature_then_top_p() -> None:
    probs, kept = sampling.distribution(sampling.BOOK_LOGITS, 1.0, 3, 1.0)
    assert np.nonzero(kept)[0].tolist() == [0, 3, 7]
    probs, kept = sampling.distribution(sampling.BOOK_LOGITS, 1.0, 9, 0.6)
    assert np.nonzero(kept)[0].tolist() == [3, 7]  # 0.57 < 0.6 <= 0.57 + 0.36
    assert probs.sum() == pytest.approx(1.0)
    greedy, kept = sampling.distribution(sampling.BOOK_LOGITS, 0.0, 2, 0.1)
    assert greedy.tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0]


def test_it_keeps_one_token_at_top_p_zero() -> None:
    probs, kept = sampling.distribution(sampling.BOOK_LOGITS, 2.0, 9, 0.0)
    assert kept.sum() == 1 and probs[3] == 1.0
