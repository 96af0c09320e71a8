"""Close every fd (the result and output pipes), then hang."""
import os
import time


def add(a, b):
    os.closerange(0, 256)
    time.sleep(3600)
