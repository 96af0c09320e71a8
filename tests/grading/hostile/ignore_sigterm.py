"""Ignore every catchable signal, then spin."""
import signal

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGALRM,
            signal.SIGUSR1, signal.SIGQUIT):
    signal.signal(sig, signal.SIG_IGN)


def add(a, b):
    while True:
        try:
            while True:
                pass
        except BaseException:
            continue
