"""Write outside the scratch dir: /tmp, the sandbox package, the venv, /dev/shm, /."""
import os
import sys

import numpy


def add(a, b):
    results = []
    targets = ["/tmp/la-hostile-outside", "/dev/shm/la-hostile", "/la-hostile",
               "/opt/la_sandbox/grading/sandbox/probes.py",
               os.path.join(os.path.dirname(numpy.__file__), "__init__.py"),
               os.path.join(sys.prefix, "pwned.pth"), "../la-hostile-up",
               "/work/main/la-hostile"]
    for target in targets:
        try:
            with open(target, "a") as fh:
                fh.write("pwned\n")
            results.append((target, "WROTE"))
        except Exception as exc:
            results.append((target, repr(exc)))
    raise PermissionError(repr(results))
