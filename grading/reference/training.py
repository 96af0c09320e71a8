"""Reference maths for chapters 5-7 that needs gradients: losses, AdamW training, the
learning-rate schedule of Appendix D, classification heads.

The forward maths is the book's GPTModel (``grading.reference.gpt.gpt_forward``) written
again with torch ops, in float64, because training needs autograd; ``tests/grading`` checks
that both give the same logits. Weights go in *by the book's parameter names*
(``tok_emb.weight``, ``trf_blocks.0.att.W_query.weight`` ...), exactly the arrays a judge
loaded into the learner's model, so a learner's float32 training and this float64 training
start from the same point and take the same AdamW steps. Dropout is not modelled: probes
that compare values use ``drop_rate`` 0 or eval mode.

Keyword options reproduce mistakes (no ``zero_grad``, no ``optimizer.step``, tokens counted
as rows ...); judges use them only to name a mistake once the correct reference differs.
Trusted side only: never mounted into the sandbox.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F

Array = np.ndarray
Cfg = Mapping[str, Any]
Batch = tuple[Array, Array]
Tensors = dict[str, torch.Tensor]
LN_EPS = 1e-5


def as_tensors(params: Mapping[str, Array], *, grad: bool = False) -> Tensors:
    """float64 leaf tensors (copies) of float32 arrays, optionally requiring gradients."""
    return {
        n: torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)
        for n, a in params.items()
    }


def to_arrays(params: Mapping[str, torch.Tensor]) -> dict[str, Array]:
    return {n: t.detach().numpy().copy() for n, t in params.items()}


# --- The GPT forward pass (book's GPTModel, eval mode) ------------------------------------------


def _layer_norm(x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True, unbiased=False)
    return scale * (x - mean) / torch.sqrt(var + LN_EPS) + shift


def _gelu(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def _linear(x: torch.Tensor, p: Tensors, name: str) -> torch.Tensor:
    y = x @ p[f"{name}.weight"].T
    bias = p.get(f"{name}.bias")
    return y if bias is None else y + bias


def _attention(x: torch.Tensor, p: Tensors, pre: str, n_heads: int) -> torch.Tensor:
    b, n, d = x.shape
    hd = d // n_heads

    def heads(t: torch.Tensor) -> torch.Tensor:
        return t.view(b, n, n_heads, hd).transpose(1, 2)

    q = heads(_linear(x, p, f"{pre}W_query"))
    k = heads(_linear(x, p, f"{pre}W_key"))
    v = heads(_linear(x, p, f"{pre}W_value"))
    scores = q @ k.transpose(2, 3)
    mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(mask, -torch.inf)
    weights = torch.softmax(scores / math.sqrt(hd), dim=-1)
    context = (weights @ v).transpose(1, 2).reshape(b, n, d)
    return _linear(context, p, f"{pre}out_proj")


def hidden_states(p: Tensors, cfg: Cfg, idx: Any) -> torch.Tensor:
    """GPTModel.forward up to and including ``final_norm``: ``(batch, n, emb_dim)``."""
    ids = torch.as_tensor(np.asarray(idx, dtype=np.int64))
    n = ids.shape[-1]
    x = p["tok_emb.weight"][ids] + p["pos_emb.weight"][:n]
    for i in range(int(cfg["n_layers"])):
        pre = f"trf_blocks.{i}."
        x = x + _attention(
            _layer_norm(x, p[pre + "norm1.scale"], p[pre + "norm1.shift"]),
            p,
            pre + "att.",
            int(cfg["n_heads"]),
        )
        h = _layer_norm(x, p[pre + "norm2.scale"], p[pre + "norm2.shift"])
        x = x + _linear(_gelu(_linear(h, p, pre + "ff.layers.0")), p, pre + "ff.layers.2")
    return _layer_norm(x, p["final_norm.scale"], p["final_norm.shift"])


def logits(p: Tensors, cfg: Cfg, idx: Any) -> torch.Tensor:
    """GPTModel.forward: ``out_head(final_norm(...))``; ``out_head.bias`` when present (a
    classification head)."""
    return _linear(hidden_states(p, cfg, idx), p, "out_head")


def logits_np(params: Mapping[str, Array], cfg: Cfg, idx: Any) -> Array:
    with torch.no_grad():
        return logits(as_tensors(params), cfg, idx).numpy()


# --- Losses ---------------------------------------------------------------------------------------

LossKind = Literal[
    "flatten",  # the book: cross-entropy over every position
    "last",  # classification: the last token's logits only
    "first",  # mistake: the first token's logits
    "mean_tokens",  # mistake: logits averaged over the tokens
    "double_softmax",  # mistake: cross_entropy of softmax(logits)
    "nll_raw",  # mistake: nll_loss on the raw logits (no log_softmax)
    "sum",  # mistake: summed instead of averaged
]


def batch_loss(
    p: Tensors, cfg: Cfg, inputs: Any, targets: Any, kind: LossKind = "flatten"
) -> torch.Tensor:
    """``calc_loss_batch``: ch. 5 (``flatten``) or ch. 6 (``last``) and mistaken variants."""
    out = logits(p, cfg, inputs)
    y = torch.as_tensor(np.asarray(targets, dtype=np.int64))
    if kind == "flatten":
        return F.cross_entropy(out.flatten(0, 1), y.flatten())
    if kind == "double_softmax":
        return F.cross_entropy(torch.softmax(out, dim=-1).flatten(0, 1), y.flatten())
    if kind == "nll_raw":
        return F.nll_loss(out.flatten(0, 1), y.flatten())
    if kind == "sum":
        return F.cross_entropy(out.flatten(0, 1), y.flatten(), reduction="sum")
    if kind == "last":
        return F.cross_entropy(out[:, -1, :], y)
    if kind == "first":
        return F.cross_entropy(out[:, 0, :], y)
    if kind == "mean_tokens":
        return F.cross_entropy(out.mean(dim=1), y)
    raise ValueError(kind)


def batches_of(inputs: Array, targets: Array, batch_size: int) -> list[Batch]:
    """What ``DataLoader(TensorDataset(inputs, targets), batch_size)`` yields, in order."""
    return [
        (inputs[i : i + batch_size], targets[i : i + batch_size])
        for i in range(0, len(inputs), batch_size)
    ]


def loader_loss(
    p: Tensors,
    cfg: Cfg,
    batches: Sequence[Batch],
    num_batches: int | None = None,
    *,
    kind: LossKind = "flatten",
    divide_by: Literal["used", "all"] = "used",
) -> float:
    """``calc_loss_loader``: mean batch loss over the first ``min(num_batches, len)``
    batches; ``nan`` for an empty loader. ``divide_by="all"`` reproduces dividing the sum by
    ``len(data_loader)``."""
    if not batches:
        return math.nan
    used = len(batches) if num_batches is None else min(num_batches, len(batches))
    with torch.no_grad():
        total = sum(float(batch_loss(p, cfg, x, y, kind)) for x, y in batches[:used])
    return total / (used if divide_by == "used" else len(batches))


def loader_accuracy(
    p: Tensors,
    cfg: Cfg,
    batches: Sequence[Batch],
    num_batches: int | None = None,
    *,
    position: Literal["last", "first", "mean"] = "last",
    per_batch: bool = False,
) -> float:
    """``calc_accuracy_loader``: share of rows whose argmax of the last token's logits is the
    label, over the first ``min(num_batches, len)`` batches. ``per_batch`` reproduces
    dividing the count of correct rows by the number of batches."""
    used = len(batches) if num_batches is None else min(num_batches, len(batches))
    correct = rows = 0
    with torch.no_grad():
        for x, y in batches[:used]:
            out = logits(p, cfg, x)
            pick = {"last": out[:, -1, :], "first": out[:, 0, :], "mean": out.mean(dim=1)}
            predicted = pick[position].argmax(dim=-1).numpy()
            correct += int((predicted == np.asarray(y)).sum())
            rows += len(y)
    if per_batch:
        return correct / max(used, 1)
    return correct / rows if rows else math.nan


# --- Training -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """Appendix D: linear warm-up from ``initial_lr`` to the optimizer's lr over
    ``warmup_steps``, then cosine decay to ``min_lr``; gradient clipping (max_norm 1.0) from
    ``global_step >= warmup_steps`` (the repository) or ``> warmup_steps`` (the printed
    book)."""

    warmup_steps: int
    initial_lr: float
    min_lr: float
    clip_from: Literal[">=", ">", "never", "always"] = ">="

    def lr(self, global_step: int, peak_lr: float, total_steps: int) -> float:
        if global_step < self.warmup_steps:
            return self.initial_lr + global_step * (peak_lr - self.initial_lr) / self.warmup_steps
        progress = (global_step - self.warmup_steps) / (total_steps - self.warmup_steps)
        return self.min_lr + (peak_lr - self.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))

    def clips(self, global_step: int) -> bool:
        if self.clip_from == "always":
            return True
        if self.clip_from == "never":
            return False
        if self.clip_from == ">":
            return global_step > self.warmup_steps
        return global_step >= self.warmup_steps


@dataclass
class Trace:
    """What ``train_model_simple`` returns, plus Appendix D's learning rates and the weights
    at the end."""

    train_losses: list[float] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)
    tokens_seen: list[int] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    params: dict[str, Array] = field(default_factory=dict)
    adam: dict[str, dict[str, Array]] = field(default_factory=dict)


class AdamW:
    """AdamW as ``torch.optim.AdamW`` computes it (decoupled weight decay, bias-corrected
    moments, betas (0.9, 0.999), eps 1e-8), written out: the reference does not depend on
    torch's optimizer code (nor pay for its first import)."""

    betas = (0.9, 0.999)
    eps = 1e-8

    def __init__(self, p: Tensors, lr: float, weight_decay: float) -> None:
        self.p = p
        self.lr = lr
        self.weight_decay = weight_decay
        self.state: dict[str, dict[str, Any]] = {}

    def zero_grad(self) -> None:
        for t in self.p.values():
            t.grad = None

    def clip_grad_norm(self, max_norm: float) -> None:
        """``torch.nn.utils.clip_grad_norm_``: scale every gradient by
        ``min(1, max_norm / (total_norm + 1e-6))``."""
        grads = [t.grad for t in self.p.values() if t.grad is not None]
        total = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))  # type: ignore[arg-type]
        scale = min(1.0, max_norm / (float(total) + 1e-6))
        for g in grads:
            g.mul_(scale)

    @torch.no_grad()
    def step(self) -> None:
        b1, b2 = self.betas
        for name, t in self.p.items():
            if t.grad is None:
                continue
            s = self.state.setdefault(
                name,
                {"step": 0.0, "exp_avg": torch.zeros_like(t), "exp_avg_sq": torch.zeros_like(t)},
            )
            s["step"] += 1.0
            t.mul_(1 - self.lr * self.weight_decay)
            s["exp_avg"].mul_(b1).add_(t.grad, alpha=1 - b1)
            s["exp_avg_sq"].mul_(b2).addcmul_(t.grad, t.grad, value=1 - b2)
            c1, c2 = 1 - b1 ** s["step"], 1 - b2 ** s["step"]
            denom = (s["exp_avg_sq"].sqrt() / math.sqrt(c2)).add_(self.eps)
            t.addcdiv_(s["exp_avg"], denom, value=-self.lr / c1)


