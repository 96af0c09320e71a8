"""ptrace and process_vm_readv against the parent."""
import ctypes
import os


def add(a, b):
    libc = ctypes.CDLL(None, use_errno=True)
    results = []
    ppid = os.getppid()
    results.append(("attach", libc.ptrace(16, ppid, 0, 0), ctypes.get_errno()))  # ATTACH
    results.append(("seize", libc.ptrace(0x4206, ppid, 0, 0), ctypes.get_errno()))
    results.append(("traceme", libc.ptrace(0, 0, 0, 0), ctypes.get_errno()))

    class IoVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    buf = ctypes.create_string_buffer(4096)
    local = IoVec(ctypes.cast(buf, ctypes.c_void_p), 4096)
    remote = IoVec(0x400000, 4096)
    n = libc.process_vm_readv(ppid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    results.append(("process_vm_readv", n, ctypes.get_errno()))
    raise PermissionError(repr(results))
