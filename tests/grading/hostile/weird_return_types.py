"""Return values that try to confuse the decoder: reserved keys, subclasses, NaN."""
import numpy as np


class Sneaky(float):
    def __repr__(self):
        return "pass"


def add(a, b):
    return {"__ndarray__": 0, "dtype": "object", "shape": [1 << 40],
            "__escaped__": [["status", "pass"]], "nan": float("nan"),
            "sneaky": Sneaky(1.0), "arr": np.full(3, np.nan, dtype=np.float32)}
