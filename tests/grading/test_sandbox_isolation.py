"""The isolation report is honest (it matches what a sandboxed submission observes), the
pool fails closed when a required layer is missing, and the jail is laid out as designed."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any

import numpy as np
import pytest

from grading import runner
from grading.challenges.base import Check, CheckOutcome, Probe
from grading.runner.pool import (
    JAIL_PACKAGE_ROOT,
    REPO_ROOT,
    SANDBOX_DIR,
    Layout,
    PoolSettings,
    SandboxPool,
    _parse_require,
    bwrap_argv,
)
from tests.grading.sandbox_support import (
    ADD_SPEC,
    FAST,
    HONEST_ADD,
    report_json,
    shared_pool,
    simple_spec,
)


@pytest.fixture(scope="module")
def pool() -> SandboxPool:
    """The session's warm sandbox (started once, shared by the test modules)."""
    return shared_pool()


OBSERVER = r"""
import errno, os, resource, socket, threading

def _err(fn):
    try:
        fn()
        return "ALLOWED"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))

def observe():
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    with open("/proc/net/dev") as fh:
        interfaces = sorted(l.split(":")[0].strip() for l in fh.readlines()[2:])
    return {
        "interfaces": interfaces,
        "seccomp": status["Seccomp"].strip(),
        "no_new_privs": status["NoNewPrivs"].strip(),
        "cap_eff": status["CapEff"].strip(),
        "socket": _err(lambda: socket.socket()),
        "fork": _err(os.fork),
        "write_tmp": _err(lambda: open("/tmp/observer", "w")),
        "write_scratch": _err(lambda: open("here.txt", "w").close()),
        "kill_parent": _err(lambda: os.kill(os.getppid(), 0)),
        "repo_visible": any(os.path.exists(REPO + p) for p in ("/manage.py", "/grading/reference")),
        "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        "env": sorted(os.environ),
        "initial_env": sorted(kv.split("=", 1)[0]
                              for kv in open("/proc/self/environ").read().split("\0") if kv),
        "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "fsize": list(resource.getrlimit(resource.RLIMIT_FSIZE)),
        "core": list(resource.getrlimit(resource.RLIMIT_CORE)),
        "as": list(resource.getrlimit(resource.RLIMIT_AS)),
        "cpu": list(resource.getrlimit(resource.RLIMIT_CPU)),
        "pid": os.getpid(),
        "sid_is_self": os.getsid(0) == os.getpid(),
        "cwd_is_scratch": os.getcwd().startswith("/tmp/job-"),
        "hostname": socket.gethostname(),
    }
"""


def observe(pool: SandboxPool) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def build(rng: np.random.Generator) -> list[Probe]:
        return [Probe("call", {"name": "observe", "args": []})]

    def judge(probes: Any, results: Any) -> CheckOutcome:
        assert results[0].ok, results[0].error
        seen.update(results[0].value)
        return CheckOutcome("pass", "observed")

    spec = simple_spec(Check("observe", "", build, judge), names=("observe",))
    source = f"REPO = {str(REPO_ROOT)!r}\n" + OBSERVER
    report = runner.run(spec.slug, source, spec=spec, limits=FAST, pool=pool)
    assert report.status == "pass", report_json(report)
    return seen


