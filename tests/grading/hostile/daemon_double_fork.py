"""Daemonise: double fork + setsid, and subprocess with a new session, to outlive the run."""
import os
import subprocess


def add(a, b):
    errors = []
    try:
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                import time
                while True:
                    time.sleep(1)
            os._exit(0)
    except Exception as exc:
        errors.append(repr(exc))
    try:
        subprocess.Popen(["/bin/sleep", "3600"], start_new_session=True)
    except Exception as exc:
        errors.append(repr(exc))
    raise RuntimeError(repr(errors))
