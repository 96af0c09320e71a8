"""Raise our own limits and lower the parent's (prlimit on another pid)."""
import ctypes
import os
import resource


def add(a, b):
    results = []
    for res in (resource.RLIMIT_CPU, resource.RLIMIT_AS, resource.RLIMIT_NOFILE,
                resource.RLIMIT_NPROC):
        try:
            resource.setrlimit(res, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            results.append((res, "RAISED"))
        except Exception as exc:
            results.append((res, repr(exc)))
    try:
        resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (0, 0))
        results.append(("prlimit parent", "LOWERED"))
    except Exception as exc:
        results.append(("prlimit parent", repr(exc)))
    libc = ctypes.CDLL(None, use_errno=True)
    results.append(("setpriority parent", libc.setpriority(0, os.getppid(), 19),
                    ctypes.get_errno()))
    results.append(("unshare", libc.unshare(0x10000000), ctypes.get_errno()))  # CLONE_NEWUSER
    raise RuntimeError(repr(results))
