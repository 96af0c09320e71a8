"""Challenge: the transformer block (Build a Large Language Model From Scratch, ch. 4.1-4.5).

Implement LayerNorm, GELU, FeedForward and TransformerBlock. The block uses your own
MultiHeadAttention from chapter 3: paste it into this file (the grader imports only this file).
The grader loads its own random weights by the book's names below, runs each class in eval
mode (and in train mode for dropout) and compares with its reference implementation.

A configuration is a dict like the book's GPT_CONFIG_124M: keys vocab_size, context_length,
emb_dim, n_heads, n_layers, drop_rate, qkv_bias. Inputs have shape (batch, num_tokens, emb_dim)
with num_tokens <= context_length.
"""

import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):
    """Your MultiHeadAttention from the multi-head-attention challenge (section 3.6.2)."""

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        # TODO: paste your MultiHeadAttention (W_query, W_key, W_value, out_proj, dropout, mask)

    def forward(self, x):
        raise NotImplementedError("TODO: paste your MultiHeadAttention.forward")


class LayerNorm(nn.Module):
    def __init__(self, emb_dim):
        super().__init__()
        self.eps = 1e-5
        # TODO: self.scale = nn.Parameter(torch.ones(emb_dim)); self.shift = zeros

    def forward(self, x):
        # TODO: mean and *biased* variance (unbiased=False) over the last dim, then
        #       scale * (x - mean) / sqrt(var + eps) + shift
        raise NotImplementedError("TODO: implement LayerNorm.forward")


class GELU(nn.Module):
    def forward(self, x):
        # TODO: the tanh approximation 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
        raise NotImplementedError("TODO: implement GELU.forward")


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        # TODO: self.layers = nn.Sequential(Linear(emb_dim, 4 * emb_dim), GELU(),
        #       Linear(4 * emb_dim, emb_dim))

    def forward(self, x):
        raise NotImplementedError("TODO: implement FeedForward.forward")


class TransformerBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        # TODO: self.att = MultiHeadAttention(d_in=emb_dim, d_out=emb_dim, context_length=...,
        #       num_heads=cfg["n_heads"], dropout=cfg["drop_rate"], qkv_bias=cfg["qkv_bias"])
        # TODO: self.ff = FeedForward(cfg); self.norm1, self.norm2 = LayerNorm(emb_dim);
        #       self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

    def forward(self, x):
        # TODO: pre-norm with shortcuts:
        #       x = x + drop_shortcut(att(norm1(x))), then x = x + drop_shortcut(ff(norm2(x)))
        raise NotImplementedError("TODO: implement TransformerBlock.forward")


if __name__ == "__main__":
    cfg = {
        "vocab_size": 50257,
        "context_length": 1024,
        "emb_dim": 768,
        "n_heads": 12,
        "n_layers": 12,
        "drop_rate": 0.1,
        "qkv_bias": False,
    }
    torch.manual_seed(123)
    x = torch.rand(2, 4, 768)
    block = TransformerBlock(cfg)
    print(block(x).shape)  # torch.Size([2, 4, 768])
    print(sum(p.numel() for p in block.ff.parameters()))  # 4722432
    print(sum(p.numel() for p in block.att.parameters()))  # 2360064
    out = LayerNorm(768)(x)
    print(out.mean(dim=-1)[0], out.var(dim=-1, unbiased=False)[0])  # ~0 and ~1
