"""Return a value far larger than a result may be (the tests cap results at 8 MiB)."""
import numpy as np


def add(a, b):
    return np.ones((16, 1 << 20), dtype=np.float32)  # 64 MiB
