"""Equivalent: einsum, queries scaled before the product, float('-inf'), masked_fill_."""

import torch
from torch import nn


class CausalAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, qkv_bias=False):
        super().__init__()
        self.d_out = d_out
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(p=dropout)
        mask = torch.triu(torch.ones(context_length, context_length), diagonal=1).bool()
        self.register_buffer("mask", mask)

    def forward(self, x):
        num_tokens = x.size(1)
        queries = self.W_query(x) * self.d_out ** -0.5
        scores = torch.einsum("bqd,bkd->bqk", queries, self.W_key(x))
        scores.masked_fill_(self.mask[:num_tokens, :num_tokens], float("-inf"))
        weights = self.dropout(scores.softmax(dim=-1))
        return torch.einsum("bqk,bkd->bqd", weights, self.W_value(x))
