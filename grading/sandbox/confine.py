"""Self-confinement of a freshly forked sandbox child (runs inside the jail).

Each function applies one layer and returns a short status string, or raises
``ConfinementError``. The child decides (from the zygote's config) which layers are
required; a required layer that fails aborts the job instead of running code unconfined.

Order matters (see ``child.py``): setsid and parent-death signal first, then fds, rlimits,
Landlock (needs no_new_privs), and seccomp last, because the seccomp filter denies some of
the calls the earlier steps make.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38

try:
    # Imported here, i.e. once in the zygote before any fork: importing pyseccomp runs
    # ctypes.util.find_library (an ``ldconfig -p`` subprocess), ~10 ms a child would pay.
    import pyseccomp as _pyseccomp
except Exception as _exc:  # ImportError, or OSError when libseccomp itself is missing
    _pyseccomp = None
    _PYSECCOMP_ERROR = f"{type(_exc).__name__}: {_exc}"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int


class ConfinementError(RuntimeError):
    pass


def _prctl(option: int, arg2: int = 0) -> None:
    if _libc.prctl(option, ctypes.c_ulong(arg2), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise ConfinementError(f"prctl({option}) failed: {os.strerror(err)}")


def set_parent_death_signal(expected_parent: int) -> None:
    """SIGKILL us when the zygote dies; if it already died (race with fork), exit now."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != expected_parent:
        os._exit(111)


def set_not_dumpable() -> None:
    """No core dumps, and /proc/<pid>/mem, environ, ... unreadable by other processes."""
    _prctl(PR_SET_DUMPABLE, 0)


def set_no_new_privs() -> None:
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def keep_only_fds(keep: dict[int, int], *, preserve_devices: tuple[str, ...] = ()) -> None:
    """Move the fds in ``keep`` (source -> target number) into place, close every other fd.

    Forked children inherit every fd of the zygote (its pipes to the trusted side above
    all): all of them must go. Targets should cover 0..max(target) so that no stray fd
    survives below the top one. ``preserve_devices``: path prefixes of fds to keep where they
    are (the CUDA driver's /dev/nvidia* fds on GPU hosts).
    """
    import fcntl

    top = max(keep.values())
    preserved: set[int] = set()
    if preserve_devices:
        for name in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{name}")
            except OSError:
                continue
            if target.startswith(preserve_devices):
                preserved.add(int(name))
        top = max([top, *preserved])
    # Park every source above all targets first, so a dup2 never clobbers a source that is
    # still needed; the parked copies are closed below.
    parked = [(fcntl.fcntl(src, fcntl.F_DUPFD_CLOEXEC, top + 1), dst) for src, dst in keep.items()]
    for src, dst in parked:
        os.dup2(src, dst)
    if not preserved:
        os.closerange(top + 1, 1 << 20)  # close_range(2) underneath: one syscall
        return
    targets = set(keep.values())
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in targets and fd not in preserved:
            try:
                os.close(fd)
            except OSError:
                pass


def read_status_kib(field: str, pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def set_rlimits(
    *,
    cpu_s: float,
    memory_mb: int | None,
    nofile: int,
    fsize_bytes: int,
    nproc: int,
    base_vmsize: int | None = None,
) -> str:
    """CPU seconds, address space (None on CUDA hosts), open files, file size, no cores."""
    applied = []

    def lim(which: int, value: int, name: str, hard: int | None = None) -> None:
        resource.setrlimit(which, (value, value if hard is None else hard))
        applied.append(name)

    cpu = max(1, int(cpu_s + 0.999))
    # Soft limit -> SIGXCPU (terminates: Python installs no handler); hard +1 s -> SIGKILL.
    lim(resource.RLIMIT_CPU, cpu, f"cpu {cpu}s", hard=cpu + 1)
    lim(resource.RLIMIT_CORE, 0, "core 0")
    lim(resource.RLIMIT_NOFILE, nofile, f"nofile {nofile}")
    # Python ignores SIGXFSZ, so writing past the limit raises OSError(EFBIG) instead of
    # killing the process.
    lim(resource.RLIMIT_FSIZE, fsize_bytes, f"fsize {fsize_bytes >> 20} MiB")
    lim(resource.RLIMIT_NPROC, nproc, f"nproc {nproc}")
    if memory_mb is not None:
        # The torch-loaded process already maps ~0.7 GiB of address space; the cap is that
        # plus the memory budget plus room for a few thread stacks / malloc arenas.
        # (base_vmsize: read ahead of time, /proc/self/status of a big process is slow.)
        base = base_vmsize if base_vmsize is not None else read_status_kib("VmSize") * 1024
        cap = base + (memory_mb << 20) + (256 << 20)
        lim(resource.RLIMIT_AS, cap, f"as {cap >> 20} MiB")
    return ", ".join(applied)


# --- Landlock --------------------------------------------------------------------------------

_SYS_LANDLOCK_CREATE_RULESET = 444  # same number on x86_64 and aarch64 (new syscall table)
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1

_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_TRUNCATE = 1 << 14
_NET_BIND_TCP = 1 << 0
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
_SCOPE_SIGNAL = 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel struct is __attribute__((packed)): 12 bytes
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """Landlock ABI version, or 0 when the kernel has none (or it is disabled)."""
    abi = _libc.syscall(
        _SYS_LANDLOCK_CREATE_RULESET,
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION),
    )
    return max(int(abi), 0)