def test_isolation_report_matches_what_the_child_sees(pool: SandboxPool) -> None:
    layers = pool.isolation_layers()
    text = "\n".join(layers)
    seen = observe(pool)

    assert any(line.startswith("bubblewrap") and "verified" in line for line in layers), text
    assert seen["interfaces"] == ["lo"] and seen["hostname"] == "sandbox"
    assert seen["repo_visible"] is False

    assert any(line.startswith("seccomp: EPERM") for line in layers), text
    assert seen["seccomp"] == "2" and seen["no_new_privs"] == "1"
    assert seen["socket"] == "EPERM" and seen["fork"] == "EPERM"
    assert seen["kill_parent"] == "EPERM"
    assert seen["cap_eff"] == "0000000000000000"

    if any(line.startswith("landlock ABI") for line in layers):
        assert seen["write_tmp"] == "EACCES"
    else:
        assert any(line.startswith("landlock: unavailable") for line in layers)
    assert seen["write_scratch"] == "ALLOWED" and seen["cwd_is_scratch"]

    assert seen["fds"] == [0, 1, 2, 3, 4] or seen["fds"] == [0, 1, 2, 3], seen["fds"]
    assert seen["env"] == ["HOME", "MPLBACKEND", "TMPDIR"]
    assert set(seen["initial_env"]) <= {"PWD"}  # the zygote itself started empty
    assert seen["nofile"] == [64, 64] and seen["fsize"] == [8 << 20, 8 << 20]
    assert seen["core"] == [0, 0] and seen["cpu"][0] == 3
    assert seen["as"][0] > 0 and seen["as"][0] < (8 << 30)
    assert seen["sid_is_self"] is True
    rlimits = next(line for line in layers if line.startswith("rlimits"))
    assert "nofile 64" in rlimits and "fsize 8 MiB" in rlimits and "core 0" in rlimits
    if os.getuid() == 0:  # SANDBOX.md: RLIMIT_NPROC is not enforced for root; say so
        assert "nproc is not enforced for uid 0" in rlimits
    assert any("watchdog" in line for line in layers)


def test_cgroup_layer_reported_honestly(pool: SandboxPool) -> None:
    layers = pool.isolation_layers()
    zygote = pool._zygote
    assert zygote is not None
    if zygote.cgroup is not None and zygote.cgroup.active:
        for path in zygote.cgroup.paths:
            procs = open(os.path.join(path, "cgroup.procs")).read().split()
            assert str(zygote.proc.pid) in procs  # type: ignore[union-attr]
        assert any(line.startswith("cgroup v1 pids") for line in layers)
    else:
        assert any(
            "cgroup" in line and ("unavailable" in line or "disabled" in line) for line in layers
        )


def test_libraries_work_under_confinement(pool: SandboxPool) -> None:
    source = r"""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import psutil
import tiktoken
import torch
from tqdm import tqdm

def use_all():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    fig.savefig("plot.png")
    df = pd.DataFrame({"a": [1, 2, 3]})
    total = sum(i for i in tqdm(range(10)))
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    x = torch.randn(2, 4, 8, requires_grad=True)
    out, _ = mha(x, x, x)
    out.sum().backward()
    enc = tiktoken.get_encoding("gpt2")
    return [matplotlib.get_backend(), int(df.a.sum()), total, list(out.shape),
            enc.encode("Hello, world"), psutil.Process().pid > 0, torch.get_num_threads()]
"""
    spec = simple_spec(
        Check(
            "libs",
            "",
            lambda rng: [Probe("call", {"name": "use_all", "args": []})],
            lambda p, r: CheckOutcome("pass" if r[0].ok else "fail", repr(r[0].error)),
        ),
        names=("use_all",),
    )
    seen: list[Any] = []
    report = runner.run(
        spec.slug, source, spec=spec, limits=FAST, pool=pool, on_check=lambda c: seen.append(c)
    )
    assert report.status == "pass", report_json(report)


def _settings(**changes: Any) -> PoolSettings:
    return dataclasses.replace(PoolSettings.from_env(), **changes)


def test_fails_closed_without_bwrap() -> None:
    own = SandboxPool(_settings(bwrap="/nonexistent/bwrap"))
    try:
        report = runner.run(
            "test-add",
            "open('/tmp/la-should-not-run', 'w')\n" + HONEST_ADD,
            spec=ADD_SPEC,
            limits=FAST,
            pool=own,
        )
        assert report.status == "error"
        assert report.message.startswith("sandbox unavailable: bwrap not found")
        assert own._zygote is None  # nothing was started, nothing ran
        assert not os.path.exists("/tmp/la-should-not-run")
        assert own.isolation_layers()[0].startswith("sandbox unavailable")
    finally:
        own.shutdown()


def test_fails_closed_when_a_required_layer_is_not_active() -> None:
    own = SandboxPool(_settings(require=frozenset({"bwrap", "seccomp", "cgroup"}), cgroup=False))
    try:
        report = runner.run("test-add", HONEST_ADD, spec=ADD_SPEC, limits=FAST, pool=own)
        assert report.status == "error"
        assert "required isolation layer(s) missing: cgroup" in report.message
        assert own._zygote is None
    finally:
        own.shutdown()


