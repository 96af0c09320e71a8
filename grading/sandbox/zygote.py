"""The sandbox parent ("zygote"): a torch-loaded process inside bwrap that forks one
confined child per submission and supervises it.

Started by ``grading.runner.pool`` as ``python -I -B .../grading/sandbox/zygote.py`` with an
empty environment, inside ``bwrap --unshare-all`` (no network, own pid/ipc/uts/mount/user
namespaces, read-only /usr, interpreter and venv, tmpfs /tmp). It holds no secrets.

It never holds a learner's data either. Every child inherits the zygote's memory, so
anything the zygote ever decoded (an earlier learner's source, outputs, tracebacks) could be
dug out of freed heap by a later child. Hence:

- a job arrives as an envelope whose *control* part (limits, timeouts) the zygote reads and
  whose *payload* (source, probe inputs) it leaves in the pipe: the forked child reads the
  payload itself, before it confines itself;
- result envelopes from the child are read into buffers allocated at their exact size,
  relayed to the trusted side unparsed (only their small control part is checked) and then
  zeroed; printed output likewise.

Pipes: fd 0 carries envelopes from the trusted side (one ``config``, then ``job``s), fd 1
carries envelopes back (``ready``; per job ``import``, ``probe``..., ``end`` as soon as the
last result is in, and ``idle`` once the child is reaped, its scratch removed and the next
child pre-forked), fd 2 is a diagnostics log the trusted side keeps for its own logs.

Supervision per job: per-probe and whole-run wall-clock deadlines (RLIMIT_CPU does not stop
``sleep``), an RSS/thread-count watchdog polling /proc, an output cap, and SIGKILL on any
violation. The child cannot fork (seccomp), so killing it kills the whole tree; bwrap's PID
namespace and --die-with-parent cover the rest if the zygote itself dies.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # -I keeps the script's directory off sys.path: put the package root (the directory
    # holding grading/sandbox, bound read-only at /opt/la_sandbox in the jail) there instead.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import ctypes  # noqa: E402
import select  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from grading.sandbox import confine, wire  # noqa: E402

MAX_ENVELOPE = 512 * 1024 * 1024
MAX_CHILD_CONTROL = 4096
WATCH_INTERVAL_S = 0.02
_U32 = struct.Struct(">I")


def scrub(buf: bytearray) -> None:
    """Zero a buffer in place (its memory is inherited by every later child)."""
    if buf:
        ctypes.memset((ctypes.c_char * len(buf)).from_buffer(buf), 0, len(buf))


# --- plumbing ----------------------------------------------------------------------------------


class Channel:
    """Blocking envelope I/O with the trusted side."""

    def __init__(self, fd_in: int, fd_out: int):
        self.fd_in = fd_in
        self.fd_out = fd_out

    def _read_exact(self, n: int) -> bytes | None:
        chunks = []
        while n:
            data = os.read(self.fd_in, min(n, 1 << 16))
            if not data:
                return None
            chunks.append(data)
            n -= len(data)
        return b"".join(chunks)

    def read_control(self) -> tuple[dict[str, Any], int] | None:
        """Read an envelope's control part; return it and the payload length still unread."""
        head = self._read_exact(8)
        if head is None:
            return None
        total, ctl_len = _U32.unpack(head[:4])[0], _U32.unpack(head[4:])[0]
        if total > MAX_ENVELOPE or ctl_len > wire.MAX_CONTROL or ctl_len + 4 > total:
            raise wire.WireError("bad envelope from the trusted side")
        body = self._read_exact(ctl_len)
        if body is None:
            return None
        control, _ = wire.split_envelope(_U32.pack(ctl_len) + body)
        return control, total - 4 - ctl_len

    def skip(self, n: int) -> None:
        while n:
            data = os.read(self.fd_in, min(n, 1 << 16))
            if not data:
                return
            n -= len(data)

    def send(self, control: dict[str, Any], payload: bytes | bytearray | memoryview = b"") -> None:
        wire.write_all(self.fd_out, wire.envelope_prefix(control, len(payload)))
        if payload:
            wire.write_all(self.fd_out, payload)


