"""The attention explorer runs a learner's MultiHeadAttention in the real grading sandbox
(grading/sandbox/ops_attention_maps.py, judged in playgrounds/computations/attention.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from accounts.models import User
from curriculum.models import Challenge
from grading.models import Submission
from grading.runner.pool import SandboxPool, SandboxUnavailable
from playgrounds import attention
from playgrounds.computations import attention as computations
from tests.grading.sandbox_support import shared_pool

SOLUTIONS = Path(__file__).resolve().parents[1] / "grading" / "solutions" / "multi-head-attention"
BOOK = (SOLUTIONS / "book.py").read_text()


@pytest.fixture(scope="module")
def pool() -> SandboxPool:
    return shared_pool()


@pytest.fixture(scope="module")
def layers() -> tuple[dict[str, np.ndarray], list[np.ndarray], np.ndarray]:
    """Weights of a random explorer model and each layer's input for a 9-token sentence."""
    params = computations.ref_params(attention.model_config(), np.random.default_rng(7))
    tokens, problem = attention.tokenize("The height of his glory, he said.")
    assert problem is None
    forward = attention.forward(params, attention.model_ids(tokens), causal=True)
    return params, forward.inputs, forward.weights


def run(pool: SandboxPool, source: str, layers: Any) -> dict[str, Any]:
    params, inputs, _ = layers
    return computations.run_in_sandbox(source, params, inputs, pool=pool)


def test_the_books_class_gives_the_reference_maps(pool: SandboxPool, layers: Any) -> None:
    result = run(pool, BOOK, layers)
    yours, reference = result["yours"], result["reference"]
    _, _, forward_weights = layers
    assert yours.shape == reference.shape == (4, 4, 9, 9)
    assert np.abs(yours - reference).max() < 1e-6
    assert np.abs(reference - forward_weights).max() < 1e-6  # the model's own maps
    comparison = result["comparison"]
    assert comparison["same"] and comparison["max_diff"] < 1e-6
    assert comparison["output_max_diff"] < 1e-5
    assert comparison["eval_dropout_identity"]
    assert np.all(yours[..., np.triu(np.ones((9, 9), dtype=bool), k=1)] == 0.0)


def test_a_wrong_class_is_shown_with_its_difference(pool: SandboxPool, layers: Any) -> None:
    # Scaled by sqrt(d_out) instead of sqrt(head_dim): still causal, but flatter.
    source = BOOK.replace("keys.shape[-1] ** 0.5", "self.d_out ** 0.5")
    assert source != BOOK
    comparison = run(pool, source, layers)["comparison"]
    assert not comparison["same"] and comparison["max_diff"] > 0.01


def test_a_class_without_a_dropout_module_gets_a_clear_message(
    pool: SandboxPool, layers: Any
) -> None:
    # Passes grading (scaled_dot_product_attention), but keeps dropout as a float.
    source = (SOLUTIONS / "variant_sdpa.py").read_text()
    with pytest.raises(computations.SandboxProblem, match="has no dropout module"):
        run(pool, source, layers)


def test_a_dropout_that_sees_other_shapes_gets_a_clear_message(
    pool: SandboxPool, layers: Any
) -> None:
    # Dropout on the output instead of the weights.
    source = BOOK.replace(
        "attn_weights = self.dropout(attn_weights)\n\n        context_vec",
        "context_vec",
    ).replace(
        "context_vec = self.out_proj(context_vec)",
        "context_vec = self.dropout(self.out_proj(context_vec))",
    )
    assert source.count("self.dropout(") == 2  # the wrapper's head keeps its own
    with pytest.raises(computations.SandboxProblem, match=r"\(1, 4, 9, 9\) exactly once"):
        run(pool, source, layers)


def test_an_exception_in_forward_is_reported_with_its_traceback(
    pool: SandboxPool, layers: Any
) -> None:
    source = BOOK.replace(
        "        b, num_tokens, d_in = x.shape\n        keys = self.W_key(x)\n        queries",
        "        b, num_tokens, d_in = x.shape\n        raise ValueError('not today')\n"
        "        keys = self.W_key(x)\n        queries",
    )
    with pytest.raises(computations.SandboxProblem, match="raised an exception") as info:
        run(pool, source, layers)
    assert "not today" in str(info.value)


def test_a_module_without_the_class_is_told_so(pool: SandboxPool, layers: Any) -> None:
    with pytest.raises(computations.SandboxProblem, match="does not define `MultiHeadAttention`"):
        run(pool, "import torch\n", layers)


class _DownPool:
    """A pool whose sandbox cannot start (bwrap missing, a layer failing its self-test)."""

    def run_job(self, *args: Any, **kwargs: Any) -> Any:
        raise SandboxUnavailable("bwrap: not found")

    def isolation_layers(self) -> list[str]:
        return ["sandbox unavailable: bwrap: not found"]


def test_it_never_runs_the_code_elsewhere_when_the_sandbox_is_down(layers: Any) -> None:
    params, inputs, _ = layers
    with pytest.raises(computations.SandboxProblem, match="unavailable right now") as info:
        computations.run_in_sandbox(BOOK, params, inputs, pool=_DownPool())
    assert "bwrap" not in str(info.value)


@pytest.mark.django_db
def test_the_submission_job_returns_her_maps_beside_the_reference(
    pool: SandboxPool,
    monkeypatch: pytest.MonkeyPatch,
    content: None,
    alice: User,
    tmp_path: Path,
) -> None:
    from grading import runner

    model = computations.load_or_train(lambda f, s: None, directory=tmp_path, steps=3)
    monkeypatch.setattr(computations, "load_or_train", lambda progress, **kw: model)
    monkeypatch.setattr(runner, "get_pool", lambda: pool)
    submission = Submission.objects.create(
        learner=alice,
        challenge=Challenge.objects.get(slug="multi-head-attention"),
        source=BOOK,
        status=Submission.Status.PASS,
    )
    stages: list[str] = []
    result = computations.submission_maps(
        {"text": "The cat sat on the mat.", "submission": submission.pk, "learner": alice.pk},
        lambda f, s: stages.append(s),
    )
    assert "Running your MultiHeadAttention in the grading sandbox" in stages
    assert result["source"] == "submission" and result["submission"]["id"] == submission.pk
    yours = np.array(result["maps"]["causal"])
    assert yours.shape == (4, 4, 7, 7) and "none" not in result["maps"]
    ids = attention.model_ids(attention.tokenize("The cat sat on the mat.")[0])
    expected = attention.forward(model.trained, ids, causal=True).weights
    assert np.abs(yours - expected).max() < 2e-6  # rounded to 6 places for the page
    # The reference of the page: the same maps, from the float32 inputs the sandbox got.
    assert np.abs(np.array(result["reference"]["causal"]) - expected).max() < 2e-6
    assert result["comparison"]["same"]
    assert json.dumps(result)  # plain JSON for the run's row
