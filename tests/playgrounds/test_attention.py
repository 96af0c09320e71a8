"""The attention explorer (/play/attention/): its maths (playgrounds/attention.py), the model
it trains (playgrounds/computations/attention.py) and its two views."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from curriculum.models import Challenge
from grading.models import Submission
from grading.reference import gpt as ref_gpt
from grading.reference import training as ref_training
from playgrounds import attention, jobs
from playgrounds.computations import attention as computations
from playgrounds.models import PlaygroundRun

URL = "/play/attention/"
RUN_URL = "/play/attention/run/"
BOOK_MHA = Path(__file__).resolve().parents[1] / "grading/solutions/multi-head-attention/book.py"


def random_params(seed: int = 0) -> dict[str, np.ndarray]:
    return computations.ref_params(attention.model_config(), np.random.default_rng(seed))


def tokens_of(text: str) -> list[attention.Token]:
    tokens, problem = attention.tokenize(text)
    assert problem is None, problem
    return tokens


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> computations.Model:
    """The explorer's model trained for a few steps only, in a private directory."""
    directory = tmp_path_factory.mktemp("attention-model")
    return computations.load_or_train(lambda f, s: None, directory=directory, steps=4)


@pytest.fixture
def quick_model(monkeypatch: pytest.MonkeyPatch, small_model: computations.Model) -> None:
    monkeypatch.setattr(computations, "load_or_train", lambda progress, **kw: small_model)


# --- Tokens and settings ------------------------------------------------------------------------


def test_it_is_named_and_routed() -> None:
    assert reverse("playgrounds:attention") == URL
    assert reverse("playgrounds:attention-run") == RUN_URL


def test_it_uses_the_real_gpt2_encoding_and_flags_tokens_the_story_never_uses() -> None:
    tokens = tokens_of("Your journey starts with one step")
    assert [t.id for t in tokens] == [7120, 7002, 4940, 351, 530, 2239]  # tiktoken gpt2
    assert [t.text for t in tokens] == ["Your", " journey", " starts", " with", " one", " step"]
    assert [t.label for t in tokens][:2] == ["Your", "journey"]
    assert [t.known for t in tokens] == [False, False, False, True, True, False]
    ids = attention.model_ids(tokens)
    assert ids[0] == ids[1] == attention.RARE_ID and ids[3] != attention.RARE_ID
    assert attention.vocabulary()[ids[3] - 1] == 351
    special = tokens_of("Hello<|endoftext|>")
    assert special[-1].id == 50256


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Type a sentence"),
        ("   ", "Type a sentence"),
        ("x" * 201, "200 characters or fewer (yours has 201)"),
        ("Hello", "“Hello” is a single GPT-2 token"),
        (
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen sixteen seventeen",
            "Your sentence is 17 GPT-2 tokens long; the explorer shows at most 16",
        ),
    ],
)
def test_it_bounds_the_sentence_with_a_message_that_says_what_to_change(
    text: str, message: str
) -> None:
    tokens, problem = attention.tokenize(text)
    assert tokens == [] and problem is not None and message in problem


def test_it_counts_exactly_sixteen_tokens_as_enough() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    assert len(tokens_of(text + " fifteen sixteen")) == attention.MAX_TOKENS


def test_it_parses_settings_and_reports_each_bad_field() -> None:
    settings = attention.parse({})
    assert settings.text == attention.DEFAULT_TEXT and settings.errors == {}
    assert (settings.source, settings.causal, settings.dropout) == ("trained", True, 0.0)
    settings = attention.parse(
        {"mask": "none", "dropout": "0.5", "seed": "7", "layer": "4", "head": "2"}
    )
    assert (settings.causal, settings.dropout, settings.seed) == (False, 0.5, 7)
    assert (settings.layer, settings.head) == (3, 1)  # 1-based in URLs
    assert settings.query()["layer"] == "4"
    bad = attention.parse(
        {"source": "bob", "mask": "x", "dropout": "0.3", "seed": "-1", "layer": "5", "head": "0"}
    )
    assert set(bad.errors) == {"source", "mask", "dropout", "seed", "layer", "head"}
    assert (bad.source, bad.causal, bad.dropout, bad.layer, bad.head) == ("trained", True, 0, 0, 0)
    assert "Dropout is off, 0.1 or 0.5." == bad.errors["dropout"]