def log(message: str) -> None:
    try:
        os.write(2, f"zygote: {message}\n".encode("utf-8", "replace"))
    except OSError:
        pass


class ExactReader:
    """Reads envelopes from a non-blocking pipe into buffers of their exact size (no
    intermediate copies, so ``scrub`` really erases them)."""

    def __init__(self, fd: int, max_len: int):
        self.fd = fd
        self.max_len = max_len
        self.head = bytearray(4)
        self.head_got = 0
        self.body: bytearray | None = None
        self.got = 0
        self.eof = False

    def read(self) -> bytearray | None:
        """One complete envelope body, or None when no complete one is available yet."""
        while not self.eof:
            if self.body is None:
                n = self._readv(memoryview(self.head)[self.head_got :])
                if n is None:
                    return None
                self.head_got += n
                if self.head_got == 4:
                    (length,) = _U32.unpack(self.head)
                    if length > self.max_len:
                        raise wire.WireError(f"result of {length} bytes exceeds the cap")
                    self.body = bytearray(length)
                    self.got = 0
                    self.head_got = 0
                    if length == 0:
                        raise wire.WireError("empty result")
            else:
                n = self._readv(memoryview(self.body)[self.got :])
                if n is None:
                    return None
                self.got += n
                if self.got == len(self.body):
                    body, self.body = self.body, None
                    return body
        return None

    def _readv(self, view: memoryview) -> int | None:
        try:
            n = os.readv(self.fd, [view])
        except BlockingIOError:
            return None
        if n == 0:
            self.eof = True
            return None
        return n

    @property
    def partial(self) -> bool:
        return self.head_got > 0 or self.body is not None

    def close(self) -> None:
        if self.body is not None:
            scrub(self.body)
            self.body = None


# --- start-up ----------------------------------------------------------------------------------


def prepare_environment(config: dict[str, Any]) -> None:
    """Constant, secret-free environment for the imports below and for every child."""
    os.environ.clear()
    os.environ.update(
        {
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": "/tmp/.matplotlib",
            # One thread everywhere: OpenMP state must never be multi-threaded before fork().
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MALLOC_ARENA_MAX": "2",
        }
    )
    if config.get("device") == "cuda":
        os.environ["GRADING_DEVICE"] = "cuda"
    os.makedirs("/tmp/.matplotlib", exist_ok=True)


def import_libraries(config: dict[str, Any]) -> dict[str, Any]:
    """Import what book code imports at module level, once, before any fork."""
    info: dict[str, Any] = {}
    import numpy
    import torch

    # Before any torch op: a multi-threaded OpenMP pool in the parent can hang children.
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401 - warm the font cache now, not in every child
    import pandas
    import psutil  # noqa: F401
    import tiktoken  # noqa: F401
    import tqdm  # noqa: F401

    # Ops (registering into OPS), imported here so children inherit them.
    import grading.sandbox.probes  # noqa: F401
    import grading.sandbox.testing_ops  # noqa: F401

    # Warm torch's lazy initialisation (single-threaded; never CUDA) so children do not
    # each pay for it.
    x = torch.randn(4, 8, requires_grad=True)
    (torch.softmax(x @ x.T, dim=-1).sum()).backward()

    from grading.sandbox import offline_tiktoken

    info["tiktoken"] = offline_tiktoken.register(config.get("gpt2_ranks"))
    info["versions"] = {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
    }
    return info


def namespace_facts(config: dict[str, Any]) -> dict[str, Any]:
    """What the jail looks like from inside, for the trusted side's honest layer report."""
    facts: dict[str, Any] = {"pid": os.getpid()}
    try:
        with open("/proc/net/dev", encoding="ascii") as fh:
            facts["interfaces"] = [line.split(":")[0].strip() for line in fh.readlines()[2:]]
    except OSError as exc:
        facts["interfaces"] = [f"unreadable: {exc}"]
    try:
        with open("/proc/self/uid_map", encoding="ascii") as fh:
            facts["uid_map"] = " ".join(fh.read().split())
    except OSError:
        facts["uid_map"] = ""
    facts["visible_paths"] = [p for p in config.get("hidden_paths", []) if os.path.exists(p)]
    facts["landlock_abi"] = confine.landlock_abi()
    facts["rss_kib"] = confine.read_status_kib("VmRSS")
    facts["vmsize_kib"] = confine.read_status_kib("VmSize")
    facts["threads"] = confine.read_status_kib("Threads")
    return facts


