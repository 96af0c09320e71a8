"""Return values whose unpickling would run code on the trusted side."""
import os
import pickle

import numpy as np

MARKER = "/tmp/la-hostile-pickle-marker"


class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


def add(a, b):
    payload = pickle.dumps(Evil())
    return {"bytes": payload, "obj": Evil(), "array": np.array([Evil()], dtype=object),
            "value": a + b}
