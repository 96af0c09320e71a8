"""Reach named and abstract Unix sockets (PostgreSQL's socket file, docker.sock, ...)."""
import glob
import socket

PATHS = ["/var/run/postgresql/.s.PGSQL.5432", "/run/postgresql/.s.PGSQL.5432",
         "/var/run/docker.sock", "/run/docker.sock", "/tmp/la-hostile.sock",
         "/run/la-hostile.sock", "/var/run/redis/redis.sock"]


def attempt():
    results = []
    for path in PATHS + glob.glob("/tmp/*.sock") + glob.glob("/run/**/*.sock", recursive=True):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(0.5)
            s.connect(path)
            results.append((path, "CONNECTED"))
        except Exception as exc:
            results.append((path, repr(exc)))
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\0la-hostile-abstract")
        results.append(("abstract", "CONNECTED"))
    except Exception as exc:
        results.append(("abstract", repr(exc)))
    return results


def add(a, b):
    raise ConnectionError(repr(attempt()))
