"""Overrides book.py: assign never checks the shapes."""

import numpy as np
import torch


def assign(left, right):
    return torch.nn.Parameter(torch.tensor(right))