# --- The model and its maps ---------------------------------------------------------------------


def test_masked_cells_are_exactly_zero_and_rows_sum_to_one() -> None:
    ids = attention.model_ids(tokens_of(attention.DEFAULT_TEXT))
    weights = attention.forward(random_params(), ids, causal=True).weights
    n = len(ids)
    assert weights.shape == (4, 4, n, n)
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    assert np.all(weights[..., upper] == 0.0)
    assert np.all(weights[..., ~upper] > 0.0)
    assert np.allclose(weights.sum(axis=-1), 1.0, atol=1e-12)


def test_without_the_mask_every_token_sees_the_whole_sentence() -> None:
    ids = attention.model_ids(tokens_of(attention.DEFAULT_TEXT))
    params = random_params()
    masked = attention.forward(params, ids, causal=True)
    full = attention.forward(params, ids, causal=False)
    n = len(ids)
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    assert np.all(full.weights[..., upper] > 0.0)
    assert np.allclose(full.weights.sum(axis=-1), 1.0, atol=1e-12)
    # The first row can only see itself when masked, everything when not.
    assert np.all(masked.weights[:, :, 0, 0] == 1.0) and np.all(full.weights[:, :, 0, 0] < 1.0)
    # Layer 1 reads the same input either way; later layers read a different one.
    assert np.allclose(masked.inputs[0], full.inputs[0])
    assert not np.allclose(masked.inputs[1], full.inputs[1])


def test_its_forward_pass_is_the_reference_gptmodel_and_the_one_torch_trains() -> None:
    import torch

    ids = attention.model_ids(tokens_of("The height of his glory, he said, was a villa"))
    params = random_params(3)
    ours = attention.forward(params, ids, causal=True).logits
    expected = ref_gpt.gpt_forward(ids[None], params, attention.model_config())
    assert np.array_equal(ours, expected)
    with torch.no_grad():
        trained_on = ref_training.logits(
            {k: torch.tensor(v) for k, v in params.items()},
            attention.model_config(),
            torch.tensor(ids[None]),
        ).numpy()
    assert np.abs(trained_on - ours).max() < 1e-4


def test_it_trains_once_and_then_reads_the_weights_from_disk(tmp_path: Path) -> None:
    stages: list[str] = []
    model = computations.load_or_train(lambda f, s: stages.append(s), directory=tmp_path, steps=6)
    assert any("Training the small model: step 6/6" in s for s in stages)
    assert (tmp_path / f"attention-model-{attention.model_version()}.npz").exists()
    assert (
        set(model.trained)
        == set(model.initial)
        == set(ref_gpt.gpt_shapes(attention.model_config()))
    )
    assert any(not np.array_equal(model.trained[k], model.initial[k]) for k in model.trained)
    assert len(model.losses) >= 2 and model.losses[0] > model.losses[-1]
    assert abs(model.losses[0] - math.log(attention.model_config()["vocab_size"])) < 1.5

    stages.clear()
    again = computations.load_or_train(lambda f, s: stages.append(s), directory=tmp_path)
    assert not any("Training" in s for s in stages)
    assert all(np.array_equal(again.trained[k], model.trained[k]) for k in model.trained)


# --- Dropout ------------------------------------------------------------------------------------


def test_its_dropout_generator_is_pinned_so_the_browser_can_reproduce_it() -> None:
    # The same numbers as mulberry32 in static/js/attention.js (checked with node).
    assert attention.dropout_seed(7, 3, 2) == 1789726646
    draw = attention._mulberry32(attention.dropout_seed(7, 3, 2))
    assert [draw() for _ in range(3)] == [
        0.7531716281082481,
        0.5217641498893499,
        0.24223713134415448,
    ]


