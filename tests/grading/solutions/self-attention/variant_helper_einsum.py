"""Equivalent: one shared helper, einsum, and register_parameter."""

import torch
import torch.nn as nn


def scaled_dot_product(queries, keys, values):
    scores = torch.einsum("qd,kd->qk", queries, keys)
    weights = torch.softmax(scores * keys.shape[-1] ** -0.5, dim=1)
    return torch.einsum("qk,kd->qd", weights, values)


class SelfAttention_v1(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        for name in ("W_query", "W_key", "W_value"):
            self.register_parameter(name, nn.Parameter(torch.rand(d_in, d_out)))

    def forward(self, x):
        return scaled_dot_product(x @ self.W_query, x @ self.W_key, x @ self.W_value)


class SelfAttention_v2(nn.Module):
    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        return scaled_dot_product(self.W_query(x), self.W_key(x), self.W_value(x))
