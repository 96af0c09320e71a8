"""Equivalent: a boolean tril "allowed" mask (persistent=False), finfo.min, functional dropout."""

import torch
import torch.nn.functional as F
from torch import nn


class CausalAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, qkv_bias=False):
        super().__init__()
        self.p = dropout
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        allowed = torch.tril(torch.ones(context_length, context_length, dtype=torch.bool))
        self.register_buffer("mask", allowed, persistent=False)

    def forward(self, x):
        _, num_tokens, _ = x.shape
        queries, keys, values = self.W_query(x), self.W_key(x), self.W_value(x)
        scores = torch.matmul(queries, keys.mT) / keys.shape[-1] ** 0.5
        allowed = self.mask[:num_tokens, :num_tokens]
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        weights = F.dropout(F.softmax(scores, dim=-1), self.p, training=self.training)
        return weights @ values
