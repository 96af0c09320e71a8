"""Hostile submissions against the real sandbox (one file each under ``hostile/``).

For every file: the verdict is not ``pass``; no secret (an environment variable of this
process, a file in the repository) appears anywhere in the report; the worker (this
process) and the sandbox survive; and the next honest submission passes.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grading import runner
from grading.challenges.base import Check, CheckOutcome, Probe
from grading.runner.pool import SandboxPool
from tests.grading.sandbox_support import (
    ADD_SPEC,
    FAST,
    HONEST_ADD,
    HOSTILE_DIR,
    REPO_ROOT,
    report_json,
    sandbox_tree,
    simple_spec,
)

pytestmark = pytest.mark.hostile

HOSTILE_FILES = sorted(HOSTILE_DIR.glob("*.py"))

# What the report must say for some of them (the rest: just "not pass").
EXPECTED_TEXT = {
    "infinite_loop.py": "wall clock",
    "long_sleep.py": "wall clock",
    "ignore_sigterm.py": "wall clock",
    "str_bomb_exception.py": "wall clock",
    "huge_output.py": "printed more than",
    "memory_bomb.py": "MiB of memory",
    "segfault.py": "segmentation fault",
    "int80_syscall.py": "forbidden system call",
    "torch_thread_bomb.py": "thread",
    "import_answer_package_dynamic.py": "llms_from_scratch",
    "import_answer_package_static.py": "llms_from_scratch",
    "sys_exit_import.py": "SystemExit",
    "os_exit_import.py": "exit status",
    "close_channels_hang.py": "result channel",
    "fork_bomb.py": "Operation not permitted",
    "daemon_double_fork.py": "Operation not permitted",
    "exec_shell.py": "Operation not permitted",
    "network_tcp.py": "Operation not permitted",
    "network_unix.py": "Operation not permitted",
    "pickle_payload.py": "cannot read the value",
    "huge_return.py": "cannot read the value",
    "monkeypatch_reporting.py": "malformed result",
}

# Host paths hostile files try to create or modify.
MUST_NOT_EXIST = [
    Path("/tmp/la-hostile-outside"),
    Path("/tmp/la-hostile-pickle-marker"),
    Path("/tmp/pwned"),
    Path("/la-hostile"),
    REPO_ROOT / "la-hostile",
    Path("/dev/shm/la-hostile"),
]
MUST_NOT_CHANGE = [
    REPO_ROOT / "grading" / "sandbox" / "probes.py",
    REPO_ROOT / ".venv" / "pyvenv.cfg",
    Path(np.__file__),
]


@pytest.fixture(scope="module")
def secrets_planted() -> Iterator[dict[str, str]]:
    """Secrets the sandbox must never reveal: env vars of this (worker) process and a file
    inside the repository. Planted *before* the sandbox starts."""
    planted = {
        "SECRET_KEY": "sentinel-env-" + secrets.token_hex(12),
        "LA_DATABASE_PASSWORD": "sentinel-db-" + secrets.token_hex(12),
    }
    saved = {k: os.environ.get(k) for k in planted}
    os.environ.update(planted)
    var = REPO_ROOT / "var"
    made_var = not var.exists()
    var.mkdir(exist_ok=True)
    sentinel_file = var / f"la-sandbox-sentinel-{os.getpid()}.txt"
    file_secret = "sentinel-file-" + secrets.token_hex(12)
    sentinel_file.write_text(file_secret)
    try:
        yield {**planted, "file": file_secret}
    finally:
        sentinel_file.unlink(missing_ok=True)
        if made_var:
            try:
                var.rmdir()
            except OSError:
                pass
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def hostile_pool(secrets_planted: dict[str, str]) -> Iterator[SandboxPool]:
    """A pool started after the secrets were planted (so an env leak would show)."""
    pool = SandboxPool()
    pool.start()
    yield pool
    pool.shutdown()


@pytest.fixture(scope="module")
def listeners() -> Iterator[dict[str, Any]]:
    """A TCP port and a Unix socket on the host that the network attacks aim at; any
    accepted connection is recorded."""
    seen: list[str] = []
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        tcp.bind(("127.0.0.1", 47777))
        tcp.listen(8)
    except OSError:
        tcp.close()
        tcp = None  # type: ignore[assignment]
    unix_path = "/tmp/la-hostile.sock"
    if os.path.exists(unix_path):
        os.unlink(unix_path)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(unix_path)
    unix.listen(8)
    stop = threading.Event()

    def accept(sock: socket.socket, label: str) -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                seen.append(label)
                conn.close()
            except (TimeoutError, OSError):
                continue

    threads = [
        threading.Thread(target=accept, args=(s, label), daemon=True)
        for s, label in ((tcp, "tcp"), (unix, "unix"))
        if s is not None
    ]
    for t in threads:
        t.start()
    yield {"seen": seen}
    stop.set()
    for t in threads:
        t.join(timeout=2)
    for s in (tcp, unix):
        if s is not None:
            s.close()
    os.unlink(unix_path)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("path", HOSTILE_FILES, ids=[p.name for p in HOSTILE_FILES])
def test_hostile_submission(
    path: Path,
    hostile_pool: SandboxPool,
    secrets_planted: dict[str, str],
    listeners: dict[str, Any],
) -> None:
    before = {p: _digest(p) for p in MUST_NOT_CHANGE}
    report = runner.run(
        "test-add", path.read_bytes(), spec=ADD_SPEC, limits=FAST, pool=hostile_pool
    )
    text = report_json(report)

    assert report.status != "pass", text[:2000]
    for name, secret in secrets_planted.items():
        assert secret not in text, f"{name} leaked into the report"
    expected = EXPECTED_TEXT.get(path.name)
    if expected:
        # Only what the verdict says (the isolation lines mention "wall clock", "threads").
        verdict = json.dumps(
            {
                "message": report.message,
                "stdout": report.stdout,
                "checks": [c.to_dict() for c in report.checks],
            }
        )
        assert expected.lower() in verdict.lower(), verdict[:3000]

    # The worker and the sandbox survived: this process runs, no stray process is left
    # in the sandbox (bwrap's init, the zygote, its pre-forked next child: nothing from
    # the hostile run), the host is untouched.
    os.kill(os.getpid(), 0)
    hostile_pool.settle()  # the zygote has reaped the child and cleaned up
    assert len(sandbox_tree(hostile_pool)) <= 3, sandbox_tree(hostile_pool)
    assert listeners["seen"] == [], "a sandboxed connection reached the host"
    for p in MUST_NOT_EXIST:
        assert not p.exists(), f"{p} was created"
    assert {p: _digest(p) for p in MUST_NOT_CHANGE} == before

    honest = runner.run("test-add", HONEST_ADD, spec=ADD_SPEC, limits=FAST, pool=hostile_pool)
    assert honest.status == "pass", report_json(honest)[:2000]


def test_at_least_25_hostile_files() -> None:
    assert len(HOSTILE_FILES) >= 25


def test_no_other_submission_visible_in_memory(hostile_pool: SandboxPool) -> None:
    """A later child inherits the zygote's memory: it must hold no earlier learner's data.

    The victim's source carries a random token (in a string constant and in its printed
    output, which the zygote relays); the attacker scans its whole memory for it. Its own
    control token proves the scan works.
    """
    token = "victim-token-" + secrets.token_hex(16)
    victim = HONEST_ADD + f"SECRET = {token!r}\nprint(SECRET)\n"
    for _ in range(3):  # several jobs' worth of relayed data
        assert (
            runner.run("test-add", victim, spec=ADD_SPEC, limits=FAST, pool=hostile_pool).status
            == "pass"
        )
    attacker = (HOSTILE_DIR / "cross_submission_memory.py").read_text()
    report = runner.run("test-add", attacker, spec=ADD_SPEC, limits=FAST, pool=hostile_pool)
    text = report_json(report)
    assert "victim-token-" + "c" * 32 in text, "the memory scan itself did not work"
    assert token not in text


# --- expected values never exist on the sandbox side --------------------------------------------

_HIDDEN: dict[str, float] = {}


def _mystery_build(rng: np.random.Generator) -> list[Probe]:
    # The shift is drawn on the trusted side and never sent: only the judge knows it.
    _HIDDEN["k"] = float(rng.integers(10**6, 10**7))
    return [Probe("call", {"name": "shift", "args": [1.5]}, timeout_s=3.0)]


def _mystery_judge(probes: Any, results: Any) -> CheckOutcome:
    (result,) = results
    ok = result.ok and isinstance(result.value, float) and result.value == 1.5 + _HIDDEN["k"]
    return CheckOutcome("pass" if ok else "fail", "checked")


MYSTERY_SPEC = simple_spec(
    Check("mystery", "shift(x) == x + k", _mystery_build, _mystery_judge, needs=("shift",)),
    names=("shift",),
)

INTROSPECTOR = r"""
import gc, sys

def shift(x):
    # Look for any number the grader might hold: every float/int in reachable objects and
    # frames, and try the likeliest.
    candidates = set()
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            for v in list(obj.values())[:50]:
                if isinstance(v, (int, float)) and 10**6 <= v < 10**7:
                    candidates.add(float(v))
    frame = sys._getframe()
    while frame is not None:
        for v in frame.f_locals.values():
            if isinstance(v, (int, float)) and 10**6 <= v < 10**7:
                candidates.add(float(v))
        frame = frame.f_back
    return x + (max(candidates) if candidates else 0.0)
"""


def test_introspection_cannot_find_expected_values(hostile_pool: SandboxPool) -> None:
    for _ in range(3):
        report = runner.run(
            "mystery", INTROSPECTOR, spec=MYSTERY_SPEC, limits=FAST, pool=hostile_pool
        )
        assert report.status == "fail", report_json(report)