def _fs_rights(abi: int) -> int:
    # Every filesystem right the ABI knows (bits 0..12, REFER 13 in v2, TRUNCATE 14 in v3,
    # IOCTL_DEV 15 in v5): handling them all means anything not granted below is denied.
    bits = 13
    if abi >= 2:
        bits = 14
    if abi >= 3:
        bits = 15
    if abi >= 5:
        bits = 16
    return (1 << bits) - 1


def apply_landlock(scratch: str, *, devices: tuple[str, ...] = ()) -> str:
    """Read-only view of the whole (jail) filesystem, writes only under ``scratch``.

    From ABI 4 also no TCP bind/connect; from ABI 6 no signals to, and no abstract Unix
    sockets of, processes outside this domain (the zygote, bwrap's init).
    """
    abi = landlock_abi()
    if abi <= 0:
        raise ConfinementError("landlock: not supported by this kernel")
    handled = _fs_rights(abi)
    attr = _RulesetAttr(handled_access_fs=handled, handled_access_net=0, scoped=0)
    size = 8
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
        size = 24
    ruleset = _libc.syscall(
        _SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
    )
    if ruleset < 0:
        raise ConfinementError(
            f"landlock: create_ruleset failed: {os.strerror(ctypes.get_errno())}"
        )
    ruleset = int(ruleset)
    try:
        read_only = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
        file_rw = _FS_READ_FILE | _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)
        _landlock_allow(ruleset, "/", read_only)
        _landlock_allow(ruleset, scratch, handled)
        _landlock_allow(ruleset, "/dev/null", file_rw)
        for device in devices:  # GPU hosts: /dev/nvidia* (the driver opens some lazily)
            _landlock_allow(ruleset, device, file_rw | ((1 << 15) if abi >= 5 else 0))
        if (
            _libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
            != 0
        ):
            raise ConfinementError(
                f"landlock: restrict_self failed: {os.strerror(ctypes.get_errno())}"
            )
    finally:
        os.close(ruleset)
    extra = []
    if abi >= 4:
        extra.append("no TCP bind/connect")
    if abi >= 6:
        extra.append("signals and abstract sockets scoped")
    return f"landlock ABI {abi}: read-only filesystem, writes only in scratch" + (
        "; " + ", ".join(extra) if extra else ""
    )


def _landlock_allow(ruleset: int, path: str, access: int) -> None:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = _PathBeneathAttr(allowed_access=access, parent_fd=fd)
        if (
            _libc.syscall(
                _SYS_LANDLOCK_ADD_RULE,
                ctypes.c_int(ruleset),
                ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH),
                ctypes.byref(rule),
                ctypes.c_uint32(0),
            )
            != 0
        ):
            raise ConfinementError(
                f"landlock: add_rule({path}) failed: {os.strerror(ctypes.get_errno())}"
            )
    finally:
        os.close(fd)


# --- seccomp ---------------------------------------------------------------------------------

# Denied outright with EPERM. Python, torch (threads via clone(CLONE_THREAD)), numpy, pandas,
# matplotlib (Agg) and tiktoken need none of these once their imports are done.
DENY_EPERM = (
    # new processes and programs (threads stay allowed, see clone below)
    "fork",
    "vfork",
    "execve",
    "execveat",
    # networking: a new netns still reaches named Unix sockets (postgres, docker.sock), and
    # Landlock does not stop connect() on them, so no socket() at all. socketpair() stays:
    # an anonymous pair reaches nothing and asyncio's self-pipe needs it.
    "socket",
    # other processes' memory and state
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "process_madvise",
    "kcmp",
    "pidfd_open",
    "pidfd_getfd",
    "pidfd_send_signal",
    "tkill",
    "migrate_pages",
    "move_pages",
    "setpriority",
    "ioprio_set",
    # namespaces and mounts
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "setns",
    "unshare",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    # kernel attack surface that ordinary Python never touches (io_uring can issue
    # connect/openat behind seccomp's back)
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "fanotify_init",
    "open_by_handle_at",
    "name_to_handle_at",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "iopl",
    "ioperm",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
    "quotactl",
    "quotactl_fd",
    "lookup_dcookie",
    "syslog",
    "vhangup",
)

