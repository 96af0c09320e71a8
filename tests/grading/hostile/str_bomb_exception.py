"""An exception whose str() never returns (the reporter calls it)."""


class Endless(Exception):
    def __str__(self):
        while True:
            pass


def add(a, b):
    raise Endless()