# --- one job -----------------------------------------------------------------------------------


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _read_proc(pid: int) -> tuple[int, int]:
    """(RSS KiB, threads) of the child from /proc/<pid>/stat (cheap, read every 20 ms);
    zeros once it is gone. The child can rename itself (comm), so fields are counted from
    the *last* ")"."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
        fields = data[data.rindex(b")") + 2 :].split()
        # fields[0] is field 3 (state): num_threads is field 20, rss (pages) field 24.
        return int(fields[21]) * _PAGE_KIB, int(fields[17])
    except (OSError, ValueError, IndexError):
        return 0, 0


class Supervisor:
    """Relays one child's results to the trusted side and enforces every limit."""

    def __init__(
        self,
        channel: Channel,
        job: dict[str, Any],
        pid: int,
        result_r: int,
        output_r: int,
        start: float,
    ):
        self.channel = channel
        self.job = job
        self.pid = pid
        self.limits = job["limits"]
        self.timeouts = [float(t) for t in job["timeouts"]]
        self.start = start
        self.last = start
        self.result_r = result_r
        self.output_r = output_r
        # Envelope = 4 + control + a result frame of at most max_result_bytes.
        self.reader = ExactReader(
            result_r, int(self.limits["max_result_bytes"]) + MAX_CHILD_CONTROL + 8
        )
        self.output = bytearray(int(self.limits["output_keep"]))
        self.output_len = 0
        self.output_total = 0
        self.discard = bytearray(1 << 16)
        self.output_eof = False
        self.started = False  # the child has consumed its payload from the trusted pipe
        self.stage = "import"  # "import" -> "probe" -> "done"
        self.next_index = 0
        self.phase_deadline = start + float(job["import_s"])
        self.run_deadline = start + float(job["wall_s"])
        self.end: dict[str, Any] | None = None
        self.exit_status: int | None = None
        self.killed = False

    # -- helpers --
    def kill(self) -> None:
        if not self.killed:
            self.killed = True
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def fail(self, status: str, message: str, **extra: Any) -> None:
        if self.end is None:
            self.end = {"status": status, "message": message, **extra}
        self.kill()

    def where(self) -> dict[str, Any]:
        if self.stage == "import":
            return {"phase": "import", "index": None}
        return {"phase": "probe", "index": self.next_index}

    # -- results from the child --
    def on_envelope(self, body: bytearray) -> None:
        try:
            control, payload = wire.split_envelope(body)
            kind = control.get("type")
            if len(body) - len(payload) > MAX_CHILD_CONTROL:
                kind = None
            now = time.monotonic()
            if kind == "started" and not self.started:
                self.started = True
            elif kind == "fatal" and self.stage == "import":
                self.fail("sandbox", "a required isolation layer could not be applied")
            elif kind == "import" and self.stage == "import" and self.started:
                self.channel.send({"type": "import", "elapsed_s": now - self.last}, payload)
                if control.get("ok") is True:
                    self._advance()
                else:
                    self.stage = "done"
            elif (
                kind == "probe"
                and self.stage == "probe"
                and control.get("index") == self.next_index
            ):
                self.channel.send(
                    {"type": "probe", "index": self.next_index, "elapsed_s": now - self.last},
                    payload,
                )
                self.next_index += 1
                self._advance()
            else:
                self.fail("protocol", "malformed or out-of-order result", **self.where())
            del payload
        except wire.WireError as exc:
            self.fail("protocol", f"malformed result ({exc})", **self.where())
        finally:
            scrub(body)

    def _advance(self) -> None:
        # The next probe's clock starts once the relay write returned, so a trusted side
        # that is slow to read never turns into a timeout for the learner.
        now = self.last = time.monotonic()
        if self.next_index >= len(self.timeouts):
            self.stage = "done"
        else:
            self.stage = "probe"
            self.phase_deadline = now + self.timeouts[self.next_index]

    def read_output(self) -> None:
        while not self.output_eof:
            room = len(self.output) - self.output_len
            target = (
                memoryview(self.output)[self.output_len :] if room > 0 else memoryview(self.discard)
            )
            try:
                n = os.readv(self.output_r, [target])
            except BlockingIOError:
                return
            finally:
                if room <= 0:
                    scrub(self.discard)
            if n == 0:
                self.output_eof = True
                return
            self.output_total += n
            if room > 0:
                self.output_len += n
            if self.output_total > int(self.limits["output_kill"]):
                self.fail(
                    "output",
                    "printed too much",
                    limit_bytes=int(self.limits["output_kill"]),
                    **self.where(),
                )
                return

    def watchdog(self) -> None:
        rss_kib, threads = _read_proc(self.pid)
        memory_mb = int(self.limits["memory_mb"])
        if rss_kib > memory_mb * 1024:
            self.fail("memory", "used too much memory", limit_mb=memory_mb, **self.where())
        elif threads > int(self.limits["threads"]):
            self.fail(
                "threads",
                "started too many threads",
                limit=int(self.limits["threads"]),
                **self.where(),
            )

    def check_deadlines(self, now: float) -> None:
        if self.end is not None or self.stage == "done":
            return
        if now >= self.run_deadline:
            self.fail(
                "timeout",
                "whole run",
                which="run",
                limit_s=float(self.job["wall_s"]),
                **self.where(),
            )
        elif now >= self.phase_deadline:
            where = self.where()
            limit = (
                float(self.job["import_s"])
                if where["phase"] == "import"
                else self.timeouts[self.next_index]
            )
            self.fail("timeout", where["phase"], which=where["phase"], limit_s=limit, **where)

    # -- main loop --
    def run(self, pidfd: int) -> dict[str, Any]:
        exited = False
        drain_until = 0.0
        next_watch = self.start
        while not (self.reader.eof and self.output_eof):
            if self.stage == "done":
                # Every result is in: whatever was printed before the last result is already
                # in the pipe. Take it and report now; the child is reaped after the end
                # message, off the learner's critical path.
                self.read_output()
                break
            now = time.monotonic()
            if exited:
                # The child is gone, so its pipes hit EOF once drained; only a process that
                # escaped the tree could keep them open (impossible under seccomp): bound it.
                if now >= drain_until:
                    break
            else:
                self.check_deadlines(now)
                if not self.killed and now >= next_watch:
                    self.watchdog()
                    next_watch = now + WATCH_INTERVAL_S
            wait = WATCH_INTERVAL_S
            if not exited and self.end is None:
                # Wake up exactly at the next deadline (select also wakes on any I/O and on
                # the child's exit through its pidfd).
                wait = min(wait, max(0.0, min(self.phase_deadline, self.run_deadline) - now))
            fds = [
                fd
                for fd, eof in ((self.result_r, self.reader.eof), (self.output_r, self.output_eof))
                if not eof
            ]
            ready, _, _ = select.select(fds + ([] if exited else [pidfd]), [], [], wait)
            if pidfd in ready:
                _, self.exit_status = os.waitpid(self.pid, 0)
                exited = True
                drain_until = time.monotonic() + 0.5
            if self.output_r in ready:
                self.read_output()
            if self.result_r in ready:
                try:
                    while (body := self.reader.read()) is not None:
                        if self.end is None:
                            self.on_envelope(body)
                        else:
                            scrub(body)
                except wire.WireError as exc:
                    self.fail("protocol", f"malformed result ({exc})", **self.where())
                    self.reader.eof = True  # stop reading; the child is being killed
        if not exited and self.stage == "done":
            return self.finish()
        if not exited and select.select([pidfd], [], [], 0.5)[0]:
            # Both pipes closed because the child just died: report how it died.
            _, self.exit_status = os.waitpid(self.pid, 0)
            exited = True
        if not exited:
            if self.stage != "done":
                self.fail("protocol", "closed its result channel", **self.where())
            self.kill()
            _, self.exit_status = os.waitpid(self.pid, 0)
        return self.finish()

    def reap(self) -> None:
        """Make sure the child is gone (it may still be exiting after the end message)."""
        if self.exit_status is None:
            self.kill()
            _, self.exit_status = os.waitpid(self.pid, 0)
        self.reader.close()

    def finish(self) -> dict[str, Any]:
        end = self.end
        if self.stage == "done":
            # Every result arrived; anything after that (a lingering thread we killed, too
            # much output at exit) does not change what the trusted side grades.
            end = {"status": "ok", "message": ""}
        elif end is None:
            status = self.exit_status or 0
            if os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
                end = {
                    "status": "crashed",
                    "signal": _signal_name(sig),
                    "message": "CPU time"
                    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and self._cpu_exhausted())
                    else "signal",
                }
            else:
                end = {"status": "crashed", "exit_code": os.WEXITSTATUS(status), "message": "exit"}
            end.update(self.where())
        return {
            "type": "end",
            **end,
            "stdout_truncated": self.output_total > self.output_len,
            "stdout_bytes": self.output_total,
            "elapsed_s": time.monotonic() - self.start,
        }

    def _cpu_exhausted(self) -> bool:
        # A SIGKILL we did not send, after at least the CPU budget of wall time: the
        # RLIMIT_CPU hard limit (a dead child's CPU time can no longer be read).
        return not self.killed and time.monotonic() - self.start >= float(self.limits["cpu_s"])


