"""The sandboxed child: forked from the zygote for one submission, confines itself, imports
the learner's module and runs the probes, streaming one frame per result.

Nothing in this process is trusted once the learner's module is imported: it can rewrite
any Python object here, write to any fd it holds, or forge frames. That only ever changes
*what its own code appears to return*; expected values never exist on this side, timeouts
and crashes are decided by the zygote, and the trusted side validates every frame.

Envelopes written to the result pipe (fd 3 once confined), each a small control part the
zygote checks and a payload it relays unread: ``started`` (payload consumed from the
trusted pipe), then ``fatal`` (a required layer failed; nothing ran) or ``import`` followed
by one ``probe`` per probe, in order.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import io
import os
import sys
import time
import traceback
from typing import Any

from grading.sandbox import confine, wire

RESULT_FD = 3
BLOCKED_PACKAGES = ("llms_from_scratch",)
BLOCKED_MESSAGE = (
    "`llms_from_scratch` is the book's answer package and is not available here: "
    "submit your own implementation (copy the code you wrote into this file)."
)

# Captured before any learner code runs, so monkeypatching os/sys later cannot stop us
# from exiting (the zygote would kill us at the deadline anyway).
_exit = os._exit
_write_all = wire.write_all
_encode = wire.encode
_envelope = wire.envelope
_monotonic = time.monotonic


class _BlockAnswerPackage(importlib.abc.MetaPathFinder):
    """Meta-path finder that refuses the book's answer package with a clear message.

    ModuleNotFoundError (an ImportError) so ``try: import ... except ImportError`` still
    falls back to the learner's own code.
    """

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        root = fullname.partition(".")[0]
        if root in BLOCKED_PACKAGES:
            raise ModuleNotFoundError(BLOCKED_MESSAGE, name=fullname)
        return None


def _safe_str(value: Any, limit: int = 4000) -> str:
    try:
        text = str(value)
    except BaseException:  # a learner's __str__ may raise anything
        text = f"<{type(value).__name__} whose str() failed>"
    return text[:limit] + ("... [truncated]" if len(text) > limit else "")


def learner_traceback(exc: BaseException, solution_path: str) -> str:
    """The traceback a learner can use: only frames from their file, shown as solution.py."""
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == solution_path]
        for frame in frames:
            frame.filename = "solution.py"
        lines = ["Traceback (most recent call last):\n"] if frames else []
        lines += traceback.format_list(frames)
        lines += traceback.format_exception_only(type(exc), exc)
        text = "".join(lines)
    except BaseException:
        text = f"{type(exc).__name__}: {_safe_str(exc)}\n"
    text = text.replace(solution_path, "solution.py")
    return text[-8000:]


def _error(exc: BaseException, solution_path: str) -> dict[str, Any]:
    if isinstance(exc, SystemExit):
        message = f"SystemExit({_safe_str(exc.code, 200)}) - your code called sys.exit()"
    else:
        message = _safe_str(exc).replace(solution_path, "solution.py")
    return {
        "type": type(exc).__name__[:200],
        "message": message,
        "traceback": learner_traceback(exc, solution_path),
    }


def _send(control: dict[str, Any], obj: Any, max_bytes: int) -> None:
    """One envelope: a small control part the zygote checks, the frame it relays unread."""
    _write_all(RESULT_FD, _envelope(control, _encode(obj, max_bytes=max_bytes)))


def _unbuffered_text(fd: int) -> io.TextIOWrapper:
    # Unbuffered all the way down, so nothing printed is lost when the process ends with
    # os._exit (ours or the learner's) or is killed.
    raw = io.FileIO(fd, "w", closefd=False)
    return io.TextIOWrapper(
        raw, encoding="utf-8", errors="backslashreplace", write_through=True, line_buffering=False
    )


def early_setup(zygote_pid: int) -> None:
    """First thing after fork: own session, die with the zygote, not dumpable."""
    os.setsid()  # own session and process group: nothing to share a killpg with
    confine.set_parent_death_signal(zygote_pid)
    confine.set_not_dumpable()


def prepare_seccomp() -> confine.SeccompProgram | confine.ConfinementError:
    """Compile the seccomp filter ahead of the job (a failure is reported at confinement)."""
    try:
        return confine.build_seccomp()
    except confine.ConfinementError as exc:
        return exc


def confine_self(
    limits: dict[str, Any],
    config: dict[str, Any],
    result_w: int,
    output_w: int,
    scratch: str,
    seccomp: confine.SeccompProgram | confine.ConfinementError | None = None,
    base_vmsize: int | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Apply every layer. Returns (status per layer, failures of *required* layers)."""
    required = set(config.get("require", ()))
    cuda = config.get("device") == "cuda"
    status: dict[str, str] = {}
    failures: list[str] = []
    null = os.open("/dev/null", os.O_RDWR)
    # Every other inherited fd goes: the zygote's pipes to the trusted side above all. On
    # CUDA hosts the driver's own /dev/nvidia* fds must stay.
    confine.keep_only_fds(
        {null: 0, output_w: 1, result_w: RESULT_FD},
        preserve_devices=("/dev/nvidia",) if cuda else (),
    )
    os.dup2(1, 2)
    status["rlimits"] = confine.set_rlimits(
        cpu_s=float(limits["cpu_s"]),
        memory_mb=None if cuda else int(limits["memory_mb"]),
        nofile=int(limits["nofile"]),
        fsize_bytes=int(limits["fsize_bytes"]),
        nproc=int(limits["threads"]) + 16,
        base_vmsize=base_vmsize,
    )
    os.chdir(scratch)
    confine.set_no_new_privs()
    devices = (
        tuple(f"/dev/{n}" for n in os.listdir("/dev") if n.startswith("nvidia")) if cuda else ()
    )

    def load_seccomp() -> str:
        if isinstance(seccomp, confine.ConfinementError):
            raise seccomp
        return confine.apply_seccomp(seccomp)

    for layer, apply in (
        ("landlock", lambda: confine.apply_landlock(scratch, devices=devices)),
        ("seccomp", load_seccomp),
    ):
        try:
            status[layer] = apply()
        except confine.ConfinementError as exc:
            status[layer] = f"FAILED: {exc}"
            if layer in required:
                failures.append(str(exc))
    return status, failures


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        data = os.read(fd, min(n, 1 << 20))
        if not data:
            raise EOFError("job payload truncated")
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