def test_dropout_zeroes_weights_and_scales_the_survivors() -> None:
    ids = attention.model_ids(tokens_of(attention.DEFAULT_TEXT))
    weights = attention.forward(random_params(), ids, causal=True).weights[1, 2]
    n = len(ids)
    keep = attention.dropout_keep(5, 1, 2, n, 0.5)
    assert np.array_equal(keep, attention.dropout_keep(5, 1, 2, n, 0.5))  # reproducible
    assert not np.array_equal(keep, attention.dropout_keep(6, 1, 2, n, 0.5))  # re-rollable
    v = attention.view(weights, causal=True, p=0.5, keep=keep)
    assert v.dropped.any() and not (v.dropped & v.masked).any()
    assert np.all(v.values[v.dropped] == 0.0) and np.all(v.values[v.masked] == 0.0)
    alive = ~v.dropped & ~v.masked
    assert np.allclose(v.values[alive], weights[alive] * 2.0)
    off = attention.view(weights, causal=True, p=0.0, keep=attention.dropout_keep(5, 1, 2, n, 0))
    assert not off.dropped.any() and np.array_equal(off.values, weights)


def test_dropout_drops_about_p_of_the_weights() -> None:
    drawn = np.concatenate(
        [attention.dropout_keep(seed, 0, 0, 16, 0.1).ravel() for seed in range(40)]
    )
    assert abs((~drawn).mean() - 0.1) < 0.02


def test_masked_cells_are_drawn_hatched_not_as_zero() -> None:
    ids = attention.model_ids(tokens_of("The cat sat on the mat."))
    weights = attention.forward(random_params(), ids, causal=True).weights[0, 0]
    n = len(ids)
    v = attention.view(weights, causal=True, p=0.1, keep=attention.dropout_keep(2, 0, 0, n, 0.1))
    labels = [{"label": f"t{i}"} for i in range(n)]
    cells = attention.cells(v, labels, attention.scale_max(0.1))
    masked = [c for c in cells if c.state == "is-masked"]
    assert len(masked) == n * (n - 1) // 2
    assert all(c.col > c.row and c.fill == "url(#att-hatch)" for c in masked)
    assert all("masked" in c.title for c in masked)
    dropped = [c for c in cells if c.state == "is-dropped"]
    assert len(dropped) == int(v.dropped.sum()) > 0 and all(c.cross for c in dropped)
    shown = [c for c in cells if not c.state]
    assert all(c.fill.startswith("rgb(") for c in shown)
    assert attention.colour(0, 1) == "rgb(248,250,252)"
    assert attention.colour(1, 1) == "rgb(30,27,75)"
    assert [t["label"] for t in attention.legend(1.0)["ticks"]] == ["0", "0.05", "0.25", "0.5", "1"]
    ticks = attention.legend(2.0)["ticks"]
    assert [t["label"] for t in ticks][-2:] == ["1", "2"] and ticks[-1]["x"] == 230
    assert len(attention.legend(2.0)["bar"]) == 48


# --- The worker computations --------------------------------------------------------------------


def test_the_maps_job_returns_both_masks_for_every_layer_and_head(quick_model: None) -> None:
    text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    text += " fifteen sixteen"
    result = computations.maps({"text": text, "model": "trained"}, lambda f, s: None)
    payload = json.dumps(result)
    assert len(payload) < 90_000  # 16 tokens, 2 x 4 x 4 maps: a light answer
    causal, full = np.array(result["maps"]["causal"]), np.array(result["maps"]["none"])
    assert causal.shape == full.shape == (4, 4, 16, 16)
    assert np.allclose(causal.sum(axis=-1), 1.0, atol=1e-4)
    assert np.all(causal[..., np.triu(np.ones((16, 16), dtype=bool), k=1)] == 0.0)
    assert result["model"]["trained"] and result["model"]["steps"] == attention.TRAINING["steps"]
    assert len(result["tokens"]) == 16 and result["tokens"][1]["text"] == " two"
    untrained = computations.maps({"text": text, "model": "untrained"}, lambda f, s: None)
    assert untrained["maps"] != result["maps"] and not untrained["model"]["trained"]
    with pytest.raises(jobs.PlaygroundError, match="single GPT-2 token"):
        computations.maps({"text": "Hi", "model": "trained"}, lambda f, s: None)
    with pytest.raises(jobs.PlaygroundError, match="trained or the untrained"):
        computations.maps({"text": text, "model": "submission"}, lambda f, s: None)


