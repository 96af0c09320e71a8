"""Shared pieces of the chapter 4 challenges (``transformer-block``, ``gpt-model``,
``text-generation``): small random configurations, the book's classes described as data
(constructor, parameter shapes, reference maths, known mistakes) and a forward judge.

The pattern is the attention challenges' (grading/challenges/attention.py): ``build`` draws
sizes, inputs and weights on the trusted side; the sandbox instantiates the learner's class by
name, loads the weights by the book's parameter names and runs forward (``module_forward``);
the judge recomputes the expected output from the probe's own weights with
``grading.reference.gpt`` and, when it differs, tries mistake variants to name the mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grading.challenges.base import Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import (
    as_array,
    compare_arrays,
    degenerate,
    failed,
    fmt_shape,
    forward_outputs,
    learner_param_listing,
    load_error_outcome,
    params_of,
    passed,
    probe_failure,
    shape_problems,
)

ATOL = 1e-4
RTOL = 1e-4
Cfg = dict[str, Any]
Shapes = dict[str, tuple[int, ...]]


def rint(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def small_cfg(rng: np.random.Generator, **fixed: Any) -> Cfg:
    """A GPT configuration small enough for a fast probe (the book's keys)."""
    heads = rint(rng, 2, 3)
    cfg: Cfg = {
        "vocab_size": rint(rng, 20, 60),
        "context_length": rint(rng, 4, 8),
        "emb_dim": heads * rint(rng, 2, 4),
        "n_heads": heads,
        "n_layers": rint(rng, 1, 2),
        "drop_rate": 0.0,
        "qkv_bias": False,
    }
    cfg.update(fixed)
    return cfg


ALL_KEYS = (
    "vocab_size",
    "context_length",
    "emb_dim",
    "n_heads",
    "n_layers",
    "drop_rate",
    "qkv_bias",
)


def cfg_text(cfg: Cfg, keys: Sequence[str] = ALL_KEYS) -> str:
    return ", ".join(f"{k}={cfg[k]!r}" for k in keys if k in cfg)


def layer_norm_inputs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Rows of very different spread: some with a variance near eps, so eps matters."""
    rows = int(np.prod(shape[:-1]))
    stds = rng.choice([1.0, 0.3, 0.003], size=(rows, 1))
    means = rng.normal(0.0, 0.5, (rows, 1)) * (stds > 0.01)
    x = means + stds * rng.normal(0.0, 1.0, (rows, shape[-1]))
    return x.reshape(shape).astype(np.float32)


def normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    return rng.normal(0.0, scale, shape).astype(np.float32)


# --- The book's classes as data --------------------------------------------------------------


Mistake = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Part:
    """One of the book's chapter 4 classes, described for probes and judges."""

    cls: str
    # Constructor arguments from a configuration (LayerNorm(emb_dim), GELU(), X(cfg)).
    ctor: Callable[[Cfg], list[Any]]
    shapes: Callable[[Cfg], Shapes]
    # reference(x, params, cfg, **mistake_options) -> expected output (float64)
    reference: Callable[..., np.ndarray]
    layout: str
    mistakes: Callable[[Cfg], list[Mistake]] = field(default=lambda cfg: [])
    out_dim: Callable[[Cfg], int | None] = field(default=lambda cfg: int(cfg["emb_dim"]))
    atol: float = ATOL
    rtol: float = RTOL
    integer_input: bool = False
    cfg_keys: tuple[str, ...] = ALL_KEYS  # the keys a message shows

    def signature(self, cfg: Cfg) -> str:
        args = self.ctor(cfg)
        if not args:
            return f"{self.cls}()"
        if isinstance(args[0], dict):
            return f"{self.cls}(cfg with {cfg_text(cfg, self.cfg_keys)})"
        return f"{self.cls}({', '.join(map(repr, args))})"


def probe_cfg(probe: Probe) -> Cfg:
    """The configuration behind a probe's constructor arguments (``X(cfg)``, ``LayerNorm(emb)``)."""
    args = probe.args.get("args") or []
    if args and isinstance(args[0], dict):
        return dict(args[0])
    return {"emb_dim": args[0]} if args else {}


def forward_probe(
    part: Part,
    cfg: Cfg,
    xs: Sequence[np.ndarray],
    *,
    params: dict[str, np.ndarray] | None = None,
    seed_: int | None = None,
    train: bool = False,
    forward_seed: int | None = None,
    return_params: bool = False,
    timeout_s: float = 5.0,
) -> Probe:
    args: dict[str, Any] = {
        "cls": part.cls,
        "args": part.ctor(cfg),
        "calls": [[x] for x in xs],
        "train": train,
    }
    if params is not None:
        args["tensors"] = params
    if seed_ is not None:
        args["seed"] = seed_
    if forward_seed is not None:
        args["forward_seed"] = forward_seed
    if return_params:
        args["return_params"] = True
    return Probe("module_forward", args, timeout_s=timeout_s)


@dataclass(frozen=True)
class Run:
    """One forward probe's inputs, weights and the learner's validated outputs."""

    part: Part
    cfg: Cfg
    xs: list[np.ndarray]
    outputs: list[Any]
    params: dict[str, np.ndarray]
    value: dict[str, Any]

    @property
    def what(self) -> str:
        return f"{self.part.signature(self.cfg)} on input of shape {fmt_shape(self.xs[0].shape)}"


def read_run(
    part: Part, probe: Probe, result: ProbeResult, *, hint: str = "", context: str = ""
) -> Run | CheckOutcome:
    """Validate a ``module_forward`` result; with the learner's own weights (no ``tensors``
    sent) they must come back with the book's names and be non-degenerate."""
    cfg = probe_cfg(probe)
    xs = [c[0] for c in probe.args.get("calls", [])]
    shape = fmt_shape(xs[0].shape) if xs else "()"
    what = f"{part.signature(cfg)} on input of shape {shape}{context}"
    value = forward_outputs(probe, result, what=what, hint=hint, layout_hint=part.layout)
    if isinstance(value, CheckOutcome):
        return value
    params = probe.args.get("tensors")
    if params is None:
        expected = part.shapes(cfg)
        params = params_of(value, expected) if probe.args.get("return_params") else {}
        if params is None:
            return failed(
                f"{part.signature(cfg)} does not have exactly the book's parameters. {part.layout}",
                learner_param_listing(value.get("param_shapes")),
            )
        for name, weight in params.items():
            if name.rsplit(".", 1)[-1] in ("scale", "shift", "bias"):
                continue  # LayerNorm starts at ones/zeros; biases may start at zero
            problem = degenerate(weight)
            if problem is not None:
                return failed(
                    f"{what}: the initial {name} is {problem}; initialise it randomly "
                    "(nn.Linear and nn.Embedding do that) so the model can learn."
                )
    return Run(part, cfg, xs, value["outputs"], params, value)


def expected(run: Run, i: int = 0, **opts: Any) -> np.ndarray:
    return run.part.reference(run.xs[i], run.params, run.cfg, **opts)


def usable(run: Run, *, context: str = "") -> CheckOutcome | None:
    """Every output is a float tensor of the expected shape with finite values."""
    for out, x in zip(run.outputs, run.xs, strict=True):
        dim = run.part.out_dim(run.cfg)
        if dim is None:
            shape: tuple[int, ...] = tuple(x.shape)
        else:
            shape = (*x.shape, dim) if run.part.integer_input else (*x.shape[:-1], dim)
        arr = as_array(out)
        if arr is None or arr.shape != shape or arr.dtype.kind != "f":
            got = f"shape {fmt_shape(arr.shape)}" if arr is not None else type(out).__name__
            return failed(
                f"{run.what}{context}: expected an output of shape {fmt_shape(shape)}, got {got}."
            )
        if not np.isfinite(arr).all():
            return failed(f"{run.what}{context}: your output holds NaN or inf values.")
    return None


def compare(run: Run, i: int = 0, *, context: str = "") -> CheckOutcome | None:
    """Compare output ``i`` with the reference; on a mismatch try to name the mistake."""
    want = expected(run, i)
    outcome = compare_arrays(
        want, run.outputs[i], atol=run.part.atol, rtol=run.part.rtol, dtype="float32"
    )
    if outcome is None:
        return None
    got = as_array(run.outputs[i])
    for message, opts in run.part.mistakes(run.cfg):
        try:
            candidate = expected(run, i, **opts)
        except (ValueError, IndexError, KeyError):
            continue
        if (
            got is not None
            and got.shape == candidate.shape
            and np.allclose(
                got.astype(np.float64), candidate, atol=run.part.atol, rtol=run.part.rtol
            )
        ):
            return failed(f"{run.what}{context}: {message}", outcome.output)
    return failed(f"{run.what}{context}: {outcome.message}", outcome.output)


def judge_each(
    part: Part,
    per_run: Callable[[Run], CheckOutcome | None],
    success: str,
    *,
    hint: str = "",
    context: str = "",
) -> Callable[[Sequence[Probe], Sequence[ProbeResult]], CheckOutcome]:
    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        for probe, result in zip(probes, results, strict=True):
            run = read_run(part, probe, result, hint=hint, context=context)
            if isinstance(run, CheckOutcome):
                return run
            outcome = per_run(run)
            if outcome is not None:
                return outcome
        return passed(success)

    return judge


def reference_judge(part: Part, success: str, *, hint: str = "", context: str = "") -> Any:
    def per_run(run: Run) -> CheckOutcome | None:
        return usable(run, context=context) or compare(run, context=context)

    return judge_each(part, per_run, success, hint=hint, context=context)


# --- Structure checks (inspect_module) -------------------------------------------------------


def structure_judge(
    part: Part,
    attributes: dict[str, tuple[str, ...]],
    success: str,
    *,
    lengths: Callable[[Cfg], dict[str, int]] = lambda cfg: {},
) -> Callable[[Sequence[Probe], Sequence[ProbeResult]], CheckOutcome]:
    """Parameter names/shapes as the book's, and attributes of the expected module types."""

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        for probe, result in zip(probes, results, strict=True):
            cfg = probe_cfg(probe)
            sig = part.signature(cfg)
            failure = probe_failure(result, what=sig, hint="(while constructing it)")
            if failure is not None:
                return failure
            value = result.value if isinstance(result.value, dict) else {}
            attrs = value.get("attributes") if isinstance(value.get("attributes"), dict) else {}
            for attr, types in attributes.items():
                info = attrs.get(attr) if isinstance(attrs.get(attr), dict) else {}
                if info.get("type") not in types:
                    return failed(
                        f"{sig}: self.{attr} should be {' or '.join(types)}, found "
                        f"{info.get('type', 'nothing')}. {part.layout}"
                    )
            for attr, n in lengths(cfg).items():
                info = attrs.get(attr) if isinstance(attrs.get(attr), dict) else {}
                if info.get("len") != n:
                    return failed(
                        f"{sig}: self.{attr} should hold {n} modules, found {info.get('len')}."
                    )
            params = value.get("parameters") if isinstance(value.get("parameters"), dict) else {}
            found = {n: d.get("shape") for n, d in params.items() if isinstance(d, dict)}
            problems = shape_problems(found, part.shapes(cfg))
            if any(problems.values()):
                out = load_error_outcome(problems, what=sig, hint=part.layout)
                return failed(
                    out.message.replace("Could not load weights into", "Wrong parameters in"),
                    learner_param_listing(found),
                )
        return passed(success)

    return judge


def inspect_probe(
    part: Part, cfg: Cfg, attributes: Sequence[str], rng: np.random.Generator
) -> Probe:
    return Probe(
        "inspect_module",
        {
            "cls": part.cls,
            "args": part.ctor(cfg),
            "attributes": list(attributes),
            "seed": seed(rng),
        },
    )


# --- Dropout checks --------------------------------------------------------------------------


def eval_deterministic_check(
    part: Part,
    name: str,
    build: Callable[[np.random.Generator], list[Probe]],
    *,
    video: str,
    card: int,
) -> Check:
    """With drop_rate > 0 in eval mode: two calls agree and equal the reference (no dropout)."""

    def per_run(run: Run) -> CheckOutcome | None:
        issue = usable(run)
        if issue is not None:
            return issue
        first, second = (np.asarray(o) for o in run.outputs[:2])
        if not np.array_equal(first, second):
            return failed(
                f"{run.what}, eval mode: two forward passes on the same input gave different "
                "outputs. Dropout must be off after model.eval(): use nn.Dropout modules."
            )
        return compare(run, context=" in eval mode (dropout must be off)")

    return Check(
        name,
        f"In eval mode {part.cls} with drop_rate > 0 is deterministic and equals the reference "
        "without dropout.",
        build,
        judge_each(part, per_run, "Eval mode switches dropout off."),
        video=video,
        card=card,
        needs=(part.cls,),
    )


def train_dropout_check(
    part: Part,
    name: str,
    build: Callable[[np.random.Generator], list[Probe]],
    *,
    video: str,
    card: int,
) -> Check:
    """In train mode with drop_rate > 0 the output differs from eval mode and between calls."""

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        runs = []
        for probe, result in zip(probes, results, strict=True):
            run = read_run(part, probe, result)
            if isinstance(run, CheckOutcome):
                return run
            issue = usable(run)
            if issue is not None:
                return issue
            runs.append(run)
        eval_run, train_run = runs
        base = np.asarray(eval_run.outputs[0])
        outs = [np.asarray(o) for o in train_run.outputs]
        if all(np.allclose(o, base, atol=ATOL, rtol=RTOL) for o in outs):
            return failed(
                f"{train_run.what}, train mode with drop_rate={train_run.cfg['drop_rate']}: the "
                "output equals the eval-mode output, so no dropout is applied. Apply "
                "self.drop_shortcut (nn.Dropout(cfg['drop_rate'])) to each branch before the "
                "shortcut is added (and drop_emb after the embeddings in GPTModel)."
            )
        if all(np.array_equal(outs[0], o) for o in outs[1:]):
            return failed(
                f"{train_run.what}, train mode: every forward pass dropped the same values: "
                "dropout must draw a new random mask each call."
            )
        return passed("Dropout is active in train mode and draws a new mask each call.")

    return Check(
        name,
        f"In train mode {part.cls} with drop_rate > 0 applies dropout: the output differs from "
        "eval mode and from call to call.",
        build,
        judge,
        video=video,
        card=card,
        needs=(part.cls,),
    )
