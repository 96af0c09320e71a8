"""Blow the C stack with unbounded recursion."""
import sys

sys.setrecursionlimit(10 ** 8)


def f(n):
    return f(n + 1) + 1


def add(a, b):
    return f(0)