# --- Views --------------------------------------------------------------------------------------


def passing(learner: User, *, status: str = Submission.Status.PASS) -> Submission:
    return Submission.objects.create(
        learner=learner,
        challenge=Challenge.objects.get(slug="multi-head-attention"),
        source=BOOK_MHA.read_text(),
        status=status,
    )


def compute(client: Client, **data: str) -> dict[str, Any]:
    """POST like the page does, run the computation like a worker, return its status."""
    response = client.post(RUN_URL, data)
    assert response.status_code == 202, response.content
    run_id = response.json()["run"]
    run = PlaygroundRun.objects.get(pk=run_id)
    if not run.finished:
        jobs.execute(run.pk)
    state = client.get(response.json()["status_url"]).json()
    return state


@pytest.mark.django_db
def test_a_visitor_gets_the_page_and_computes_the_maps(client: Client, quick_model: None) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Attention explorer" in html and 'id="attention-form"' in html
    assert 'id="attention-result"' not in html and 'data-drawn="server"' not in html
    assert '<script src="/static/js/attention.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/css/attention.css">' in html
    assert "style=" not in html.split("<main")[1]

    state = compute(client, text=attention.DEFAULT_TEXT, source="trained")
    assert state["status"] == "done"
    assert len(state["result"]["tokens"]) == 12
    # Once computed, the page draws the maps itself (no JavaScript needed).
    html = client.get(URL).content.decode()
    assert 'id="attention-result"' in html and 'data-drawn="server"' in html
    assert len(re.findall(r'class="att-cell[ "]', html)) == 144
    assert html.count("att-cell is-masked") == 66  # 12 * 11 / 2
    assert len(re.findall(r'class="att-mini( is-selected)?"', html)) == 16


@pytest.mark.django_db
def test_it_draws_the_chosen_mask_dropout_and_head_on_the_server(
    client: Client, quick_model: None
) -> None:
    result = compute(client, text="The cat sat on the mat.", source="untrained")["result"]
    query = {"text": "The cat sat on the mat.", "source": "untrained", "layer": "2", "head": "3"}
    html = client.get(URL, query | {"mask": "none"}).content.decode()
    assert "is-masked" not in html.split('id="attention-svg"')[1].split("</svg>")[0]
    cell = np.array(result["maps"]["none"])[1, 2, 0, 5]
    assert f'data-row="0" data-col="5" data-value="{cell:.6f}"' in html

    html = client.get(URL, query | {"dropout": "0.5", "seed": "9"}).content.decode()
    keep = attention.dropout_keep(9, 1, 2, 7, 0.5)
    dropped = int((~keep & ~np.triu(np.ones((7, 7), dtype=bool), k=1)).sum())
    assert html.count("att-cell is-dropped") == dropped > 0
    assert f"dropped {dropped} weight" in html
    assert 'value="10"' in html  # the "new dropout sample" button's next seed


