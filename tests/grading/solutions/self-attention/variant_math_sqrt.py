"""Equivalent: math.sqrt, F.softmax, transpose(-2, -1), torch.matmul, d_k from the layer."""

import math

import numpy as np  # noqa: F401  (extra imports are fine)
import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention_v1(nn.Module):
    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.W_query = nn.Parameter(torch.rand(d_in, d_out))
        self.W_key = nn.Parameter(torch.rand(d_in, d_out))
        self.W_value = nn.Parameter(torch.rand(d_in, d_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = torch.matmul(x, self.W_query)
        k = torch.matmul(x, self.W_key)
        v = torch.matmul(x, self.W_value)
        scores = torch.matmul(q, k.transpose(-2, -1))
        weights = F.softmax(scores / math.sqrt(k.shape[-1]), dim=-1)
        return torch.matmul(weights, v)


class SelfAttention_v2(nn.Module):
    def __init__(self, d_in: int, d_out: int, qkv_bias: bool = False) -> None:
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d_k = self.W_key.out_features
        q, k, v = self.W_query(x), self.W_key(x), self.W_value(x)
        weights = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(d_k), dim=-1)
        return weights @ v
