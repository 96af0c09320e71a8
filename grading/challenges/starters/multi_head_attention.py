"""Challenge: multi-head attention (Build a Large Language Model From Scratch, ch. 3.6).

Implement MultiHeadAttentionWrapper (stacked CausalAttention heads, section 3.6.1) and the
efficient MultiHeadAttention with weight splits (section 3.6.2). The grader loads its own
random weights by the names below. An input x has shape (batch, num_tokens, d_in).
"""

import torch
import torch.nn as nn


class CausalAttention(nn.Module):
    """Your causal attention class from the previous challenge (section 3.5.3)."""

    def __init__(self, d_in, d_out, context_length, dropout, qkv_bias=False):
        super().__init__()
        # TODO: paste your CausalAttention from the causal-attention challenge.

    def forward(self, x):
        raise NotImplementedError("TODO: paste your CausalAttention.forward")


class MultiHeadAttentionWrapper(nn.Module):
    """num_heads independent CausalAttention heads, outputs concatenated (section 3.6.1)."""

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        # TODO: self.heads = nn.ModuleList of num_heads CausalAttention(d_in, d_out, ...)

    def forward(self, x):
        # TODO: run every head on x and concatenate the results along the last dim:
        # shape (batch, num_tokens, d_out * num_heads).
        raise NotImplementedError("TODO: implement MultiHeadAttentionWrapper.forward")


class MultiHeadAttention(nn.Module):
    """All heads at once: one projection each for Q, K, V, split into heads (section 3.6.2)."""

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        # TODO: require d_out % num_heads == 0; head_dim = d_out // num_heads;
        # W_query/W_key/W_value = nn.Linear(d_in, d_out, bias=qkv_bias);
        # out_proj = nn.Linear(d_out, d_out); dropout; a buffer "mask" as in CausalAttention.

    def forward(self, x):
        b, num_tokens, d_in = x.shape
        # TODO: project, view as (b, num_tokens, num_heads, head_dim), transpose to
        # (b, num_heads, num_tokens, head_dim); causal scaled dot-product attention per head
        # (scale by sqrt(head_dim)); dropout; combine back to (b, num_tokens, d_out);
        # apply out_proj.
        raise NotImplementedError("TODO: implement MultiHeadAttention.forward")


if __name__ == "__main__":
    torch.manual_seed(123)
    batch = torch.rand(2, 6, 3)
    print(MultiHeadAttention(3, 2, 6, 0.0, num_heads=2)(batch).shape)  # torch.Size([2, 6, 2])