_CLONE_THREAD = 0x00010000
_TIOCSTI = 0x5412
_TIOCLINUX = 0x541C


class SeccompProgram:
    """A compiled filter (classic BPF) for *this* process, built ahead of time.

    libseccomp needs a few milliseconds to compile ~80 rules into BPF; the pre-forked child
    does that while it waits for its job, and only loads the finished program when it
    confines itself. Its rules name the process's own pid, so it is built after the fork.
    """

    def __init__(self, program: bytes, seccomp_nr: int, pid: int):
        self.program = program
        self.seccomp_nr = seccomp_nr
        self.pid = pid


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1


def build_seccomp() -> SeccompProgram:
    """Compile the filter (default allow, listed calls denied). Raises when unavailable.

    Syscalls from another ABI (32-bit ``int 0x80`` on x86_64) hit libseccomp's bad-arch
    action, which kills the process, so they cannot be used to dodge the rules.
    """
    sc = _pyseccomp
    if sc is None:
        raise ConfinementError(f"seccomp: pyseccomp unavailable ({_PYSECCOMP_ERROR})")
    me = os.getpid()
    eperm = sc.ERRNO(errno.EPERM)
    try:
        flt = sc.SyscallFilter(sc.ALLOW)
        for name in DENY_EPERM:
            flt.add_rule(eperm, name)
        # Process creation via clone: only threads (CLONE_THREAD set) are allowed.
        flt.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, _CLONE_THREAD, 0))
        # clone3 passes its flags in a struct seccomp cannot read: ENOSYS makes glibc fall
        # back to clone(2), which the rule above can inspect.
        flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        # Signals only to ourselves: the zygote and bwrap's init are out of reach
        # (os.kill(os.getppid(), 9), kill(-1, 9), killpg of another group).
        flt.add_rule(eperm, "kill", sc.Arg(0, sc.NE, me))
        flt.add_rule(eperm, "tgkill", sc.Arg(0, sc.NE, me))
        flt.add_rule(eperm, "rt_sigqueueinfo", sc.Arg(0, sc.NE, me))
        flt.add_rule(eperm, "rt_tgsigqueueinfo", sc.Arg(0, sc.NE, me))
        # Limits and scheduling of other processes (pid 0 means "this process").
        flt.add_rule(eperm, "prlimit64", sc.Arg(0, sc.NE, 0))
        for name in ("sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr"):
            flt.add_rule(eperm, name, sc.Arg(0, sc.NE, 0))
        # Keep the parent-death signal; no terminal input injection.
        flt.add_rule(eperm, "prctl", sc.Arg(0, sc.EQ, PR_SET_PDEATHSIG))
        flt.add_rule(eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, _TIOCSTI))
        flt.add_rule(eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, _TIOCLINUX))
        fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
        try:
            with os.fdopen(os.dup(fd), "wb") as fh:
                flt.export_bpf(fh)
            program = os.pread(fd, 1 << 20, 0)
        finally:
            os.close(fd)
        nr = sc.resolve_syscall(sc.system_arch(), "seccomp")
    except OSError as exc:
        raise ConfinementError(f"seccomp: filter could not be built ({exc})") from None
    if not program or len(program) % 8:
        raise ConfinementError("seccomp: libseccomp produced no program")
    return SeccompProgram(program, int(nr), me)


def apply_seccomp(prepared: SeccompProgram | None = None) -> str:
    """Load the filter (built now unless ``prepared``) on every thread of this process."""
    prog = prepared or build_seccomp()
    if prog.pid != os.getpid():  # its kill/tgkill rules name the pid it was built for
        raise ConfinementError("seccomp: program was built for another process")
    buf = ctypes.create_string_buffer(prog.program, len(prog.program))
    fprog = _SockFprog(len(prog.program) // 8, ctypes.cast(buf, ctypes.POINTER(_SockFilter)))
    # no_new_privs is set by the caller (required to load a filter without CAP_SYS_ADMIN).
    if (
        _libc.syscall(
            prog.seccomp_nr,
            _SECCOMP_SET_MODE_FILTER,
            _SECCOMP_FILTER_FLAG_TSYNC,
            ctypes.byref(fprog),
        )
        != 0
    ):
        err = ctypes.get_errno()
        raise ConfinementError(f"seccomp: filter could not be loaded ({os.strerror(err)})")
    return (
        "seccomp: EPERM for socket, fork/vfork/clone of processes (clone3 -> ENOSYS), "
        "execve, ptrace, process_vm_*, signals to other processes, mount/namespaces, "
        "bpf, io_uring, keyctl and other kernel interfaces"
    )
