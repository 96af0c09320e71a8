"""The long-lived sandbox parent ("zygote") and the pool that owns it (trusted side).

``SandboxPool`` starts ``grading/sandbox/zygote.py`` lazily inside bubblewrap with an empty
environment, checks that every required isolation layer really holds (the zygote's
self-test), feeds it one job at a time and relays its messages. It restarts the zygote after
an abnormal exit, a missed deadline (its own timer: wall budget + grace), a protocol error,
a failed clean-up, or every N jobs.

Paths are computed, never configured: the jail's interpreter is ``sys.executable`` (its
``sys.base_prefix`` and ``sys.prefix`` - the venv - are bound read-only at the same paths,
so the venv's site-packages works; nothing else of the repository is bound), the sandbox
package is ``grading/sandbox`` next to this file (bound at /opt/la_sandbox/grading/sandbox),
and GPT-2's ranks come from ``importlib.util.find_spec("whisper")`` without importing
whisper (bound at /opt/la_assets/gpt2.tiktoken if outside those prefixes).

Fail closed: when a required layer (default: bwrap namespaces without network, seccomp) is
missing or does not pass the self-test, ``run_job`` raises ``SandboxUnavailable`` and no
learner code runs anywhere.

Environment (read with defaults; the Django settings may set them):

- ``GRADING_SANDBOX_REQUIRE``: comma list of required layers among ``bwrap``, ``seccomp``,
  ``landlock``, ``cgroup`` (default ``bwrap,seccomp``; ``none`` for none - development only).
- ``GRADING_BWRAP``: path of bwrap (default: ``bwrap`` on PATH).
- ``GRADING_SANDBOX_PYTHON``: interpreter for the jail (default ``sys.executable``).
- ``GRADING_GPT2_TIKTOKEN``: fallback path of ``gpt2.tiktoken`` when openai-whisper is absent.
- ``GRADING_ZYGOTE_MAX_JOBS``: recycle the zygote after this many jobs (default 200).
- ``GRADING_SANDBOX_TMPFS_MB``: size of the jail's /tmp (scratch), default 64.
- ``GRADING_SANDBOX_START_TIMEOUT_S``: zygote start-up budget, default 120.
- ``GRADING_SANDBOX_CGROUP``: ``auto`` (default) or ``off``.
- ``GRADING_DEVICE``: ``cpu`` (default) or ``cuda`` (GPU hosts: see ``_SingleUseWorkers``).
- ``GRADING_MEMORY_MB`` (2048) and ``GRADING_MAX_THREADS`` (50): per-run memory and thread
  caps (also the cgroup sizes); ``GRADING_GRACE_S`` (5): see ``limits.Limits``.
- ``GRADING_SANDBOX_SINGLE_USE``: ``1`` to use a fresh sandbox per submission on CPU hosts too
  (no shared zygote; costs a sandbox start per submission unless kept warm).
- ``GRADING_WARM_WORKERS``: pre-started single-use sandboxes (GPU hosts / single-use), default 1.
- ``GRADING_CUDA_MEMORY_FRACTION``: GPU hosts, ``torch.cuda.set_per_process_memory_fraction``
  for each submission (advisory; MIG for a hard limit), default unset.
"""

from __future__ import annotations

import atexit
import collections
import importlib.util
import json
import logging
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.runner.limits import env_float, env_int
from grading.sandbox import wire

log = logging.getLogger("grading.sandbox")

SANDBOX_DIR = Path(__file__).resolve().parent.parent / "sandbox"  # grading/sandbox
REPO_ROOT = SANDBOX_DIR.parent.parent
# grading/sandbox is bound read-only at JAIL_PACKAGE_ROOT/grading/sandbox in the jail.
JAIL_PACKAGE_ROOT = "/opt/la_sandbox"
JAIL_GPT2 = "/opt/la_assets/gpt2.tiktoken"
KNOWN_LAYERS = ("bwrap", "seccomp", "landlock", "cgroup")


OnFrame = Callable[[dict[str, Any], bytes], None]


class SandboxUnavailable(RuntimeError):
    """A required isolation layer is missing, or the sandbox cannot be started."""


class ZygoteFailure(RuntimeError):
    """The zygote died, missed its deadline or broke the protocol during a job."""


# --- settings ---------------------------------------------------------------------------------


def _parse_require(value: str) -> frozenset[str]:
    items = {v.strip().lower() for v in value.split(",") if v.strip()}
    if items & {"none", "off"}:
        return frozenset()
    unknown = items - set(KNOWN_LAYERS)
    if unknown:
        # A typo must not silently relax the sandbox: keep the defaults and say so.
        log.error(
            "GRADING_SANDBOX_REQUIRE: unknown layers %s; using bwrap,seccomp", sorted(unknown)
        )
        return frozenset({"bwrap", "seccomp"})
    return frozenset(items)


