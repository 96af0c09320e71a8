"""Equivalent: a hand-written stable softmax, queries pre-scaled, v1 computing via v2's maths."""

import torch
from torch import nn

torch.manual_seed(123)  # module-level code from the notebook is fine
inputs = torch.tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64]])


def softmax_rows(t):
    t = t - t.max(dim=-1, keepdim=True).values
    e = torch.exp(t)
    return e / e.sum(dim=-1, keepdim=True)


class SelfAttention_v1(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.W_query = nn.Parameter(torch.rand(d_in, d_out))
        self.W_key = nn.Parameter(torch.rand(d_in, d_out))
        self.W_value = nn.Parameter(torch.rand(d_in, d_out))

    def forward(self, x):
        d_k = self.W_key.shape[1]
        queries = (x @ self.W_query) / d_k ** 0.5
        attn_weights = softmax_rows(queries @ (x @ self.W_key).T)
        return attn_weights @ (x @ self.W_value)


class SelfAttention_v2(nn.Module):
    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        keys = self.W_key(x)
        queries = self.W_query(x) / torch.sqrt(torch.tensor(keys.shape[-1], dtype=x.dtype))
        return softmax_rows(queries @ keys.T) @ self.W_value(x)


print(SelfAttention_v1(3, 2)(inputs).shape)
