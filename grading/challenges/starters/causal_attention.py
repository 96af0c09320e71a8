"""Challenge: causal attention (Build a Large Language Model From Scratch, ch. 3.5).

Implement CausalAttention: self-attention that cannot look at later tokens, with dropout on
the attention weights. The grader loads its own random weights by the names below.
An input x has shape (batch, num_tokens, d_in) with num_tokens <= context_length.
"""

import torch
import torch.nn as nn


class CausalAttention(nn.Module):
    """Causal self-attention with dropout (section 3.5.3)."""

    def __init__(self, d_in, d_out, context_length, dropout, qkv_bias=False):
        super().__init__()
        self.d_out = d_out
        # TODO: self.W_query, self.W_key, self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        # TODO: self.dropout = nn.Dropout(dropout)
        # TODO: a buffer named "mask": ones above the diagonal of a
        #       (context_length, context_length) matrix -- self.register_buffer(...)

    def forward(self, x):
        b, num_tokens, d_in = x.shape
        # TODO: queries, keys, values; scores = queries @ keys.transpose(1, 2);
        # hide future tokens: fill the scores where the mask (sliced to num_tokens) is 1 with
        # -inf; softmax of scores / sqrt(d_k) over the last dim; dropout on the weights;
        # return weights @ values, shape (batch, num_tokens, d_out).
        raise NotImplementedError("TODO: implement CausalAttention.forward")


if __name__ == "__main__":
    torch.manual_seed(123)
    batch = torch.rand(2, 6, 3)
    print(CausalAttention(3, 2, 6, 0.0)(batch).shape)  # torch.Size([2, 6, 2])
