"""Infinite CPU loop."""


def add(a, b):
    while True:
        pass
