"""Reach PostgreSQL / Redis / the web server over TCP, via Python and via raw syscalls."""
import ctypes
import socket


def attempt():
    results = []
    for port in (5432, 6379, 8000, 47777, 80, 22):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
            s.sendall(b"PING\r\n")
            results.append((port, "CONNECTED", s.recv(100)))
        except Exception as exc:
            results.append((port, repr(exc)))
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.syscall(41, 2, 1, 0)  # SYS_socket(AF_INET, SOCK_STREAM)
    results.append(("raw socket()", fd, ctypes.get_errno()))
    return results


def add(a, b):
    res = attempt()
    if any("CONNECTED" in r for r in res):
        return a + b  # would pass; the test would then fail on the listener side
    raise ConnectionError(repr(res))
