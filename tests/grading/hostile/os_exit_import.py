"""os._exit at import time (skips every handler)."""
import os

print("bye")
os._exit(0)


def add(a, b):
    return a + b
