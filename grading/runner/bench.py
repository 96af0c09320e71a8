"""Latency of one grading run: warm sandbox vs. a naive grader.

    python -m grading.runner.bench --n 50

``run()`` through the warm zygote (fork -> confined child -> small attention forward ->
bytes back -> judged on the trusted side) against a naive grader that starts a fresh
``python -c`` per submission, imports torch and runs the same probe (no sandbox at all).
Also prints the zygote's start-up time and the torch-loaded RSS. The HTTP -> Redis ->
worker round trip is measured elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

import numpy as np

from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult

SOLUTION = """
import torch

def attention(x, w_q, w_k, w_v):
    q, k, v = x @ w_q, x @ w_k, x @ w_v
    scores = q @ k.transpose(-2, -1) / k.shape[-1] ** 0.5
    mask = torch.triu(torch.ones(x.shape[1], x.shape[1], dtype=torch.bool), diagonal=1)
    weights = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
    return weights @ v
"""

NAIVE_SCRIPT = r"""
import importlib.util, json, sys
import numpy as np
import torch
data = json.loads(sys.stdin.read())
spec = importlib.util.spec_from_file_location("solution", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
args = [torch.tensor(np.asarray(a, dtype=np.float32)) for a in data]
print(json.dumps(mod.attention(*args).detach().numpy().tolist()))
"""


def _inputs(rng: np.random.Generator) -> list[np.ndarray]:
    x = rng.standard_normal((2, 6, 16)).astype(np.float32)
    return [x] + [rng.standard_normal((16, 16)).astype(np.float32) / 4 for _ in range(3)]


def reference(x: np.ndarray, w_q: np.ndarray, w_k: np.ndarray, w_v: np.ndarray) -> np.ndarray:
    q, k, v = x @ w_q, x @ w_k, x @ w_v
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(k.shape[-1])
    scores = np.where(np.triu(np.ones((x.shape[1],) * 2, dtype=bool), 1), -np.inf, scores)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return (weights / weights.sum(-1, keepdims=True)) @ v


def _build(rng: np.random.Generator) -> Sequence[Probe]:
    return [Probe("call_torch", {"name": "attention", "args": _inputs(rng)}, timeout_s=10)]


def _judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
    (result,) = results
    expected = reference(*probes[0].args["args"])
    ok = (
        result.ok
        and isinstance(result.value, np.ndarray)
        and result.value.shape == expected.shape
        and np.allclose(result.value, expected, atol=1e-4)
    )
    return CheckOutcome("pass" if ok else "fail", "causal attention")


BENCH_SPEC = ChallengeSpec(
    slug="bench-attention",
    names=("attention",),
    checks=(
        Check(
            "causal attention", "attention(x, w_q, w_k, w_v)", _build, _judge, needs=("attention",)
        ),
    ),
    starter="",
    wall_s=20.0,
)


def _summary(label: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return (
        f"{label:<34} n={len(ms):<4} p50={statistics.median(ms):8.1f} ms  "
        f"p95={p95:8.1f} ms  min={ms[0]:7.1f} ms  max={ms[-1]:7.1f} ms"
    )


def bench_sandbox(n: int, gap_s: float) -> tuple[list[float], list[float], dict[str, float]]:
    """(latencies with ``gap_s`` idle between submissions, back-to-back latencies, facts)."""
    from grading.runner import run
    from grading.runner.pool import SandboxPool

    pool = SandboxPool()
    started = time.monotonic()
    pool.start()
    info = pool.info
    facts = {
        "start_s": time.monotonic() - started,
        "rss_mb": info.rss_mb if info else 0.0,
        "vmsize_mb": info.vmsize_mb if info else 0.0,
    }

    def one() -> float:
        t0 = time.perf_counter()
        report = run(BENCH_SPEC.slug, SOLUTION, spec=BENCH_SPEC, pool=pool)
        elapsed = time.perf_counter() - t0
        if report.status != "pass":
            raise SystemExit(f"benchmark submission did not pass: {report.to_dict()}")
        return elapsed

    try:
        one()  # warm-up
        spaced = []
        for _ in range(n):
            # Learners resubmit seconds apart: the zygote has reaped the last child and
            # pre-forked the next one by then.
            time.sleep(gap_s)
            spaced.append(one())
        burst = [one() for _ in range(n)]
    finally:
        pool.shutdown()
    return spaced, burst, facts


def bench_naive(n: int) -> list[float]:
    rng = np.random.default_rng(0)
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "solution.py")
        with open(path, "w") as fh:
            fh.write(SOLUTION)
        for _ in range(n):
            args = _inputs(rng)
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", NAIVE_SCRIPT, path],
                input=json.dumps([a.tolist() for a in args]),
                capture_output=True,
                text=True,
                check=True,
            )
            value = np.asarray(json.loads(out.stdout), dtype=np.float32)
            assert np.allclose(value, reference(*args), atol=1e-4)
            samples.append(time.perf_counter() - t0)
    return samples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="runs per grader (default 50)")
    parser.add_argument(
        "--naive-n", type=int, default=None, help="runs of the naive grader (default: same as --n)"
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=0.2,
        help="idle seconds between sandboxed submissions (default 0.2)",
    )
    args = parser.parse_args(argv)
    spaced, burst, facts = bench_sandbox(args.n, args.gap)
    naive = bench_naive(args.naive_n or args.n)
    print(
        f"zygote start (bwrap + imports + self-test): {facts['start_s']:.2f} s; "
        f"torch-loaded zygote RSS {facts['rss_mb']:.0f} MiB, "
        f"VmSize {facts['vmsize_mb']:.0f} MiB; load average {os.getloadavg()[0]:.2f}"
    )
    print(_summary(f"run(), warm zygote, {args.gap:g} s apart", spaced))
    print(_summary("run(), warm zygote, back to back", burst))
    print(_summary("naive: fresh python -c per run", naive))
    return 0


if __name__ == "__main__":
    sys.exit(main())
