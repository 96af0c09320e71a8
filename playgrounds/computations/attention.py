"""The attention explorer's computations (worker side; see ``playgrounds/attention.py``).

- ``attention-maps`` (shareable): the project's small GPT, trained once per deployment on the
  shipped short story and cached under ``VAR_DIR/playgrounds`` keyed by the model version,
  reads a sentence; the result holds every layer's and head's weights with and without the
  causal mask. Training takes seconds (torch, one thread, fixed seed), later runs a few
  milliseconds.
- ``attention-submission`` (private, on the grading queue): the learner's own passing
  ``MultiHeadAttention``, run in the grading sandbox exactly like grading -- never imported
  here -- with each layer's weights and inputs of the same model, so its maps can be compared
  with the reference. The sandbox op is ``grading/sandbox/ops_attention_maps.py``; its raw
  output is judged here, on the trusted side.

torch and the grading runner are imported inside functions: this module is imported by the
web process too (``PlaygroundsConfig.ready``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from playgrounds import attention, jobs, tokenizer

log = logging.getLogger(__name__)

MHA_SLUG = "multi-head-attention"
MHA_CLASS = "MultiHeadAttention"
# Equal up to float32 rounding: the learner's class computes in float32, the reference in
# float64 from the very same float32 inputs and weights.
SAME_WITHIN = 1e-4


# --- The model: trained once, cached on disk ---------------------------------------------------


@dataclass(frozen=True)
class Model:
    initial: dict[str, np.ndarray]
    trained: dict[str, np.ndarray]
    losses: tuple[float, ...]  # training loss every TRAINING["steps"] // 10 steps, and the last

    def params(self, source: str) -> dict[str, np.ndarray]:
        return self.trained if source == attention.TRAINED else self.initial

    def describe(self, source: str) -> dict[str, Any]:
        cfg = attention.model_config()
        trained = source != attention.UNTRAINED
        return {
            "source": source,
            "trained": trained,
            "version": attention.model_version(),
            "layers": int(cfg["n_layers"]),
            "heads": int(cfg["n_heads"]),
            "emb_dim": int(cfg["emb_dim"]),
            "context_length": int(cfg["context_length"]),
            "vocab_size": int(cfg["vocab_size"]),
            "steps": int(attention.TRAINING["steps"]) if trained else 0,
            "loss_start": round(self.losses[0], 3),
            "loss_end": round(self.losses[-1], 3),
            "corpus": attention.CORPUS_TITLE,
        }


def cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "playgrounds"


def cache_path(directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / f"attention-model-{attention.model_version()}.npz"


def _load(path: Path) -> Model | None:
    try:
        with np.load(path) as data:
            initial = {k[len("initial/") :]: data[k] for k in data.files if k[:8] == "initial/"}
            trained = {k[len("trained/") :]: data[k] for k in data.files if k[:8] == "trained/"}
            losses = tuple(float(v) for v in data["losses"])
    except (OSError, ValueError, KeyError):
        log.warning("attention model cache %s unreadable; training again", path)
        return None
    return Model(initial=initial, trained=trained, losses=losses)


def load_or_train(
    progress: jobs.Progress, *, directory: Path | None = None, steps: int | None = None
) -> Model:
    """The cached model, or train it now (one process at a time: a file lock makes a second
    worker wait for the first one's weights instead of training them again)."""
    path = cache_path(directory)
    if path.exists():
        model = _load(path)
        if model is not None:
            return model
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        progress(0.0, "Waiting for the model that another computation is training")
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if path.exists():
                model = _load(path)
                if model is not None:
                    return model
            model = train(progress, steps=steps)
            arrays = {f"initial/{k}": v for k, v in model.initial.items()}
            arrays |= {f"trained/{k}": v for k, v in model.trained.items()}
            arrays["losses"] = np.array(model.losses)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)  # readers never see a half-written file
            return model
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def train(progress: jobs.Progress, *, steps: int | None = None) -> Model:
    """Train the small GPT on the story: next-token cross-entropy, AdamW, one thread, fixed
    seeds, so every deployment trains the same weights. The forward pass is the book's
    GPTModel written functionally over parameters named like the book's modules, so the
    numpy reference (``attention.forward``) reads the very same weights."""
    import torch

    from grading.reference import training as ref_training

    cfg = attention.model_config()
    hp = attention.TRAINING
    steps = int(hp["steps"] if steps is None else steps)
    rng = np.random.default_rng(int(hp["seed"]))
    initial = ref_params(cfg, rng)
    ids = tokenizer.gpt2_encoding().encode(attention.corpus_bytes().decode("utf-8"))
    index = {token: i + 1 for i, token in enumerate(attention.vocabulary())}
    data = np.array([index[t] for t in ids], dtype=np.int64)
    context, batch = int(cfg["context_length"]), int(hp["batch_size"])

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(int(hp["seed"]))
        params = {k: torch.tensor(v, requires_grad=True) for k, v in initial.items()}
        optimizer = torch.optim.AdamW(
            list(params.values()), lr=float(hp["lr"]), weight_decay=float(hp["weight_decay"])
        )
        losses: list[float] = []
        every = max(1, steps // 10)
        for step in range(steps):
            starts = rng.integers(0, len(data) - context - 1, size=batch)
            x = torch.from_numpy(np.stack([data[s : s + context] for s in starts]))
            y = torch.from_numpy(np.stack([data[s + 1 : s + context + 1] for s in starts]))
            logits = ref_training.logits(params, cfg, x)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % every == 0 or step == steps - 1:
                losses.append(float(loss.item()))
            progress(
                0.9 * (step + 1) / max(steps, 1),
                f"Training the small model: step {step + 1}/{steps} (loss {loss.item():.2f})",
            )
        trained = {k: v.detach().numpy().copy() for k, v in params.items()}
    finally:
        torch.set_num_threads(threads)
    if not losses:
        losses = [float("nan")]
    return Model(initial=initial, trained=trained, losses=tuple(losses))


def ref_params(cfg: Mapping[str, Any], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Initial weights by the book's parameter names (float32); LayerNorm starts as in the
    book (scale 1, shift 0), linear layers ~N(0, 1/fan_in), embeddings ~N(0, 1)."""
    from grading.reference import gpt as ref_gpt

    params = ref_gpt.random_params(ref_gpt.gpt_shapes(cfg), rng)
    for name, value in params.items():
        if name.endswith(".scale"):
            params[name] = np.ones_like(value)
        elif name.endswith((".shift", ".bias")):
            params[name] = np.zeros_like(value)
    return params


def _tokens(params: Mapping[str, Any]) -> list[attention.Token]:
    tokens, problem = attention.tokenize(str(params.get("text", "")))
    if problem is not None:
        raise jobs.PlaygroundError(problem)
    return tokens


# --- The project's model -----------------------------------------------------------------------


@jobs.job("attention-maps", queue="default", shareable=True, timeout_s=180)
def maps(params: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    """Attention maps of the trained or untrained small GPT for one sentence."""
    source = params.get("model")
    if source not in attention.MODEL_SOURCES:
        raise jobs.PlaygroundError("Choose the trained or the untrained model.")
    tokens = _tokens(params)
    model = load_or_train(progress)
    progress(0.95, "Computing the attention maps of every layer")
    return attention.maps_result(model.params(source), tokens, model=model.describe(source))


# --- The learner's own MultiHeadAttention, in the sandbox ---------------------------------------


@jobs.job("attention-submission", queue="grading-cpu", shareable=False, timeout_s=180)
def submission_maps(params: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    """The learner's passing MultiHeadAttention with the trained model's weights and inputs,
    layer by layer, run in the grading sandbox; compared with the reference maps."""
    from grading.models import Submission

    tokens = _tokens(params)
    submission = (
        Submission.objects.filter(
            pk=params.get("submission"),
            learner_id=params.get("learner"),
            challenge__slug=MHA_SLUG,
            status=Submission.Status.PASS,
        )
        .only("pk", "source", "finished_at", "created_at")
        .first()
    )
    if submission is None:
        raise jobs.PlaygroundError(
            "That passing multi-head-attention submission is no longer available."
        )
    model = load_or_train(progress)
    progress(0.92, "Running your MultiHeadAttention in the grading sandbox")
    ids = attention.model_ids(tokens)
    reference = attention.forward(model.trained, ids, causal=True)
    result = run_in_sandbox(submission.source, model.trained, reference.inputs)
    passed = submission.finished_at or submission.created_at
    return {
        "source": attention.SUBMISSION,
        "tokens": [t.as_json() for t in tokens],
        "model": model.describe(attention.TRAINED),
        "submission": {"id": submission.pk, "passed": passed.isoformat()},
        "maps": {"causal": attention.rounded(result["yours"])},
        "reference": {"causal": attention.rounded(result["reference"])},
        "comparison": result["comparison"],
    }


def layer_weights(params: Mapping[str, np.ndarray], layer: int) -> dict[str, np.ndarray]:
    """One block's attention weights by the names of the book's MultiHeadAttention."""
    prefix = f"trf_blocks.{layer}.att."
    return {
        k[len(prefix) :]: np.asarray(v, np.float32)
        for k, v in params.items()
        if k.startswith(prefix)
    }


class SandboxProblem(jobs.PlaygroundError):
    pass


def run_in_sandbox(
    source: str,
    params: Mapping[str, np.ndarray],
    inputs: Sequence[np.ndarray],
    *,
    pool: Any = None,
    limits: Any = None,
) -> dict[str, Any]:
    """Run ``source``'s MultiHeadAttention in the sandbox on each layer's weights and input
    (``inputs[l]``, shape (1, T, E)); returns its maps, the reference maps for the same
    float32 data (``yours`` and ``reference``, (layers, heads, T, T) arrays), and their
    differences (``comparison``). Raises SandboxProblem with a learner-facing
    message when the code cannot be run or its weights cannot be captured."""
    from grading import runner
    from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe
    from grading.reference import attention as ref_attention

    cfg = attention.model_config()
    heads, emb = int(cfg["n_heads"]), int(cfg["emb_dim"])
    layers = [
        {"tensors": layer_weights(params, i), "x": np.asarray(x, np.float32)}
        for i, x in enumerate(inputs)
    ]
    probe = Probe(
        "attention_maps",
        {
            "cls": MHA_CLASS,
            # The book's signature: (d_in, d_out, context_length, dropout, num_heads).
            "args": [emb, emb, int(cfg["context_length"]), 0.1, heads],
            "kwargs": {"qkv_bias": False},
            "layers": layers,
        },
        timeout_s=15.0,
    )
    seen: dict[str, Any] = {}

    def judge(_probes: Any, results: Any) -> Any:
        (result,) = results
        seen["result"] = result
        return CheckOutcome("pass", "captured")

    spec = ChallengeSpec(
        slug="attention-explorer",
        names=(MHA_CLASS,),
        checks=(
            Check(
                "attention_maps",
                "Your MultiHeadAttention's attention weights, captured at its dropout",
                lambda _rng: [probe],
                judge,
                needs=(MHA_CLASS,),
            ),
        ),
        starter="",
        wall_s=30.0,
    )
    report = runner.run(spec.slug, source, spec=spec, pool=pool, limits=limits)
    result = seen.get("result")
    if result is None:
        if report.message.startswith("sandbox unavailable"):
            raise SandboxProblem(
                "Your code runs only inside the grading sandbox, which is unavailable right "
                "now; please try again in a few minutes."
            )
        message = report.checks[0].message if report.checks else report.message
        raise SandboxProblem(f"Your submission could not be run: {message}")
    if not result.ok:
        error = result.error
        detail = (error.traceback or f"{error.type}: {error.message}") if error else ""
        raise SandboxProblem(
            f"Your MultiHeadAttention raised an exception on the explorer's input:\n{detail}"
        )
    value = result.value if isinstance(result.value, dict) else {}
    problem = _problem_message(value, heads, [x.shape[1] for x in inputs])
    if problem is not None:
        raise SandboxProblem(problem)

    yours, reference, after, outputs = [], [], [], []
    for layer, data in enumerate(layers):
        x = data["x"].astype(np.float64)
        tensors = {k: v.astype(np.float64) for k, v in data["tensors"].items()}
        q, k, _ = ref_attention.qkv(x, tensors)
        split = (ref_attention.split_heads(t, heads, "transpose") for t in (q, k))
        reference.append(ref_attention.attention_weights(*split, causal=True)[0])
        got = value["layers"][layer]
        yours.append(np.asarray(got["before"], np.float64)[0])
        after.append(np.asarray(got["after"], np.float64)[0])
        expected_out = ref_attention.multi_head_attention(x, tensors, heads)
        outputs.append(float(np.abs(np.asarray(got["output"], np.float64) - expected_out).max()))
    diff = np.abs(np.stack(yours) - np.stack(reference))
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return {
        "yours": np.stack(yours),
        "reference": np.stack(reference),
        "comparison": {
            "max_diff": float(diff.max()),
            "max_diff_layer": int(worst[0]),
            "max_diff_head": int(worst[1]),
            "per_map": attention.rounded(diff.max(axis=(2, 3)), 9),
            "output_max_diff": max(outputs),
            "same": bool(diff.max() <= SAME_WITHIN),
            "eval_dropout_identity": all(
                np.array_equal(np.stack(yours)[i], after[i]) for i in range(len(layers))
            ),
        },
    }


def _problem_message(value: Mapping[str, Any], heads: int, lengths: list[int]) -> str | None:
    """A learner-facing sentence for what the sandbox op reported, written here (the op's
    own fields are validated, never its wording)."""
    problem = value.get("problem")
    if problem == "no_dropout":
        return (
            "Your MultiHeadAttention has no dropout module (`self.dropout = "
            "nn.Dropout(dropout)`), so the explorer cannot capture its attention weights: it "
            "reads them as they enter the dropout, like in the book's class. Your class may "
            "be right (the grader checks outputs); add the dropout module to see its maps."
        )
    if problem == "load":
        return (
            "The explorer's weights do not fit your MultiHeadAttention's parameters "
            "(it expects the book's W_query, W_key, W_value and out_proj)."
        )
    if problem == "not_called":
        return (
            "Your MultiHeadAttention's dropout module was never called during forward, so "
            "there were no attention weights to capture. Apply `self.dropout` to the "
            "attention weights, as the book does."
        )
    n = lengths[0] if lengths else 0
    if problem == "shape":
        shapes = value.get("shapes")
        return _shape_message(shapes if isinstance(shapes, list) else [], heads, n)
    unreadable = "The sandbox returned something the explorer cannot read."
    layers = value.get("layers")
    if problem is not None or not isinstance(layers, list) or len(layers) != len(lengths):
        return unreadable
    for data, length in zip(layers, lengths, strict=True):
        if not isinstance(data, dict):
            return unreadable
        before, after, output = data.get("before"), data.get("after"), data.get("output")
        if not all(isinstance(a, np.ndarray) for a in (before, after, output)):
            return unreadable
        if before.shape != (1, heads, length, length):
            return _shape_message([list(before.shape)], heads, length)
        if after.shape != before.shape or output.shape[:2] != (1, length):
            return unreadable
    return None


def _shape_message(shapes: list[Any], heads: int, n: int) -> str:
    seen = ", ".join(
        "(" + ", ".join(str(int(d)) for d in s) + ")"
        for s in shapes[:4]
        if isinstance(s, list) and all(isinstance(d, int) for d in s)
    )
    return (
        f"The explorer expected your dropout to receive the attention weights of shape "
        f"(batch, num_heads, num_tokens, num_tokens) = (1, {heads}, {n}, {n}) exactly once "
        f"per forward, but it saw {seen or 'something else'}."
    )