def adam_state(optimizer: AdamW) -> dict[str, dict[str, Array]]:
    """AdamW's per-parameter ``exp_avg``, ``exp_avg_sq`` and ``step``, by parameter name."""
    return {
        name: {
            k: np.asarray(v.detach().numpy() if isinstance(v, torch.Tensor) else v, np.float64)
            for k, v in optimizer.state.get(name, {}).items()
        }
        for name in optimizer.p
    }


def train(
    params: Mapping[str, Array],
    cfg: Cfg,
    train_batches: Sequence[Batch],
    val_batches: Sequence[Batch],
    *,
    lr: float,
    weight_decay: float,
    num_epochs: int,
    eval_freq: int,
    eval_iter: int,
    schedule: Schedule | None = None,
    zero_grad: bool = True,
    step: bool = True,
    tokens: Literal["numel", "rows", "batches"] = "numel",
    first_step: int = -1,
    swap_loaders: bool = False,
    kind: LossKind = "flatten",
) -> Trace:
    """``train_model_simple`` (or Appendix D's ``train_model`` with a ``schedule``) with
    ``AdamW(lr, weight_decay)``, evaluating every ``eval_freq`` steps on ``eval_iter``
    batches of each loader. The options reproduce mistakes (``first_step=0``: the step
    counter starts at 0, so evaluations come one step late)."""
    p = as_tensors(params, grad=True)
    optimizer = AdamW(p, lr, weight_decay)
    trace = Trace()
    seen, global_step = 0, first_step
    total_steps = len(train_batches) * num_epochs
    for _ in range(num_epochs):
        for x, y in train_batches:
            if zero_grad:
                optimizer.zero_grad()
            if schedule is not None:
                global_step += 1
                rate = schedule.lr(global_step, lr, total_steps)
                optimizer.lr = rate
                trace.lrs.append(rate)
            loss = batch_loss(p, cfg, x, y, kind)
            trace.step_losses.append(float(loss.detach()))
            loss.backward()
            if schedule is not None and schedule.clips(global_step):
                optimizer.clip_grad_norm(1.0)
            if step:
                optimizer.step()
            seen += {"numel": int(np.asarray(x).size), "rows": len(x), "batches": 1}[tokens]
            if schedule is None:
                global_step += 1
            if global_step % eval_freq == 0:
                first, second = (
                    (val_batches, train_batches)
                    if swap_loaders
                    else (
                        train_batches,
                        val_batches,
                    )
                )
                trace.train_losses.append(loader_loss(p, cfg, first, eval_iter, kind=kind))
                trace.val_losses.append(loader_loss(p, cfg, second, eval_iter, kind=kind))
                trace.tokens_seen.append(seen)
    trace.params = to_arrays(p)
    trace.adam = adam_state(optimizer)
    return trace