def test_relaxed_requirements_run_without_bwrap_and_say_so() -> None:
    own = SandboxPool(_settings(bwrap="/nonexistent/bwrap", require=frozenset({"seccomp"})))
    try:
        report = runner.run("test-add", HONEST_ADD, spec=ADD_SPEC, limits=FAST, pool=own)
        assert report.status == "pass", report_json(report)
        assert any("bwrap: NOT USED" in line for line in report.isolation)
        assert any(line.startswith("seccomp: EPERM") for line in report.isolation)
    finally:
        own.shutdown()


@pytest.mark.parametrize(
    "value, expected",
    [
        ("bwrap,seccomp", {"bwrap", "seccomp"}),
        (" Seccomp , landlock ", {"seccomp", "landlock"}),
        ("none", set()),
        ("bwrap,secomp", {"bwrap", "seccomp"}),  # a typo never relaxes the defaults
    ],
)
def test_parse_require(value: str, expected: set[str]) -> None:
    assert _parse_require(value) == frozenset(expected)


def test_jail_layout() -> None:
    settings = _settings(bwrap="/usr/bin/bwrap")
    layout = Layout.detect(settings)
    assert os.path.realpath(sys.base_prefix) in layout.prefixes
    assert os.path.realpath(sys.prefix) in layout.prefixes
    argv = bwrap_argv(settings, layout)
    binds = [(argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a == "--ro-bind"]
    sources = [src for src, _ in binds]
    assert (str(SANDBOX_DIR), f"{JAIL_PACKAGE_ROOT}/grading/sandbox") in binds
    assert str(REPO_ROOT) not in sources  # only the venv and the sandbox package
    for flag in (
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--disable-userns",
    ):
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert "--share-net" not in argv
    assert argv[argv.index("--size") + 1] == str(settings.tmpfs_mb << 20)
    assert argv[-4:] == [
        layout.python,
        "-I",
        "-B",
        f"{JAIL_PACKAGE_ROOT}/grading/sandbox/zygote.py",
    ]
    if layout.gpt2_host:
        assert layout.gpt2_host.endswith(os.path.join("assets", "gpt2.tiktoken"))


def test_it_binds_a_venv_that_lives_under_tmp_on_top_of_the_scratch_tmpfs() -> None:
    # CI may clone the project under /tmp: the jail's tmpfs /tmp must not hide the venv.
    settings = _settings(bwrap="/usr/bin/bwrap")
    layout = dataclasses.replace(
        Layout.detect(settings), prefixes=(os.path.realpath(sys.base_prefix), "/tmp/ci/.venv")
    )
    argv = bwrap_argv(settings, layout)

    assert argv.index("--tmpfs") < argv.index("/tmp/ci/.venv")
    assert argv[argv.index("/tmp/ci/.venv") - 1] == "--ro-bind"


def test_gpt2_fallback_path_is_bound_into_the_jail(tmp_path: Any) -> None:
    settings = _settings(bwrap="/usr/bin/bwrap")
    ranks = tmp_path / "gpt2.tiktoken"
    ranks.write_text("x")
    layout = dataclasses.replace(
        Layout.detect(settings), gpt2_host=str(ranks), gpt2_needs_bind=True
    )
    argv = bwrap_argv(settings, layout)
    i = argv.index(str(ranks))
    assert argv[i - 1] == "--ro-bind" and argv[i + 1] == layout.gpt2_in_jail


def test_single_use_workers() -> None:
    """The GPU hosts' mechanics on CPU: each sandbox forks its one child *before* the job
    arrives (as it must before CUDA init), hands it the job over a pipe, and is discarded."""
    own = SandboxPool(_settings(single_use=True))
    try:
        own.start()
        first = own._single.spares[0] if own._single else None  # type: ignore[union-attr]
        report = runner.run("test-add", HONEST_ADD, spec=ADD_SPEC, limits=FAST, pool=own)
        assert report.status == "pass", report_json(report)
        assert first is not None and not first.alive()  # used once, then gone
        hung = runner.run(
            "test-add",
            "def add(a, b):\n    while True:\n        pass\n",
            spec=ADD_SPEC,
            limits=FAST,
            pool=own,
        )
        assert "wall clock" in hung.checks[0].message
    finally:
        own.shutdown()
