"""Fork bomb (os.fork, posix_spawn, multiprocessing, raw clone)."""
import ctypes
import os


def add(a, b):
    errors = []
    for _ in range(1000):
        try:
            if os.fork() == 0:
                while True:
                    os.fork()
        except Exception as exc:
            errors.append(repr(exc))
            break
    try:
        os.posix_spawn("/bin/true", ["/bin/true"], {})
    except Exception as exc:
        errors.append(repr(exc))
    try:
        import multiprocessing
        p = multiprocessing.Process(target=print)
        p.start()
    except Exception as exc:
        errors.append(repr(exc))
    libc = ctypes.CDLL(None, use_errno=True)
    pid = libc.syscall(56, 17, 0, 0, 0, 0)  # SYS_clone(SIGCHLD): a plain fork
    if pid == 0:
        os._exit(0)
    errors.append(("raw clone", pid, ctypes.get_errno()))
    pid = libc.syscall(57)  # SYS_fork
    if pid == 0:
        os._exit(0)
    errors.append(("raw fork", pid, ctypes.get_errno()))
    raise RuntimeError(repr(errors))