def plain_steps(
    params: Mapping[str, Array],
    cfg: Cfg,
    batches: Sequence[Batch],
    *,
    lr: float,
    weight_decay: float,
    resume: tuple[Mapping[str, Array], Mapping[str, Mapping[str, Array]]] | None = None,
) -> Trace:
    """One AdamW step per batch with the book's loss; ``step_losses`` are the losses before
    each step. ``resume`` = (weights, AdamW state by name) continues a run."""
    p = as_tensors(params, grad=True)
    optimizer = AdamW(p, lr, weight_decay)
    if resume is not None:
        weights, state = resume
        with torch.no_grad():
            for name, t in p.items():
                t.copy_(torch.as_tensor(np.asarray(weights[name], np.float64)))
        for name in p:
            saved = state.get(name, {})
            if saved:
                optimizer.state[name] = {
                    "step": float(saved["step"]),
                    "exp_avg": torch.tensor(np.asarray(saved["exp_avg"], np.float64)),
                    "exp_avg_sq": torch.tensor(np.asarray(saved["exp_avg_sq"], np.float64)),
                }
    trace = Trace()
    for x, y in batches:
        optimizer.zero_grad()
        loss = batch_loss(p, cfg, x, y)
        trace.step_losses.append(float(loss.detach()))
        loss.backward()
        optimizer.step()
    trace.params = to_arrays(p)
    trace.adam = adam_state(optimizer)
    return trace