def _remove_scratch(path: str) -> bool:
    """Remove the child's scratch dir (never following symlinks: shutil.rmtree works on
    fds with O_NOFOLLOW). A learner may have chmod'ed anything in it to 000, so restore
    permissions and retry. Returns False when it could not be removed (the zygote then
    recycles, so scratch space never leaks into the next submission)."""

    def retry(func: Any, target: str, _exc: Any) -> None:
        for victim in (target, os.path.dirname(target)):
            try:
                if not os.path.islink(victim):
                    os.chmod(victim, 0o700)
            except OSError:
                pass
        try:
            func(target)
        except OSError:
            pass

    for _ in range(3):
        try:
            if not os.path.islink(path):
                os.chmod(path, 0o700)
            shutil.rmtree(path, onerror=retry)
        except Exception as exc:  # never let cleanup take the zygote down
            log(f"scratch cleanup: {type(exc).__name__}")
        if not os.path.lexists(path):
            return True
    return False


class Prepared:
    """A forked child waiting for its job on the ``go`` pipe."""

    def __init__(self, pid: int, go_w: int, result_r: int, output_r: int, scratch: str):
        self.pid = pid
        self.go_w = go_w
        self.result_r = result_r
        self.output_r = output_r
        self.scratch = scratch


def fork_child(channel: Channel, config: dict[str, Any], scratch_base: str) -> Prepared:
    """Fork the next job's child. It sets itself up (and on CUDA hosts warms CUDA up), then
    blocks until the job's control part arrives on its ``go`` pipe; it reads the payload
    itself from the trusted side's pipe."""
    import tempfile

    from grading.sandbox import child

    scratch = tempfile.mkdtemp(prefix="job-", dir=scratch_base)
    result_r, result_w = os.pipe2(os.O_CLOEXEC)
    output_r, output_w = os.pipe2(os.O_CLOEXEC)
    go_r, go_w = os.pipe2(os.O_CLOEXEC)
    zygote_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # child: never returns
        try:
            child.child_main(config, zygote_pid, channel.fd_in, go_r, result_w, output_w, scratch)
        finally:
            os._exit(70)
    for fd in (result_w, output_w, go_r):
        os.close(fd)
    os.set_blocking(result_r, False)
    os.set_blocking(output_r, False)
    return Prepared(pid, go_w, result_r, output_r, scratch)