@dataclass(frozen=True)
class PoolSettings:
    bwrap: str | None = None
    python: str = sys.executable
    require: frozenset[str] = frozenset({"bwrap", "seccomp"})
    max_jobs: int = 200
    device: str = "cpu"
    tmpfs_mb: int = 64
    start_timeout_s: float = 120.0
    gpt2_ranks: str | None = None
    cgroup: bool = True
    single_use: bool = False
    warm_workers: int = 1
    cuda_memory_fraction: float | None = None
    memory_mb: int = 2048
    threads: int = 50

    @classmethod
    def from_env(cls) -> PoolSettings:
        env = os.environ
        return cls(
            bwrap=env.get("GRADING_BWRAP") or shutil.which("bwrap"),
            python=env.get("GRADING_SANDBOX_PYTHON") or sys.executable,
            require=_parse_require(env.get("GRADING_SANDBOX_REQUIRE", "bwrap,seccomp")),
            max_jobs=max(1, env_int("GRADING_ZYGOTE_MAX_JOBS", 200)),
            device=env.get("GRADING_DEVICE", "cpu").strip().lower() or "cpu",
            tmpfs_mb=env_int("GRADING_SANDBOX_TMPFS_MB", 64),
            start_timeout_s=env_float("GRADING_SANDBOX_START_TIMEOUT_S", 120.0),
            gpt2_ranks=env.get("GRADING_GPT2_TIKTOKEN") or None,
            cgroup=env.get("GRADING_SANDBOX_CGROUP", "auto").lower() not in ("off", "0", "no"),
            single_use=env.get("GRADING_SANDBOX_SINGLE_USE", "") in ("1", "true", "yes"),
            warm_workers=max(1, env_int("GRADING_WARM_WORKERS", 1)),
            cuda_memory_fraction=env_float("GRADING_CUDA_MEMORY_FRACTION", 0.0) or None,
            memory_mb=env_int("GRADING_MEMORY_MB", 2048),
            threads=env_int("GRADING_MAX_THREADS", 50),
        )


# --- interpreter / file layout -----------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where the jail's interpreter, venv, sandbox package and assets live on the host."""

    python: str
    prefixes: tuple[str, ...]  # sys.base_prefix and sys.prefix of that interpreter
    gpt2_host: str | None  # gpt2.tiktoken on the host
    gpt2_needs_bind: bool  # outside the bound prefixes: bind it at JAIL_GPT2

    @classmethod
    def detect(cls, settings: PoolSettings) -> Layout:
        python = settings.python
        if os.path.realpath(python) == os.path.realpath(sys.executable):
            prefixes = (sys.base_prefix, sys.prefix)
        else:
            # Ask that interpreter (argv list, empty environment) for its prefixes.
            out = subprocess.run(
                [
                    python,
                    "-I",
                    "-c",
                    "import sys, json; print(json.dumps([sys.base_prefix, sys.prefix]))",
                ],
                env={},
                capture_output=True,
                timeout=60,
                check=True,
                text=True,
            )
            base, prefix = json.loads(out.stdout)
            prefixes = (base, prefix)
        prefixes = tuple(dict.fromkeys(os.path.realpath(p) for p in prefixes))
        gpt2 = _find_gpt2(settings.gpt2_ranks)
        needs_bind = bool(gpt2) and not any(
            os.path.realpath(gpt2).startswith(p + os.sep) for p in prefixes
        )
        return cls(python=python, prefixes=prefixes, gpt2_host=gpt2, gpt2_needs_bind=needs_bind)

    @property
    def gpt2_in_jail(self) -> str | None:
        if self.gpt2_host is None:
            return None
        return JAIL_GPT2 if self.gpt2_needs_bind else os.path.realpath(self.gpt2_host)


def _find_gpt2(fallback: str | None) -> str | None:
    """whisper/assets/gpt2.tiktoken found without importing whisper; else the fallback."""
    try:
        spec = importlib.util.find_spec("whisper")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(location, "assets", "gpt2.tiktoken")
        if os.path.isfile(path):
            return path
    if fallback and os.path.isfile(fallback):
        return fallback
    return None