def _warm_cuda(config: dict[str, Any]) -> None:
    """CUDA hosts: initialise CUDA in this (already forked) child, before the job arrives."""
    import torch

    torch.cuda.init()
    torch.empty(1, device="cuda")
    fraction = config.get("cuda_memory_fraction")
    if fraction:
        torch.cuda.set_per_process_memory_fraction(float(fraction))
    # Where tensors go is the ops' business: the trusted side passes ``device`` in the
    # probe arguments (see ops_training), results come back on the CPU.


def child_main(
    config: dict[str, Any],
    zygote_pid: int,
    job_fd: int,
    go_r: int,
    result_w: int,
    output_w: int,
    scratch: str,
) -> None:
    """Entry point after fork. Never returns: always ends with os._exit.

    Forked ahead of its job: set up, (CUDA hosts) warm CUDA up, wait for the job's control
    part on ``go_r``, then read the payload (source, probe inputs) from the trusted side's
    pipe ``job_fd`` itself, so the zygote never holds it; confine; run.
    """
    code = 0
    try:
        early_setup(zygote_pid)
        if config.get("device") == "cuda":
            _warm_cuda(config)
        # While we wait, off the learner's critical path:
        seccomp = prepare_seccomp()
        vmsize = confine.read_status_kib("VmSize") * 1024
        # Length-delimited (not read-to-EOF: we inherited the write end too).
        (length,) = wire._U32.unpack(_read_exact(go_r, 4))
        job, _ = wire.split_envelope(_read_exact(go_r, length))
        (payload_len,) = wire._U32.unpack(_read_exact(go_r, 4))
        payload = _read_exact(job_fd, payload_len)
        _write_all(result_w, _envelope({"type": "started"}))
        data_obj = wire.decode(payload)  # made by the trusted side
        del payload
        limits = job["limits"]
        max_bytes = int(limits["max_result_bytes"])
        _, failures = confine_self(limits, config, result_w, output_w, scratch, seccomp, vmsize)
        if failures:
            _send({"type": "fatal"}, {"message": "; ".join(failures)}, max_bytes)
            _exit(0)
        _run(data_obj, scratch, max_bytes)
    except BaseException:  # our own bug or a learner's trick that escaped _run
        code = 70
        try:
            os.write(2, traceback.format_exc()[-2000:].encode())
        except BaseException:
            pass
    _exit(code)