@pytest.mark.django_db
def test_bad_parameters_are_reported_next_to_their_field_and_keep_the_text(client: Client) -> None:
    long = "word " * 30
    response = client.get(URL, {"text": long, "dropout": "0.7"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Your sentence is 30 GPT-2 tokens long; the explorer shows at most 16" in html
    assert "Remove 14 tokens" in html
    assert f'value="{long.strip()}"' in html and 'aria-invalid="true"' in html
    assert "Dropout is off, 0.1 or 0.5." in html


@pytest.mark.django_db
def test_the_run_endpoint_refuses_bad_input_with_a_clear_message(client: Client) -> None:
    response = client.post(RUN_URL, {"text": "Hi", "source": "trained"})
    assert response.status_code == 400
    assert response.json()["field"] == "text"
    assert "single GPT-2 token" in response.json()["error"]
    response = client.post(RUN_URL, {"text": "word " * 17, "source": "trained"})
    assert "17 GPT-2 tokens" in response.json()["error"]
    response = client.post(RUN_URL, {"text": "Hello there", "source": "mine"})
    assert response.status_code == 400 and response.json()["field"] == "source"
    assert not PlaygroundRun.objects.exists()


@pytest.mark.django_db
def test_it_answers_only_the_right_methods(client: Client) -> None:
    assert client.get(RUN_URL).status_code == 405
    assert client.post(URL).status_code == 405


@pytest.mark.django_db
def test_an_anonymous_visitor_cannot_pick_a_submission(client: Client, content: None) -> None:
    html = client.get(URL, {"source": "submission"}).content.decode()
    assert 'value="submission" disabled' in html and "Sign in</a> and pass" in html
    assert 'value="trained" checked' in html
    response = client.post(RUN_URL, {"text": "Hello there", "source": "submission"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Sign in to see your own MultiHeadAttention")
    assert not PlaygroundRun.objects.exists()


@pytest.mark.django_db
def test_a_learner_without_a_passing_submission_is_told_how_to_get_one(
    client: Client, content: None, alice: User, bob: User
) -> None:
    passing(alice, status=Submission.Status.FAIL)
    passing(bob)  # someone else's pass is not hers
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert "You have no passing" in html and "/learn/challenges/multi-head-attention/" in html
    response = client.post(RUN_URL, {"text": "Hello there", "source": "submission"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "no passing multi-head-attention submission" in error
    assert "/learn/challenges/multi-head-attention/" in error


@pytest.mark.django_db
def test_a_learner_gets_her_own_latest_passing_submission_whatever_the_client_sends(
    client: Client, content: None, alice: User, bob: User
) -> None:
    older = passing(alice)
    mine = passing(alice)
    theirs = passing(bob)
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert f'Your MultiHeadAttention <span class="muted small">(submission #{mine.pk}' in html
    response = client.post(
        RUN_URL,
        {"text": "Hello there", "source": "submission", "submission": str(theirs.pk)},
    )
    assert response.status_code == 202
    run = PlaygroundRun.objects.get(pk=response.json()["run"])
    assert run.kind == "attention-submission" and run.owner == alice
    assert run.params["submission"] == mine.pk != older.pk
    assert run.params["learner"] == alice.pk
    # The status is hers alone.
    other = Client()
    other.force_login(bob)
    assert other.get(response.json()["status_url"]).status_code == 404


@pytest.mark.django_db
def test_the_submission_job_refuses_a_submission_that_is_not_the_learners(
    content: None, alice: User, bob: User
) -> None:
    theirs = passing(bob)
    params = {"text": "Hello there", "submission": theirs.pk, "learner": alice.pk}
    with pytest.raises(jobs.PlaygroundError, match="no longer available"):
        computations.submission_maps(params, lambda f, s: None)


def test_its_templates_and_script_use_no_inline_style_or_script() -> None:
    root = Path(__file__).resolve().parents[2]
    template = (root / "templates" / "playgrounds" / "attention.html").read_text()
    assert "style=" not in template and not re.search(r"<script(?![^>]*src=)", template)
    script = (root / "static" / "js" / "attention.js").read_text()
    assert ".style." not in script and "innerHTML" not in script


@pytest.mark.django_db
def test_a_replayed_post_starts_nothing_new(client: Client) -> None:
    data = {"text": "The cat sat on the mat.", "source": "trained"}
    first = client.post(RUN_URL, data)
    again = client.post(RUN_URL, data)
    assert first.status_code == again.status_code == 202
    assert first.json()["run"] == again.json()["run"]
    assert PlaygroundRun.objects.count() == 1
