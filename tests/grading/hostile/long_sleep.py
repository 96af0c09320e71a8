"""Sleep for an hour (RLIMIT_CPU does not stop this)."""
import time


def add(a, b):
    time.sleep(3600)
    return a + b
