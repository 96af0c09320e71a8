"""Run /bin/sh: subprocess, os.system, os.popen, exec."""
import os
import subprocess


def add(a, b):
    errors = []
    for action in (lambda: subprocess.run(["/bin/sh", "-c", "echo pwned"], check=True),
                   lambda: os.system("echo pwned > /tmp/pwned"),
                   lambda: os.popen("id").read(),
                   lambda: os.execv("/bin/sh", ["/bin/sh", "-c", "echo pwned"])):
        try:
            errors.append(repr(action()))
        except Exception as exc:
            errors.append(repr(exc))
    raise RuntimeError(repr(errors))
