"""The embedding explorer (/play/embeddings/): its maths (playgrounds/embeddings.py), its
worker computation (playgrounds/computations/embeddings.py) and its view."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from playgrounds import embeddings, jobs
from playgrounds.computations.embeddings import train_embedding
from playgrounds.models import PlaygroundRun

URL = "/play/embeddings/"
JSON = {"Accept": "application/json"}
DEFAULT = {"dim": "32", "epochs": "10", "projection": "pca", "trained": "yes"}
# Pairs the corpus uses together, again and again.
RELATED = [
    ("query", "key"),
    ("query", "value"),
    ("key", "value"),
    ("top-k", "top-p"),
    ("temperature", "top-k"),
    ("loss", "cross-entropy"),
    ("loss", "validation"),
    ("layer", "normalization"),
    ("embedding", "positional"),
    ("token", "vocabulary"),
    ("greedy", "sampling"),
    ("adamw", "optimizer"),
    ("causal", "mask"),
    ("instruction", "response"),
    ("training", "validation"),
]


def _params(**changes: Any) -> dict[str, Any]:
    settings = embeddings.parse({**DEFAULT, **{k: str(v) for k, v in changes.items()}})
    assert not settings.errors
    return settings.params()


def _related_in_top_ten(result: dict[str, Any]) -> int:
    tokens = result["tokens"]
    found = 0
    for a, b in RELATED:
        found += tokens.index(b) in result["neighbours"][tokens.index(a)]
    return found


# --- Corpus and tokens ----------------------------------------------------------------------


def test_it_tokenizes_words_and_keeps_inner_hyphens() -> None:
    text = "GPT-2's top-k, the Model’s 50,257 tokens: self-attention!"
    assert embeddings.tokenize(text) == [
        "gpt-2",
        "top-k",
        "the",
        "model",
        "tokens",
        "self-attention",
    ]


def test_it_builds_the_vocabulary_most_frequent_first_and_rare_words_become_unk() -> None:
    text = "# a comment line\nattention head attention head attention rare query query"
    corpus = embeddings.build_corpus(text)
    assert corpus.words == ("attention", "head", "query", embeddings.UNK)
    assert corpus.counts == (3, 2, 2, 1)
    assert corpus.rare == (("rare", 1),)
    assert corpus.ids.tolist() == [0, 1, 0, 1, 0, 3, 2, 2]  # "comment" was a comment
    assert corpus.plotted == (0, 1, 2)


def test_the_shipped_corpus_is_big_enough_and_function_words_stay_off_the_map() -> None:
    corpus = embeddings.corpus()
    assert len(corpus.ids) > 9000
    assert len(corpus.plotted) == embeddings.PLOTTED
    plotted = {corpus.words[i] for i in corpus.plotted}
    assert {"attention", "query", "key", "temperature", "embedding"} <= plotted
    assert not plotted & {"the", "and", "of", "d", "x"}


# --- Settings -------------------------------------------------------------------------------


def test_it_parses_settings_and_an_untrained_embedding_has_no_epochs() -> None:
    settings = embeddings.parse({"dim": "64", "epochs": "30", "projection": "TSNE"})
    assert (settings.dim, settings.epochs, settings.projection) == (64, 30, "tsne")
    assert settings.errors == {}
    assert settings.params()["epochs"] == 30
    untrained = embeddings.parse({"dim": "64", "epochs": "30", "trained": "no"})
    assert untrained.params()["epochs"] == 0
    assert untrained.params() == embeddings.parse({"dim": "64", "trained": "no"}).params()
    assert settings.params()["corpus"] == embeddings.corpus().fingerprint[:16]


# --- Maths ----------------------------------------------------------------------------------


def test_pca_finds_the_known_axes_and_their_share_of_the_variance() -> None:
    # Points at ±3 on the first axis, ±2 on the second, ±1 on the third: variances 18, 8 and
    # 2 (up to the common 1/n), so the two axes hold 18/28 and 8/28 of the total.
    points = np.array([[3, 0, 0], [-3, 0, 0], [0, 2, 0], [0, -2, 0], [0, 0, 1], [0, 0, -1]])
    coordinates, ratio = embeddings.pca(points.astype(float))
    np.testing.assert_allclose(ratio, [18 / 28, 8 / 28])
    np.testing.assert_allclose(
        coordinates, [[3, 0], [-3, 0], [0, 2], [0, -2], [0, 0], [0, 0]], atol=1e-12
    )
    # Rotated and shifted, the same cloud has the same variances and the same distances.
    rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    moved, moved_ratio = embeddings.pca(points @ rotation.T + 5.0)
    np.testing.assert_allclose(moved_ratio, ratio)
    np.testing.assert_allclose(np.abs(moved), np.abs(coordinates), atol=1e-12)


def test_nearest_ranks_by_cosine_similarity() -> None:
    unit = embeddings.unit_rows(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]]))
    order, similarity = embeddings.nearest(unit, k=3)
    assert order[0].tolist() == [1, 2, 3]
    assert similarity[0, 0] == pytest.approx(0.9 / math.hypot(0.9, 0.1))
    assert similarity[0, 2] == pytest.approx(-1.0)


def _nearest_in(points: np.ndarray, k: int) -> np.ndarray:
    distances = np.linalg.norm(points[:, None] - points[None, :], axis=-1)
    np.fill_diagonal(distances, np.inf)
    return np.argsort(distances, axis=1)[:, :k]


def test_tsne_keeps_two_separate_clusters_apart() -> None:
    rng = np.random.default_rng(1)
    far = np.zeros(10)
    far[0] = 10.0
    x = np.concatenate([rng.normal(size=(60, 10)), far + rng.normal(size=(60, 10))])
    y = embeddings.tsne(x, perplexity=10)
    cluster = np.arange(120) >= 60
    assert (cluster[_nearest_in(y, 5)] == cluster[:, None]).all()
    np.testing.assert_array_equal(y, embeddings.tsne(x, perplexity=10))


def test_tsne_keeps_more_of_each_words_neighbourhood_than_pca() -> None:
    corpus = embeddings.corpus()
    weights, _ = embeddings.train(corpus, dim=32, epochs=10)
    unit = embeddings.unit_rows(weights[list(corpus.plotted)])
    before = _nearest_in(unit, 10)

    def kept(points: np.ndarray) -> float:
        after = _nearest_in(points, 10)
        return float(
            np.mean([len(set(a) & set(b)) / 10 for a, b in zip(before, after, strict=True)])
        )

    assert kept(embeddings.tsne(unit)) > 2 * kept(embeddings.pca(unit)[0])  # ~0.39 vs ~0.12


def test_training_lowers_the_loss_from_about_a_uniform_guess() -> None:
    corpus = embeddings.corpus()
    stages: list[str] = []
    _, losses = embeddings.train(
        corpus, dim=16, epochs=4, progress=lambda fraction, stage: stages.append(stage)
    )
    assert len(losses) == 5
    assert abs(losses[0] - math.log(len(corpus.words))) < 0.5
    assert all(later < earlier for earlier, later in zip(losses, losses[1:], strict=False))
    assert losses[-1] < losses[0] - 0.5
    assert stages[1] == f"Training: epoch 2/4, loss {losses[2]:.2f}"


def test_the_untrained_embedding_is_the_trained_ones_starting_point() -> None:
    corpus = embeddings.corpus()
    untrained, before = embeddings.train(corpus, dim=16, epochs=0)
    trained, losses = embeddings.train(corpus, dim=16, epochs=1)
    assert before == losses[:1]
    assert untrained.shape == trained.shape == (len(corpus.words), 16)
    assert abs(untrained.std() - 1.0) < 0.05  # nn.Embedding's N(0, 1) initialisation
    assert not np.allclose(untrained, trained)


def test_the_same_settings_give_the_same_picture() -> None:
    params = _params(dim=16, epochs=3)
    assert embeddings.explore(params) == embeddings.explore(params)


def test_training_brings_related_words_together() -> None:
    trained = embeddings.explore(_params())
    untrained = embeddings.explore(_params(trained="no"))
    assert _related_in_top_ten(trained) >= 11  # of 15 (we measured 15 at these settings)
    assert _related_in_top_ten(untrained) <= 2
    tokens = trained["tokens"]
    near = [tokens[j] for j in trained["neighbours"][tokens.index("query")][:3]]
    assert "key" in near and "value" in near, near
    row = trained["similarities"][tokens.index("query")]
    assert row == sorted(row, reverse=True) and -1 <= row[-1] <= row[0] <= 1


# --- The worker computation -----------------------------------------------------------------


def _owner(user: User) -> jobs.Owner:
    return jobs.Owner(user_id=user.pk, session_key="")


@pytest.mark.django_db
def test_the_job_stores_a_drawable_result_of_a_reasonable_size(alice: User) -> None:
    run = jobs.start("embedding-train", _params(dim=16, epochs=2), owner=_owner(alice))
    jobs.execute(run.pk)
    run.refresh_from_db()
    assert run.status == PlaygroundRun.Status.DONE, run.error
    result = run.result
    n = embeddings.PLOTTED
    assert len(result["tokens"]) == len(result["x"]) == len(result["y"]) == n
    assert len(result["neighbours"]) == len(result["similarities"]) == n
    assert all(len(row) == embeddings.NEIGHBOURS for row in result["neighbours"])
    assert len(result["variance"]) == 2 and 0 < sum(result["variance"]) < 1
    assert len(result["losses"]) == 3 and result["trained"] is True
    assert "the" in result["function_words"] and "attention" not in result["function_words"]
    rarer = result["rarer_words"]
    assert "attention" not in rarer and 1 in rarer.values() and max(rarer.values()) > 1
    size = len(json.dumps(result, separators=(",", ":")))
    assert 20_000 < size < 80_000


@pytest.mark.django_db
def test_the_job_reports_its_epochs_as_progress() -> None:
    stages: list[tuple[float, str]] = []
    result = train_embedding(
        _params(dim=16, epochs=3, projection="tsne"),
        lambda fraction, stage: stages.append((fraction, stage)),
    )
    texts = [stage for _, stage in stages]
    start = texts.index("Training the embedding")
    assert [
        re.sub(r"loss \d+\.\d\d$", "loss L", text) for text in texts[start + 1 : start + 4]
    ] == [
        "Training: epoch 1/3, loss L",
        "Training: epoch 2/3, loss L",
        "Training: epoch 3/3, loss L",
    ]
    assert any(text.startswith("Projecting with t-SNE") for text in texts)
    fractions = [fraction for fraction, _ in stages]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert result["variance"] is None and result["projection"] == "tsne"


@pytest.mark.django_db
def test_the_job_refuses_parameters_the_page_would_not_send(alice: User) -> None:
    run = jobs.start("embedding-train", {**_params(), "dim": 7}, owner=_owner(alice))
    jobs.execute(run.pk)
    run.refresh_from_db()
    assert run.status == PlaygroundRun.Status.FAILED
    assert run.error == "The embedding dimension must be one of 16, 32, 64."


# --- The view -------------------------------------------------------------------------------


def test_it_is_named_and_routed() -> None:
    assert reverse("playgrounds:embeddings") == URL


@pytest.mark.django_db
def test_it_renders_the_form_and_a_placeholder_for_the_map(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Embedding explorer" in html
    assert 'name="dim" value="32" checked' in html
    assert 'name="trained" value="yes" checked' in html
    assert 'name="projection" value="pca" checked' in html
    assert 'id="emb-run" hidden' in html  # the progress box, shown by the script
    assert "it needs JavaScript" in html
    assert "skip-gram" in html and "9,4" in html  # the model and the corpus size explained
    assert '<script src="/static/js/embeddings.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/css/embeddings.css">' in html
    assert "style=" not in html.split('id="main"')[1]


@pytest.mark.django_db
def test_it_fills_the_form_from_the_query_string(client: Client) -> None:
    response = client.get(
        URL, {"dim": "64", "epochs": "25", "projection": "tsne", "trained": "no", "word": "key"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="dim" value="64" checked' in html
    assert 'name="projection" value="tsne" checked' in html
    assert 'name="trained" value="no" checked' in html
    assert 'value="25"' in html and 'name="word" value="key"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dim": "7"}, "The embedding dimension must be one of 16, 32, 64."),
        ({"dim": "32.5"}, "The embedding dimension must be one of 16, 32, 64."),
        ({"epochs": "0"}, "Epochs must be a whole number from 1 to 30."),
        ({"epochs": "31"}, "Epochs must be a whole number from 1 to 30."),
        ({"epochs": "ten"}, "Epochs must be a whole number from 1 to 30."),
        ({"epochs": "inf"}, "Epochs must be a whole number from 1 to 30."),
        ({"projection": "umap"}, "The projection must be PCA or t-SNE."),
        ({"trained": "maybe"}, "Choose the trained or the untrained (random) embedding."),
        ({"word": "x" * 41}, "Type one word of at most 40 characters."),
    ],
)
def test_it_explains_bad_parameters(client: Client, params: dict[str, str], message: str) -> None:
    response = client.get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'name="dim" value="32" checked' in html  # still a usable page, with the defaults
    post = client.post(URL, {**DEFAULT, **params}, headers=JSON)
    if "word" in params:  # the lookup word is not a training setting
        assert post.status_code == 202
    else:
        assert post.status_code == 400
        assert post.json()["error"] == message
    assert PlaygroundRun.objects.filter(params__dim=7).count() == 0


@pytest.mark.django_db
def test_a_post_starts_the_training_and_the_visitor_polls_it(client: Client) -> None:
    response = client.post(URL, DEFAULT, headers=JSON)
    assert response.status_code == 202
    run = PlaygroundRun.objects.get()
    assert run.kind == "embedding-train" and run.params == _params()
    assert response.json()["status_url"] == f"/play/runs/{run.pk}/"
    jobs.execute(run.pk)
    state = client.get(response.json()["status_url"]).json()
    assert state["status"] == "done"
    assert state["result"]["dim"] == 32 and len(state["result"]["tokens"]) == 300


@pytest.mark.django_db
def test_a_replayed_post_reuses_the_run_and_a_finished_one_is_shared(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    first = client.post(URL, {**DEFAULT, "trained": "no", "epochs": "3"}, headers=JSON).json()
    again = client.post(URL, {**DEFAULT, "trained": "no", "epochs": "20"}, headers=JSON).json()
    assert again["run"] == first["run"]  # untrained: the epochs do not matter
    assert PlaygroundRun.objects.count() == 1
    jobs.execute(first["run"])
    other = Client()
    shared = other.post(URL, {**DEFAULT, "trained": "no"}, headers=JSON)
    assert shared.status_code == 202 and shared.json()["status"] == "done"


@pytest.mark.django_db
def test_a_post_without_javascript_goes_back_to_the_page(client: Client) -> None:
    response = client.post(URL, {**DEFAULT, "dim": "16"})
    assert response.status_code == 303
    assert response["Location"] == f"{URL}?dim=16&epochs=10&projection=pca&trained=yes"
    assert not PlaygroundRun.objects.exists()
    bad = client.post(URL, {**DEFAULT, "epochs": "99"})
    assert bad.status_code == 400
    assert "Epochs must be a whole number from 1 to 30." in bad.content.decode()


@pytest.mark.django_db
def test_it_refuses_other_methods(client: Client) -> None:
    assert client.put(URL).status_code == 405
    assert client.delete(URL).status_code == 405


@pytest.mark.django_db
def test_it_works_for_a_signed_in_learner_and_under_htmx(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get(URL).status_code == 200
    assert client.get(URL, headers={"HX-Request": "true"}).status_code == 200