# --- Classification (chapter 6) -----------------------------------------------------------------


def trainable_after_head(names: Sequence[str], n_layers: int) -> dict[str, bool]:
    """Which parameters ``add_classification_head`` leaves trainable: the new ``out_head``,
    the last transformer block and ``final_norm``; everything else is frozen."""
    last = f"trf_blocks.{n_layers - 1}."
    return {n: n.startswith(("out_head.", last, "final_norm.")) for n in names}


def pad_and_truncate(ids: Sequence[int], max_length: int, pad_token_id: int = 50256) -> list[int]:
    """SpamDataset/classify_review: truncate to ``max_length``, pad with ``pad_token_id``."""
    out = list(ids)[:max_length]
    return out + [pad_token_id] * (max_length - len(out))


# --- OpenAI's GPT-2 layout (chapter 5.5) --------------------------------------------------------


def from_openai(params: Mapping[str, Any], n_layers: int) -> dict[str, Array]:
    """The book's ``load_weights_into_gpt`` as a name mapping: OpenAI's nested params ->
    GPTModel's ``state_dict`` names. ``c_attn`` splits into Q, K, V along the last axis;
    Conv1D weights are transposed to ``nn.Linear``'s ``(out, in)``; ``out_head`` is tied to
    ``wte``."""
    out: dict[str, Array] = {
        "tok_emb.weight": np.asarray(params["wte"]),
        "pos_emb.weight": np.asarray(params["wpe"]),
    }
    for i in range(n_layers):
        blk = params["blocks"][i]
        pre = f"trf_blocks.{i}."
        q_w, k_w, v_w = np.split(np.asarray(blk["attn"]["c_attn"]["w"]), 3, axis=-1)
        q_b, k_b, v_b = np.split(np.asarray(blk["attn"]["c_attn"]["b"]), 3, axis=-1)
        for name, w, b in (("W_query", q_w, q_b), ("W_key", k_w, k_b), ("W_value", v_w, v_b)):
            out[f"{pre}att.{name}.weight"] = w.T
            out[f"{pre}att.{name}.bias"] = b
        out[f"{pre}att.out_proj.weight"] = np.asarray(blk["attn"]["c_proj"]["w"]).T
        out[f"{pre}att.out_proj.bias"] = np.asarray(blk["attn"]["c_proj"]["b"])
        out[f"{pre}ff.layers.0.weight"] = np.asarray(blk["mlp"]["c_fc"]["w"]).T
        out[f"{pre}ff.layers.0.bias"] = np.asarray(blk["mlp"]["c_fc"]["b"])
        out[f"{pre}ff.layers.2.weight"] = np.asarray(blk["mlp"]["c_proj"]["w"]).T
        out[f"{pre}ff.layers.2.bias"] = np.asarray(blk["mlp"]["c_proj"]["b"])
        for norm, key in (("norm1", "ln_1"), ("norm2", "ln_2")):
            out[f"{pre}{norm}.scale"] = np.asarray(blk[key]["g"])
            out[f"{pre}{norm}.shift"] = np.asarray(blk[key]["b"])
    out["final_norm.scale"] = np.asarray(params["g"])
    out["final_norm.shift"] = np.asarray(params["b"])
    out["out_head.weight"] = np.asarray(params["wte"])
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def openai_source(name: str) -> str:
    """Where a GPTModel parameter comes from in OpenAI's layout (for messages)."""
    parts = name.split(".")
    if name == "tok_emb.weight":
        return 'params["wte"]'
    if name == "pos_emb.weight":
        return 'params["wpe"]'
    if name == "out_head.weight":
        return 'params["wte"] (weight tying)'
    if parts[0] == "final_norm":
        return f'params["{"g" if parts[1] == "scale" else "b"}"]'
    if parts[0] != "trf_blocks":
        return "nothing"
    blk = f'params["blocks"][{parts[1]}]'
    rest = ".".join(parts[2:])
    leaf = "w" if rest.endswith("weight") else "b"
    table = {
        "att.W_query": f'{blk}["attn"]["c_attn"]["{leaf}"] (first third)',
        "att.W_key": f'{blk}["attn"]["c_attn"]["{leaf}"] (second third)',
        "att.W_value": f'{blk}["attn"]["c_attn"]["{leaf}"] (last third)',
        "att.out_proj": f'{blk}["attn"]["c_proj"]["{leaf}"]',
        "ff.layers.0": f'{blk}["mlp"]["c_fc"]["{leaf}"]',
        "ff.layers.2": f'{blk}["mlp"]["c_proj"]["{leaf}"]',
    }
    for prefix, source in table.items():
        if rest.startswith(prefix + "."):
            return source + (".T" if leaf == "w" else "")
    if rest.startswith(("norm1.", "norm2.")):
        key = "ln_1" if rest.startswith("norm1") else "ln_2"
        return f'{blk}["{key}"]["{"g" if rest.endswith("scale") else "b"}"]'
    return "nothing"