def bwrap_version(bwrap: str) -> str:
    try:
        out = subprocess.run(
            [bwrap, "--version"], env={}, capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip() or "bubblewrap"
    except (OSError, subprocess.SubprocessError):
        return "bubblewrap"


def bwrap_argv(settings: PoolSettings, layout: Layout) -> list[str]:
    """The bwrap command line: fresh namespaces, read-only binds of only what Python needs."""
    assert settings.bwrap
    argv = [
        settings.bwrap,
        "--unshare-all",  # user, pid, net, ipc, uts, cgroup (+ mount) namespaces
        "--unshare-user",
        "--disable-userns",  # and no nested user namespaces inside
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--clearenv",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    # The dynamic loader's cache (pyseccomp locates libseccomp through it); no other /etc.
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    # The scratch tmpfs comes before the binds below: a checkout or venv that lives under
    # /tmp (CI clones can) must be bound on top of it, not hidden by it.
    argv += ["--size", str(settings.tmpfs_mb << 20), "--tmpfs", "/tmp"]
    for prefix in layout.prefixes:
        if not prefix.startswith("/usr/"):
            argv += ["--ro-bind", prefix, prefix]
    # The sandbox package only (not the rest of the repository): the jail cannot see the
    # settings, the reference implementations or the runner.
    argv += ["--ro-bind", str(SANDBOX_DIR), f"{JAIL_PACKAGE_ROOT}/grading/sandbox"]
    if layout.gpt2_host and layout.gpt2_needs_bind:
        argv += ["--ro-bind", layout.gpt2_host, JAIL_GPT2]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    if settings.device == "cuda":
        # After --dev (which mounts a fresh /dev): the GPU's device nodes, and /sys, which
        # the CUDA runtime reads for topology.
        argv += ["--ro-bind", "/sys", "/sys"]
        for name in sorted(os.listdir("/dev")):
            if name.startswith("nvidia"):
                argv += ["--dev-bind", f"/dev/{name}", f"/dev/{name}"]
    argv += [
        "--chdir",
        "/tmp",
        "--remount-ro",
        "/",
        "--",
        layout.python,
        "-I",
        "-B",
        f"{JAIL_PACKAGE_ROOT}/grading/sandbox/zygote.py",
    ]
    return argv


def hidden_paths(layout: Layout) -> list[str]:
    """Project paths the jail must not see (the self-test reports any that are visible)."""
    keep = {os.path.realpath(p) for p in layout.prefixes}
    paths = []
    try:
        entries = sorted(os.listdir(REPO_ROOT))
    except OSError:
        entries = []
    for name in entries:
        path = os.path.realpath(REPO_ROOT / name)
        if any(k == path or k.startswith(path + os.sep) for k in keep):
            continue  # an ancestor of the bound venv necessarily exists as an empty dir
        paths.append(str(REPO_ROOT / name))
    return paths


# --- cgroups ----------------------------------------------------------------------------------


class Cgroup:
    """A pids + memory cgroup for one zygote tree (cgroup v1 here, v2 when delegated).

    Created under the worker's *own* cgroup of each controller, so it stays inside whatever
    limits the host already applies to the worker. Best effort: ``status`` says what holds.
    """

    _counter = 0

    def __init__(self, *, pids_max: int, memory_bytes: int):
        Cgroup.remove_stale()
        Cgroup._counter += 1
        name = f"la-sandbox-{os.getpid()}-{Cgroup._counter}"
        self.paths: list[str] = []
        self.fds: list[int] = []
        self.active: list[str] = []
        self.problems: list[str] = []
        for ctrl, limit_file, value in (
            ("pids", "pids.max", pids_max),
            ("memory", "memory.limit_in_bytes", memory_bytes),
        ):
            try:
                base = _v1_dir(ctrl)
                path = os.path.join(base, name)
                os.mkdir(path, 0o700)
                self.paths.append(path)
                with open(os.path.join(path, limit_file), "w") as fh:
                    fh.write(str(value))
                self.fds.append(
                    os.open(os.path.join(path, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
                )
                self.active.append(f"cgroup v1 {ctrl}: {limit_file}={value}")
            except OSError as exc:
                self.problems.append(f"cgroup v1 {ctrl}: unavailable ({exc.strerror or exc})")

    @staticmethod
    def remove_stale() -> None:
        """Remove empty cgroups left by a worker that died (named after its pid)."""
        for ctrl in ("pids", "memory"):
            try:
                base = _v1_dir(ctrl)
                names = os.listdir(base)
            except OSError:
                continue
            for name in names:
                parts = name.split("-")
                if len(parts) == 4 and parts[:2] == ["la", "sandbox"] and parts[2].isdigit():
                    if not os.path.exists(f"/proc/{parts[2]}"):
                        try:
                            os.rmdir(os.path.join(base, name))
                        except OSError:
                            pass

    def preexec(self) -> None:
        """Runs in the forked child before exec: join the cgroups (writing "0" = self)."""
        for fd in self.fds:
            os.write(fd, b"0")

    def close(self) -> None:
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []
        for path in reversed(self.paths):
            for _ in range(50):  # the tree may take a moment to be reaped
                try:
                    os.rmdir(path)
                    break
                except OSError:
                    time.sleep(0.02)
        self.paths = []


def _v1_dir(ctrl: str) -> str:
    """This process's cgroup directory in the v1 hierarchy of ``ctrl``."""
    mount = f"/sys/fs/cgroup/{ctrl}"
    if not os.path.isdir(mount) or not os.path.exists(os.path.join(mount, "cgroup.procs")):
        raise OSError(f"no v1 {ctrl} hierarchy at {mount}")
    with open("/proc/self/cgroup", encoding="ascii") as fh:
        for line in fh:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if ctrl in ctrls.split(","):
                return mount + path.rstrip("/")
    raise OSError(f"not in a v1 {ctrl} cgroup")


# --- spawning ---------------------------------------------------------------------------------


class _Spawner:
    """Spawns processes from one long-lived thread.

    bwrap's --die-with-parent is PR_SET_PDEATHSIG, which fires when the *thread* that forked
    it exits, not the process. Spawning from a request thread (runserver, thread pools)
    would kill the sandbox when that thread ends; this thread lives as long as the process.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="sandbox-spawner", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            fn, reply = self._jobs.get()
            try:
                reply.put((True, fn()))
            except BaseException as exc:  # handed back to the caller
                reply.put((False, exc))

    def call(self, fn: Callable[[], Any]) -> Any:
        reply: queue.Queue[Any] = queue.Queue()
        self._jobs.put((fn, reply))
        ok, value = reply.get()
        if not ok:
            raise value
        return value


_spawner: _Spawner | None = None
_spawner_lock = threading.Lock()


def _after_fork_in_child() -> None:
    # A forked worker (Celery prefork) must not share its parent's zygote pipes or use its
    # (not inherited) spawner thread: it starts its own on first use.
    global _spawner, _pool
    _spawner = None
    _pool = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def _spawn(fn: Callable[[], Any]) -> Any:
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = _Spawner()
    return _spawner.call(fn)


# --- one zygote -------------------------------------------------------------------------------


@dataclass
class ZygoteInfo:
    layers: list[str] = field(default_factory=list)
    ok: dict[str, bool] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    startup_s: float = 0.0
    rss_mb: float = 0.0
    vmsize_mb: float = 0.0
    ready: dict[str, Any] = field(default_factory=dict)


class Zygote:
    """One sandbox parent process (bwrap + zygote.py) and its pipes."""

    def __init__(self, settings: PoolSettings, layout: Layout, *, single_use: bool = False):
        self.settings = settings
        self.layout = layout
        self.single_use = single_use
        self.proc: subprocess.Popen[bytes] | None = None
        self.cgroup: Cgroup | None = None
        self.jobs = 0
        self.awaiting_idle = False  # an "idle" message follows each job's "end"
        self.info = ZygoteInfo()
        self.use_bwrap = False
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=200)
        self._reader = wire.EnvelopeReader()
        self._queue: collections.deque[tuple[dict[str, Any], bytes]] = collections.deque()

    # -- life cycle --
    def start(self) -> None:
        settings, layout = self.settings, self.layout
        bwrap_ok = bool(settings.bwrap) and os.access(settings.bwrap or "", os.X_OK)
        if "bwrap" in settings.require and not bwrap_ok:
            raise SandboxUnavailable(f"bwrap not found (GRADING_BWRAP={settings.bwrap!r})")
        self.use_bwrap = bwrap_ok
        if self.use_bwrap:
            argv = bwrap_argv(settings, layout)
        else:
            # Development only (GRADING_SANDBOX_REQUIRE without bwrap): no mount/net
            # namespaces; the process still starts with an empty environment.
            argv = [layout.python, "-I", "-B", str(SANDBOX_DIR / "zygote.py")]
        if settings.cgroup:
            self.cgroup = Cgroup(
                pids_max=settings.threads + 64, memory_bytes=(settings.memory_mb + 1536) << 20
            )
            preexec = self.cgroup.preexec if self.cgroup.fds else None
        else:
            preexec = None
        started = time.monotonic()

        def popen() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={},  # nothing of the worker's environment (SECRET_KEY, DATABASE_URL)
                cwd="/",
                close_fds=True,
                start_new_session=True,
                preexec_fn=preexec,
            )

        try:
            self.proc = _spawn(popen)
        except OSError as exc:
            self.close()
            raise SandboxUnavailable(f"could not start the sandbox: {exc}") from None
        threading.Thread(
            target=self._drain_stderr, args=(self.proc,), daemon=True, name="sandbox-stderr"
        ).start()
        config = {
            "type": "config",
            "require": sorted(settings.require),
            "device": settings.device,
            "gpt2_ranks": layout.gpt2_in_jail,
            "hidden_paths": hidden_paths(layout) if self.use_bwrap else [],
            "single_use": self.single_use,
            # Advisory cap on the GPU memory one submission may take (torch's allocator).
            "cuda_memory_fraction": settings.cuda_memory_fraction,
            "limits": {"memory_mb": settings.memory_mb, "threads": settings.threads},
        }
        deadline = time.monotonic() + settings.start_timeout_s
        try:
            self._send(wire.envelope(config), deadline)
            ready, _ = self._next_frame(deadline)
        except ZygoteFailure as exc:
            self.kill()
            raise SandboxUnavailable(
                f"sandbox failed to start: {exc}; {self.stderr_tail()[-600:]}"
            ) from None
        if ready.get("type") != "ready":
            self.kill()
            raise SandboxUnavailable("sandbox failed to start: no ready frame")
        self.info = self._assess(ready, time.monotonic() - started)
        missing = [layer for layer in sorted(settings.require) if not self.info.ok.get(layer)]
        if missing:
            reasons = "; ".join(f"{m}: {self.info.problems.get(m, 'not active')}" for m in missing)
            self.kill()
            raise SandboxUnavailable(f"required isolation layer(s) missing: {reasons}")

    def _drain_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for raw in iter(proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()[:2000]
            self._stderr_tail.append(line)
            log.debug("sandbox: %s", line)

    def stderr_tail(self) -> str:
        return "\n".join(self._stderr_tail)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Kill bwrap; --die-with-parent and the PID namespace take the whole tree down."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - should not happen
                log.error("sandbox process %s did not die", proc.pid)
        self.close()

    def stop(self) -> None:
        """Polite shutdown: tell the zygote to exit, then make sure."""
        if self.alive():
            try:
                self._send(wire.envelope({"type": "exit"}), time.monotonic() + 2)
                assert self.proc is not None
                self.proc.wait(timeout=5)
            except (ZygoteFailure, subprocess.TimeoutExpired, OSError):
                pass
        self.kill()

    def close(self) -> None:
        proc = self.proc
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                try:
                    if pipe is not None:
                        pipe.close()
                except OSError:
                    pass
        if self.cgroup is not None:
            self.cgroup.close()
            self.cgroup = None

    # -- frames --
    def _send(self, data: bytes, deadline: float) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        fd = self.proc.stdin.fileno()
        os.set_blocking(fd, False)
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ZygoteFailure("the sandbox did not accept the job in time")
            _, writable, _ = select.select([], [fd], [], remaining)
            if not writable:
                continue
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError) as exc:
                raise ZygoteFailure(f"the sandbox process is gone ({exc})") from None
            view = view[n:]

    def _next_frame(self, deadline: float) -> tuple[dict[str, Any], bytes]:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        os.set_blocking(fd, False)
        while True:
            if self._queue:
                return self._queue.popleft()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ZygoteFailure("the sandbox did not answer in time")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            data = wire.read_available(fd, 1 << 20)
            if data is None:
                continue
            if not data:
                raise ZygoteFailure("the sandbox process exited unexpectedly")
            try:
                self._queue.extend(self._reader.feed(data))
            except wire.WireError as exc:
                raise ZygoteFailure(f"malformed message from the sandbox ({exc})") from None

    def run_job(
        self,
        job: bytes,
        on_frame: OnFrame,
        deadline: float,
        max_total: int,
        max_result: int = wire.DEFAULT_MAX_FRAME,
    ) -> tuple[dict[str, Any], bytes]:
        """Send one job envelope; call ``on_frame(control, payload)`` for each result;
        return the ``end`` control part and the printed output."""
        self.jobs += 1
        self._reader.total = 0
        self._reader.max_total = max_total
        # One result (control + frame) may be up to the job's max_result_bytes.
        self._reader.max_envelope = max_result + (2 << 20)
        self._send(job, deadline)
        # Messages are read by a pump thread as they arrive, while ``on_frame`` (judging,
        # the web's callback) runs here: a slow judge must neither block the zygote on a
        # full pipe (stalling its supervision of the child) nor count against the
        # zygote's deadline.
        inbox: queue.Queue[tuple[dict[str, Any], bytes] | BaseException] = queue.Queue()

        def pump() -> None:
            try:
                while True:
                    message = self._next_frame(deadline)
                    inbox.put(message)
                    if message[0].get("type") == "end":
                        return
            except BaseException as exc:  # handed to the caller's thread
                inbox.put(exc)

        reader = threading.Thread(target=pump, name="sandbox-reader", daemon=True)
        reader.start()
        while True:
            item = inbox.get()
            if isinstance(item, BaseException):
                raise item
            control, payload = item
            if control.get("type") == "end":
                reader.join()
                self.awaiting_idle = True
                return control, payload
            on_frame(control, payload)

    def settle(self, timeout_s: float = 10.0) -> bool:
        """Before the next job: read the zygote's "idle" message, sent once it has reaped
        the last child, removed its scratch dir and pre-forked the next child (all done
        after the learner already had the verdict). False when it must be replaced."""
        if not self.awaiting_idle:
            return True
        try:
            control, _ = self._next_frame(time.monotonic() + timeout_s)
        except ZygoteFailure:
            return False
        self.awaiting_idle = False
        return control.get("type") == "idle" and control.get("recycle") is False

    def _in_cgroups(self) -> bool:
        assert self.cgroup is not None and self.proc is not None
        try:
            for path in self.cgroup.paths:
                with open(os.path.join(path, "cgroup.procs"), encoding="ascii") as fh:
                    if str(self.proc.pid) not in fh.read().split():
                        return False
        except OSError:
            return False
        return True

    # -- the honest report --
    def _assess(self, ready: dict[str, Any], startup_s: float) -> ZygoteInfo:
        info = ZygoteInfo(startup_s=startup_s, ready=ready)
        facts = ready.get("facts") if isinstance(ready.get("facts"), dict) else {}
        selftest = ready.get("selftest") if isinstance(ready.get("selftest"), dict) else {}
        layers = selftest.get("layers") if isinstance(selftest.get("layers"), dict) else {}
        info.rss_mb = float(facts.get("rss_kib", 0)) / 1024
        info.vmsize_mb = float(facts.get("vmsize_kib", 0)) / 1024
        out: list[str] = []

        # bwrap: namespaces verified from inside.
        if self.use_bwrap:
            problems = []
            if facts.get("interfaces") != ["lo"]:
                problems.append(f"network interfaces {facts.get('interfaces')}")
            if not isinstance(facts.get("pid"), int) or facts["pid"] > 10:
                problems.append(f"zygote pid {facts.get('pid')} (no own pid namespace?)")
            if facts.get("visible_paths"):
                problems.append(f"project paths visible: {facts['visible_paths'][:3]}")
            if not facts.get("uid_map") or facts.get("uid_map") == "0 0 4294967295":
                problems.append("no user namespace")
            info.ok["bwrap"] = not problems
            version = bwrap_version(self.settings.bwrap or "bwrap")
            if problems:
                info.problems["bwrap"] = "; ".join(problems)
                out.append(f"{version}: FAILED checks: {info.problems['bwrap']}")
            else:
                out.append(
                    f"{version}: user+pid+net+ipc+uts+cgroup+mount namespaces "
                    "(verified: only 'lo' in the netns, own pid namespace, project "
                    "files not visible), no nested userns, all capabilities dropped, "
                    "read-only /usr + interpreter + venv, tmpfs /tmp "
                    f"{self.settings.tmpfs_mb} MiB, empty environment"
                )
        else:
            info.ok["bwrap"] = False
            info.problems["bwrap"] = "not used (bwrap unavailable and not required)"
            out.append("bwrap: NOT USED - no mount/net/pid namespaces (development only)")

        # seccomp: the filter loaded and the walls hold.
        seccomp = str(layers.get("seccomp", "not reported"))
        walls = {
            k: selftest.get(k) for k in ("socket_inet", "socket_unix", "fork", "signal_parent")
        }
        if not seccomp.startswith("FAILED") and all(v == "denied" for v in walls.values()):
            info.ok["seccomp"] = True
            out.append(seccomp + " (verified: socket, fork and signalling the parent denied)")
        else:
            info.ok["seccomp"] = False
            info.problems["seccomp"] = f"{seccomp}; self-test {walls}"
            out.append(f"seccomp: FAILED ({info.problems['seccomp']})")

        landlock = str(layers.get("landlock", "not reported"))
        if (
            landlock.startswith("landlock ABI")
            and selftest.get("write_outside_scratch") == "denied"
            and selftest.get("write_scratch") == "ok"
        ):
            info.ok["landlock"] = True
            out.append(landlock + " (verified: writing outside scratch denied)")
        else:
            info.ok["landlock"] = False
            info.problems["landlock"] = (
                f"{landlock}; write outside scratch: {selftest.get('write_outside_scratch')}"
            )
            out.append(f"landlock: unavailable ({info.problems['landlock']})")

        rlimits = str(layers.get("rlimits", "not reported"))
        uid_map = str(facts.get("uid_map", ""))
        root = uid_map.split()[1:2] == ["0"] if uid_map else os.getuid() == 0
        out.append(
            f"rlimits (as set in the start-up self-test; per run, cpu follows the "
            f"run's budget): {rlimits}"
            + (
                " (nproc is not enforced for uid 0: process creation is stopped by "
                "seccomp and the pids cgroup instead)"
                if root
                else ""
            )
        )

        if self.cgroup is not None and self.cgroup.active and self._in_cgroups():
            info.ok["cgroup"] = True
            out.extend(
                f"{line} (verified: the sandbox tree is in it)" for line in self.cgroup.active
            )
        else:
            info.ok["cgroup"] = False
        if self.cgroup is not None and self.cgroup.problems:
            info.problems["cgroup"] = "; ".join(self.cgroup.problems)
            out.extend(self.cgroup.problems)
        elif self.cgroup is None:
            info.problems["cgroup"] = "disabled (GRADING_SANDBOX_CGROUP=off)"
            out.append("cgroup: disabled")
        elif self.cgroup.active and not info.ok["cgroup"]:
            info.problems["cgroup"] = "the sandbox did not join its cgroups"
            out.append("cgroup: NOT active (the sandbox did not join its cgroups)")

        out.append(
            f"watchdog: wall clock per probe and per run, RSS <= "
            f"{self.settings.memory_mb} MiB, threads <= {self.settings.threads}, "
            "output kept 64 KiB / killed past 1 MiB, whole tree killed on timeout"
        )
        out.append(
            "child: setsid, parent-death signal, not dumpable, only its two pipes "
            "open, no_new_privs, private scratch dir"
        )
        libs = {
            k: selftest.get(k) for k in ("torch", "pandas", "matplotlib", "tiktoken", "threads")
        }
        # A missing gpt2 asset is reported (last line) but does not stop grading.
        broken = {
            k: v
            for k, v in libs.items()
            if v != "ok" and not (k == "tiktoken" and "skipped" in str(v))
        }
        if broken:
            # Grading cannot work if the libraries break under the filter: fail closed too.
            for layer in ("seccomp",):
                info.ok[layer] = False
                info.problems[layer] = f"libraries broken under confinement: {broken}"
            out.append(f"library self-test under confinement: BROKEN {broken}")
        else:
            tiktoken = (
                "tiktoken gpt2"
                if libs.get("tiktoken") == "ok"
                else "(tiktoken gpt2 skipped: not registered)"
            )
            out.append(
                "library self-test under confinement: torch (MHA forward/backward), "
                f"pandas, matplotlib Agg, {tiktoken}, threads ok"
            )
        out.append(str(ready.get("tiktoken", "tiktoken: not reported")))
        if "error" in selftest:
            info.ok["seccomp"] = info.ok["landlock"] = False
            info.problems["seccomp"] = str(selftest["error"])
        info.layers = out
        return info


# --- the pool ---------------------------------------------------------------------------------


class SandboxPool:
    """Owns the zygote(s); one job at a time per pool (the worker runs one task per slot)."""

    def __init__(self, settings: PoolSettings | None = None):
        self.settings = settings or PoolSettings.from_env()
        self._lock = threading.RLock()
        self._zygote: Zygote | None = None
        self._layout: Layout | None = None
        self._unavailable: tuple[float, str] | None = None
        self._last_info: ZygoteInfo | None = None
        self._single = (
            _SingleUseWorkers(self)
            if self.settings.device == "cuda" or self.settings.single_use
            else None
        )

    @property
    def layout(self) -> Layout:
        if self._layout is None:
            self._layout = Layout.detect(self.settings)
        return self._layout

    def _new_zygote(self, *, single_use: bool = False) -> Zygote:
        zygote = Zygote(self.settings, self.layout, single_use=single_use)
        zygote.start()
        self._last_info = zygote.info
        log.info(
            "sandbox started in %.2f s (rss %.0f MiB): %s",
            zygote.info.startup_s,
            zygote.info.rss_mb,
            "; ".join(zygote.info.layers),
        )
        return zygote

    def _ensure(self) -> Zygote:
        if self._zygote is not None and not self._zygote.alive():
            log.warning("sandbox zygote died (%s); restarting", self._zygote.stderr_tail()[-300:])
            self._zygote.kill()
            self._zygote = None
        if self._zygote is None:
            if self._unavailable and time.monotonic() < self._unavailable[0]:
                raise SandboxUnavailable(self._unavailable[1])
            try:
                self._zygote = self._new_zygote()
            except SandboxUnavailable as exc:
                # Do not re-spawn on every submission while the host is misconfigured.
                self._unavailable = (time.monotonic() + 10.0, str(exc))
                log.error("%s", exc)
                raise
            self._unavailable = None
        return self._zygote

    def start(self) -> list[str]:
        """Start (or check) the sandbox now; returns the isolation report."""
        with self._lock:
            if self._single is not None:
                return self._single.warm()
            self._ensure()
            return self.isolation_layers()

    def run_job(
        self,
        job: bytes,
        on_frame: OnFrame,
        *,
        timeout_s: float,
        max_total: int,
        max_result: int = wire.DEFAULT_MAX_FRAME,
    ) -> tuple[dict[str, Any], bytes]:
        """Run one job envelope; returns the ``end`` control part and the printed output.

        Raises SandboxUnavailable (nothing ran) or ZygoteFailure (it broke mid-way).

        ``timeout_s`` is the trusted side's own limit over the whole job (wall + grace): past
        it the zygote is killed and restarted on the next job.
        """
        with self._lock:
            if self._single is not None:
                return self._single.run_job(
                    job, on_frame, timeout_s=timeout_s, max_total=max_total, max_result=max_result
                )
            self.settle()
            zygote = self._ensure()
            deadline = time.monotonic() + timeout_s
            try:
                end = zygote.run_job(job, on_frame, deadline, max_total, max_result)
            except BaseException:
                # Deadline, EOF, protocol error, or a judge/on_check exception in the middle
                # of the stream: the zygote's state is unknown, so it goes.
                zygote.kill()
                self._zygote = None
                raise
            if zygote.jobs >= self.settings.max_jobs:
                zygote.stop()
                self._zygote = None
            return end

    def settle(self) -> None:
        """Wait until the zygote has cleaned up after its last job (tests, shutdown)."""
        with self._lock:
            if self._zygote is not None and not self._zygote.settle():
                self._zygote.kill()
                self._zygote = None

    def isolation_layers(self) -> list[str]:
        """What isolation is active, as verified by the sandbox's own self-test (starts the
        sandbox if it never ran; afterwards answers at once, even while a job runs)."""
        info = self._last_info
        if info is not None:
            return list(info.layers)
        with self._lock:
            if self._last_info is None:
                try:
                    if self._single is not None:
                        self._single.warm()
                    else:
                        self._ensure()
                except SandboxUnavailable as exc:
                    return [f"sandbox unavailable: {exc}"]
            return list(self._last_info.layers) if self._last_info else []

    @property
    def info(self) -> ZygoteInfo | None:
        return self._last_info

    def restart(self) -> None:
        with self._lock:
            if self._zygote is not None:
                self._zygote.stop()
                self._zygote = None

    def shutdown(self) -> None:
        with self._lock:
            if self._zygote is not None:
                self._zygote.stop()
                self._zygote = None
            if self._single is not None:
                self._single.shutdown()


class _SingleUseWorkers:
    """GPU hosts (GRADING_DEVICE=cuda), or GRADING_SANDBOX_SINGLE_USE: a warm pool of
    single-use sandboxes.

    CUDA cannot cross fork(): a process that initialised CUDA cannot hand it to a forked
    child. So each sandbox here is a zygote started with ``single_use``: it never touches
    CUDA itself, forks its one child right after start-up, and that child initialises CUDA
    (warm) and waits, already inside bwrap, for its job; it then confines itself (seccomp,
    Landlock, rlimits without RLIMIT_AS, which CUDA's huge reservations break) and runs it.
    After the job the whole sandbox exits and a fresh one is started in the background.
    GPU devices are bound with ``--dev-bind /dev/nvidia*`` and /sys is bound read-only.

    The single-use mechanics (fork before the job, job handed over a pipe) are tested on
    CPU with GRADING_SANDBOX_SINGLE_USE; the CUDA parts (CUDA warm-up in the child, device
    binds, no RLIMIT_AS) are NOT TESTED: this project's machines have no GPU.
    """

    def __init__(self, pool: SandboxPool):
        self.pool = pool
        self.spares: list[Zygote] = []
        self.closed = False
        self._lock = threading.Lock()

    def _start_one(self) -> None:
        try:
            zygote = self.pool._new_zygote(single_use=True)
        except SandboxUnavailable as exc:
            log.error("single-use sandbox failed to start: %s", exc)
            return
        with self._lock:
            if not self.closed:
                self.spares.append(zygote)
                return
        zygote.stop()  # the pool was shut down meanwhile

    def warm(self) -> list[str]:
        while len(self.spares) < self.pool.settings.warm_workers:
            before = len(self.spares)
            self._start_one()
            if len(self.spares) == before:
                raise SandboxUnavailable("single-use sandbox failed to start")
        return list(self.spares[0].info.layers)

    def run_job(
        self,
        job: bytes,
        on_frame: OnFrame,
        *,
        timeout_s: float,
        max_total: int,
        max_result: int = wire.DEFAULT_MAX_FRAME,
    ) -> tuple[dict[str, Any], bytes]:
        with self._lock:
            zygote = self.spares.pop(0) if self.spares else None
        if zygote is None or not zygote.alive():
            if zygote is not None:
                zygote.kill()
            zygote = self.pool._new_zygote(single_use=True)
        threading.Thread(target=self._start_one, daemon=True, name="sandbox-warm").start()
        try:
            return zygote.run_job(
                job, on_frame, time.monotonic() + timeout_s, max_total, max_result
            )
        finally:
            zygote.kill()  # single use, whatever happened

    def shutdown(self) -> None:
        with self._lock:
            self.closed = True
            spares, self.spares = self.spares, []
        for zygote in spares:
            zygote.stop()


# --- module-level pool (one per worker process) ------------------------------------------------

_pool: SandboxPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> SandboxPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = SandboxPool()
            # A clean exit stops the zygote and removes its cgroups (bwrap's
            # --die-with-parent covers a crash; stale cgroups are removed on the next start).
            atexit.register(shutdown)
        return _pool


def isolation_layers() -> list[str]:
    """Verified isolation layers of this worker's sandbox (starts it if needed)."""
    return get_pool().isolation_layers()


def shutdown() -> None:
    """Stop the sandbox (worker shutdown, tests)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown()