def _run(job: dict[str, Any], scratch: str, max_bytes: int) -> None:
    from grading.sandbox.probes import OPS

    sys.stdout = _unbuffered_text(1)
    sys.stderr = _unbuffered_text(2)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # fd 0 is /dev/null
    os.environ.clear()
    os.environ.update({"HOME": scratch, "TMPDIR": scratch, "MPLBACKEND": "Agg"})
    import tempfile

    tempfile.tempdir = scratch
    sys.meta_path.insert(0, _BlockAnswerPackage())
    sys.argv = ["solution.py"]
    sys.path[:] = [scratch] + [p for p in sys.path if p]  # their helper files, if any

    solution_path = os.path.join(scratch, "solution.py")
    with open(solution_path, "wb") as fh:
        fh.write(job["source"].encode("utf-8", "surrogateescape"))

    # --- import ---------------------------------------------------------------------------
    try:
        spec = importlib.util.spec_from_file_location("solution", solution_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["solution"] = module
        spec.loader.exec_module(module)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included
        _send(
            {"type": "import", "ok": False},
            {"ok": False, "error": _error(exc, solution_path)},
            max_bytes,
        )
        return
    names = list(job["names"]) + list(job.get("optional_names", []))
    missing = []
    for name in names:
        try:
            present = name in vars(module)
        except BaseException:
            present = False
        if not present:
            missing.append(name)
    _send({"type": "import", "ok": True}, {"ok": True, "missing": missing}, max_bytes)

    # --- probes ---------------------------------------------------------------------------
    missing_set = set(missing)
    for index, probe in enumerate(job["probes"]):
        control = {"type": "probe", "index": index}
        frame: dict[str, Any] = {}
        if missing_set.intersection(probe.get("needs", ())):
            frame.update(ok=False, skipped=True)
            _send(control, frame, max_bytes)
            continue
        start = _monotonic()
        try:
            fn = OPS.get(probe["op"])
            if fn is None:
                raise LookupError(f"unknown probe op {probe['op']!r}")
            value = fn(module, **probe["args"])
        except BaseException as exc:
            frame.update(ok=False, error=_error(exc, solution_path))
        else:
            frame.update(ok=True, value=value)
        frame["elapsed_s"] = _monotonic() - start
        try:
            data = _encode(frame, max_bytes=max_bytes)
        except Exception as exc:  # unsendable return value (object, huge, odd dtype)
            data = _encode(
                {
                    "ok": False,
                    "elapsed_s": frame["elapsed_s"],
                    "error": {
                        "type": "UnsupportedReturnValue",
                        "message": f"the grader cannot read the value your code "
                        f"returned: {_safe_str(exc, 300)}",
                        "traceback": "",
                    },
                },
                max_bytes=max_bytes,
            )
        _write_all(RESULT_FD, _envelope(control, data))


# --- start-up self-test -------------------------------------------------------------------------


def _attempt(fn: Any) -> str:
    """'denied' when the call fails with EPERM/EACCES, 'ALLOWED' when it succeeds."""
    try:
        fn()
    except PermissionError:
        return "denied"
    except BaseException as exc:
        return f"error: {type(exc).__name__}: {_safe_str(exc, 200)}"
    return "ALLOWED"


def _works(fn: Any) -> str:
    try:
        fn()
    except BaseException as exc:
        return f"BROKEN: {type(exc).__name__}: {_safe_str(exc, 300)}"
    return "ok"


def selftest_main(config: dict[str, Any], zygote_pid: int, result_w: int, scratch: str) -> None:
    """Confine exactly like a job's child, then test the walls and the libraries.

    Run once by the zygote at start-up; the trusted side turns the answers into the
    isolation report and refuses to grade when a required layer does not hold.
    """
    import socket
    import threading

    limits = {
        "cpu_s": 10,
        "memory_mb": 2048,
        "nofile": 64,
        "fsize_bytes": 8 << 20,
        "threads": 50,
        "max_result_bytes": 1 << 20,
    }
    limits.update(config.get("limits") or {})
    output_w = os.open("/dev/null", os.O_WRONLY)
    early_setup(zygote_pid)
    layers, _ = confine_self(limits, config, result_w, output_w, scratch)
    results: dict[str, Any] = {"layers": layers}

    def fork_once() -> None:
        pid = os.fork()
        if pid == 0:
            _exit(0)
        os.waitpid(pid, 0)

    def write_outside() -> None:
        path = os.path.join(os.path.dirname(scratch), f".selftest-outside-{os.getpid()}")
        with open(path, "w") as fh:
            fh.write("x")
        os.unlink(path)

    results["socket_inet"] = _attempt(
        lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    )
    results["socket_unix"] = _attempt(
        lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
    )
    results["fork"] = _attempt(fork_once)
    results["signal_parent"] = _attempt(lambda: os.kill(zygote_pid, 0))
    results["write_outside_scratch"] = _attempt(write_outside)
    results["write_scratch"] = _works(lambda: open(os.path.join(scratch, "x"), "w").close())

    def threads() -> None:
        box = []
        t = threading.Thread(target=lambda: box.append(1))
        t.start()
        t.join()
        assert box == [1]

    def torch_ok() -> None:
        import torch

        x = torch.randn(3, 5, 8, requires_grad=True)
        w = torch.nn.MultiheadAttention(8, 2, batch_first=True)
        out, _ = w(x, x, x)
        out.sum().backward()
        assert x.grad is not None

    def pandas_ok() -> None:
        import pandas as pd

        assert pd.DataFrame({"a": [1, 2]})["a"].sum() == 3

    def matplotlib_ok() -> None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.plot([1, 2, 3])
        fig.savefig(os.path.join(scratch, "plot.png"))
        plt.close(fig)

    def tiktoken_ok() -> None:
        import tiktoken.registry

        if "gpt2" not in tiktoken.registry.ENCODINGS:
            raise LookupError("skipped: the offline gpt2 encoding is not registered")
        assert tiktoken.get_encoding("gpt2").encode("Hello, world") == [15496, 11, 995]

    results["threads"] = _works(threads)
    results["torch"] = _works(torch_ok)
    results["pandas"] = _works(pandas_ok)
    results["matplotlib"] = _works(matplotlib_ok)
    results["tiktoken"] = _works(tiktoken_ok)
    _write_all(RESULT_FD, _encode({"type": "selftest", **results}, max_bytes=1 << 20))
    _exit(0)
