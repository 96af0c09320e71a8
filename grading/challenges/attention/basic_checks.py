"""Attention checks of parameters, output shapes and outputs against the reference (with
the grader's weights and with the learner's own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from grading.challenges.attention.arch import (
    _LAYOUT_HINT,
    Arch,
    _int,
    _random_setup,
    _seed,
    _x,
)
from grading.challenges.attention.runs import (
    Run,
    _compare_to_reference,
    _forward_probe,
    _judge_each,
)
from grading.challenges.base import Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import (
    compare_shape,
    failed,
    learner_param_listing,
    load_error_outcome,
    passed,
    probe_failure,
)

# --- Check factories ------------------------------------------------------------------------


def weight_shapes_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """The book's parameter names and shapes (and ``heads`` for the wrapper)."""
    biases = (False, True) if arch.kind != "v1" else (False,)

    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for bias in biases:
            s, _, _ = _random_setup(arch, rng, qkv_bias=bias)
            probes.append(
                Probe(
                    "inspect_module",
                    {
                        "cls": arch.cls,
                        "args": arch.ctor_args(s, pass_bias=bias),
                        "seed": _seed(rng),
                        "attributes": ["heads"],
                    },
                )
            )
        return probes

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        for probe, result in zip(probes, results, strict=True):
            s = arch.setup_from(probe.args["args"])
            sig = arch.signature(s, bias=True)
            failure = probe_failure(result, what=sig, hint="(while constructing it)")
            if failure is not None:
                return failure
            value = result.value if isinstance(result.value, dict) else {}
            found = {
                n: d.get("shape")
                for n, d in value.get("parameters", {}).items()
                if isinstance(d, dict)
            }
            expected = arch.param_shapes(s)
            error = {
                "unknown": [[n, list(e)] for n, e in expected.items() if n not in found],
                "mismatched": [
                    [n, list(e), found[n]]
                    for n, e in expected.items()
                    if n in found and tuple(found[n] or ()) != e
                ],
                "not_given": [[n, f] for n, f in found.items() if n not in expected],
            }
            if any(error.values()):
                bias_hint = (
                    " Pass bias=qkv_bias to each nn.Linear."
                    if any(
                        n.endswith(".bias") and ".W_" in f".{n}"
                        for n, *_ in error["unknown"] + error["not_given"]
                    )
                    else ""
                )
                out = load_error_outcome(error, what=sig, hint=_LAYOUT_HINT[arch.kind] + bias_hint)
                return replace(
                    out,
                    message=out.message.replace(
                        "Could not load weights into", "Wrong parameters in"
                    ),
                    output=learner_param_listing(found),
                )
            if arch.kind == "wrapper":
                heads = value.get("attributes", {}).get("heads", {})
                if heads.get("kind") != "module" or heads.get("len") != s.num_heads:
                    return failed(
                        f"{sig}: self.heads should be an nn.ModuleList of "
                        f"{s.num_heads} CausalAttention modules, found "
                        f"{heads.get('type', 'nothing')}."
                    )
        return passed(f"{arch.cls} has the book's parameters with the right shapes.")

    return Check(
        name,
        f"{arch.cls} defines the book's parameters with the book's shapes"
        + (", with biases exactly when qkv_bias=True" if arch.kind != "v1" else "")
        + ".",
        build,
        judge,
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def output_shape_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """Output shape and dtype for several sizes (the learner's own weights)."""

    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for n_lo in (1, 3, 5):
            s, n, b = _random_setup(arch, rng, n=_int(rng, n_lo, n_lo + 2))
            probes.append(
                _forward_probe(
                    arch, s, [_x(rng, arch.x_shape(s, n, b))], params=None, seed=_seed(rng)
                )
            )
        return probes

    def per_run(run: Run) -> CheckOutcome | None:
        expected_shape = run.arch.out_shape(run.setup, run.xs[0].shape)
        outcome = compare_shape(expected_shape, run.outputs[0], dtype="float32")
        return None if outcome is None else failed(f"{run.what}: {outcome.message}", outcome.output)

    shape_txt = {
        "v1": "(num_tokens, d_out)",
        "v2": "(num_tokens, d_out)",
        "causal": "(b, num_tokens, d_out)",
        "mha": "(b, num_tokens, d_out)",
        "wrapper": "(b, num_tokens, d_out * num_heads)",
    }[arch.kind]
    return Check(
        name,
        f"{arch.cls}.forward returns a float32 tensor of shape {shape_txt} for several sizes.",
        build,
        _judge_each("", per_run, f"{arch.cls} returns {shape_txt} for every size tried."),
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def reference_check(
    arch: Arch, name: str, *, video: str, card: int, qkv_bias: bool = False
) -> Check:
    """Same output as the reference for given random weights (two sizes)."""

    def build(rng: np.random.Generator) -> list[Probe]:
        probes = []
        for _ in range(2):
            s, n, b = _random_setup(arch, rng, qkv_bias=qkv_bias)
            probes.append(
                _forward_probe(
                    arch, s, [_x(rng, arch.x_shape(s, n, b))], params=arch.random_params(s, rng)
                )
            )
        return probes

    bias_txt = " with qkv_bias=True (biases in the query/key/value projections)" if qkv_bias else ""
    hint = "Pass bias=qkv_bias to each nn.Linear." if qkv_bias else ""
    return Check(
        name,
        f"With weights the grader loads into it{bias_txt}, {arch.cls} gives the same output as "
        "the reference implementation (eval mode).",
        build,
        _judge_each(
            hint,
            _compare_to_reference,
            f"{arch.cls}{bias_txt} matches the reference output with the grader's weights.",
        ),
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def own_weights_check(arch: Arch, name: str, *, video: str, card: int) -> Check:
    """The learner's own initial weights: non-degenerate, and the output matches them."""

    def build(rng: np.random.Generator) -> list[Probe]:
        s, n, b = _random_setup(arch, rng)
        return [
            _forward_probe(
                arch,
                s,
                [_x(rng, arch.x_shape(s, n, b))],
                params=None,
                seed=_seed(rng),
                return_params=True,
            )
        ]

    def per_run(run: Run) -> CheckOutcome | None:
        sig = run.arch.signature(run.setup)
        got = run.value.get("params")
        expected = run.arch.param_shapes(run.setup)
        if (
            not isinstance(got, dict)
            or set(got) != set(expected)
            or any(
                not isinstance(got[k], np.ndarray) or got[k].shape != expected[k] for k in expected
            )
        ):
            shapes = {k: list(v.shape) for k, v in (got or {}).items() if isinstance(v, np.ndarray)}
            return failed(
                f"{sig} does not have the book's parameters "
                f"({', '.join(expected)}). {_LAYOUT_HINT[run.arch.kind]}",
                learner_param_listing(shapes),
            )
        for key, arr in got.items():
            if key.endswith("bias"):
                continue
            a = arr.astype(np.float64)
            if not np.isfinite(a).all() or float(np.std(a)) < 1e-6:
                return failed(
                    f"{sig}: the initial {key} is constant or not finite "
                    f"({_degenerate_kind(a)}); initialise it randomly "
                    f"({'torch.rand' if run.arch.kind == 'v1' else 'nn.Linear'} "
                    "does that) so the model can learn."
                )
        own = replace(run, params=got)
        outcome = _compare_to_reference(own, context=" with its own initial weights")
        return outcome

    return Check(
        name,
        f"{arch.cls} initialises random (non-constant) weights and its output "
        "matches the reference computed from those weights.",
        build,
        _judge_each(
            "",
            per_run,
            f"{arch.cls}'s output is consistent with its own randomly initialised weights.",
        ),
        video=video,
        card=card,
        needs=(arch.cls,),
    )


def _degenerate_kind(a: np.ndarray) -> str:
    """Words for why initial weights are unusable (for the own-weights message)."""
    if not np.isfinite(a).all():
        return "not finite"
    if not np.any(a):
        return "all zeros"
    if np.all(a == a.flat[0]):
        return f"every value {a.flat[0]:.4g}"
    return "nearly constant"