def supervise(channel: Channel, job: dict[str, Any], prepared: Prepared) -> bool:
    """Supervise one job, report its end, then clean up. False when the zygote should go."""
    start = time.monotonic()
    pidfd = os.pidfd_open(prepared.pid)
    sup = Supervisor(channel, job, prepared.pid, prepared.result_r, prepared.output_r, start)
    try:
        end = sup.run(pidfd)
        output = memoryview(sup.output)[: sup.output_len]
        try:
            channel.send(end, output)
        finally:
            del output
            scrub(sup.output)
    finally:
        sup.reap()
        for fd in (pidfd, prepared.result_r, prepared.output_r):
            os.close(fd)
    clean = _remove_scratch(prepared.scratch)
    # A child that died before consuming its payload left it in our input pipe (the stream
    # is out of step); a scratch dir that could not be removed would be readable by the next
    # child; a required layer that failed will fail again: in all three cases this zygote
    # must go.
    return clean and sup.started and end["status"] != "sandbox"


def run_selftest(config: dict[str, Any], scratch_base: str) -> dict[str, Any]:
    """Fork one child that confines itself exactly like a job's child and probes its own
    walls (socket, fork, signals, writes outside scratch) and the libraries under them."""
    import tempfile

    from grading.sandbox import child

    scratch = tempfile.mkdtemp(prefix="selftest-", dir=scratch_base)
    result_r, result_w = os.pipe2(os.O_CLOEXEC)
    zygote_pid = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            child.selftest_main(config, zygote_pid, result_w, scratch)
        finally:
            os._exit(70)
    os.close(result_w)
    chunks = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([result_r], [], [], 1.0)
        if ready:
            data = os.read(result_r, 1 << 16)
            if not data:
                break
            chunks.append(data)
    else:
        os.kill(pid, signal.SIGKILL)
    os.close(result_r)
    _, status = os.waitpid(pid, 0)
    _remove_scratch(scratch)
    try:
        result = wire.decode(b"".join(chunks))
    except wire.WireError as exc:
        return {"error": f"self-test gave no result ({exc}; wait status {status})"}
    return result if isinstance(result, dict) else {"error": "bad self-test result"}


