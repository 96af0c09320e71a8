"""Ask torch for many threads after fork (OpenMP after fork), then do heavy matmuls."""
import torch

torch.set_num_threads(256)


def add(a, b):
    x = torch.randn(2048, 2048)
    for _ in range(50):
        x = x @ x
    return a - b
