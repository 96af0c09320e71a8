"""Challenge: self-attention (Build a Large Language Model From Scratch, ch. 3.3-3.4).

Implement the two compact self-attention classes of section 3.4. The grader loads its own
random weights into your classes by the parameter names below, so keep the names and shapes.
An input x has shape (num_tokens, d_in) -- no batch dimension yet.
"""

import torch
import torch.nn as nn


class SelfAttention_v1(nn.Module):
    """Self-attention with trainable weight matrices (section 3.4.1)."""

    def __init__(self, d_in, d_out):
        super().__init__()
        # TODO: three trainable matrices of shape (d_in, d_out), initialised with torch.rand:
        #   self.W_query = nn.Parameter(...)
        #   self.W_key = nn.Parameter(...)
        #   self.W_value = nn.Parameter(...)

    def forward(self, x):
        # TODO: queries, keys and values (x @ W), the attention scores (queries @ keys.T),
        # the attention weights (softmax of the scores scaled by sqrt(d_k), over the last dim),
        # and the context vectors (weights @ values), shape (num_tokens, d_out).
        raise NotImplementedError("TODO: implement SelfAttention_v1.forward")


class SelfAttention_v2(nn.Module):
    """The same maths with nn.Linear layers (section 3.4.2)."""

    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        # TODO: self.W_query, self.W_key, self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        # TODO: as in v1, with the linear layers computing queries, keys and values.
        raise NotImplementedError("TODO: implement SelfAttention_v2.forward")


if __name__ == "__main__":
    torch.manual_seed(789)
    inputs = torch.rand(6, 3)
    print(SelfAttention_v2(3, 2)(inputs))