# --- main --------------------------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()
    # Keep private copies of the two pipes and point fds 0/1 at /dev/null, so a stray print
    # (ours or a library's) can never corrupt the stream.
    channel = Channel(os.dup(0), os.dup(1))
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    sys.stdout = sys.stderr
    # Nothing else in the jail may read our memory or environment through /proc.
    confine.set_not_dumpable()

    first = channel.read_control()
    if first is None or first[0].get("type") != "config" or first[1]:
        log("expected a config envelope")
        return 2
    config = first[0]
    prepare_environment(config)
    info = import_libraries(config)
    facts = namespace_facts(config)
    scratch_base = config.get("scratch_base") or "/tmp"
    selftest = run_selftest(config, scratch_base)
    return serve(
        channel,
        config,
        scratch_base,
        {
            "type": "ready",
            "startup_s": time.monotonic() - started,
            **info,
            "facts": facts,
            "selftest": selftest,
        },
    )


def _discard(prepared: Prepared) -> None:
    """End a pre-forked child that never got a job and remove its scratch dir."""
    try:
        os.kill(prepared.pid, signal.SIGKILL)
        os.waitpid(prepared.pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    os.close(prepared.go_w)
    _remove_scratch(prepared.scratch)


def serve(
    channel: Channel, config: dict[str, Any], scratch_base: str, ready: dict[str, Any]
) -> int:
    """Announce ``ready``, then run jobs until told to exit.

    The next job's child is always forked ahead of time, while idle: fork() of a
    torch-loaded process is not free, and this way it happens off the learner's critical
    path. (Single-use workers on CUDA hosts must fork before anything touches CUDA anyway;
    their child warms CUDA up while it waits.) A pre-forked child holds nothing of any job.
    """
    waiting: Prepared | None = fork_child(channel, config, scratch_base)
    try:
        channel.send(ready)
        while True:
            got = channel.read_control()
            if got is None or got[0].get("type") == "exit":
                return 0
            job, payload_len = got
            if job.get("type") != "job" or waiting is None:
                log("unexpected envelope")
                return 2
            current, waiting = waiting, None
            wire.write_all(current.go_w, wire.envelope(job) + _U32.pack(payload_len))
            os.close(current.go_w)
            keep_going = supervise(channel, job, current)
            if not keep_going or config.get("single_use"):
                channel.send({"type": "idle", "recycle": True})
                return 0
            waiting = fork_child(channel, config, scratch_base)
            channel.send({"type": "idle", "recycle": False})
    finally:
        if waiting is not None:  # (on the host's /tmp when running without bwrap)
            _discard(waiting)


if __name__ == "__main__":
    sys.exit(main())
