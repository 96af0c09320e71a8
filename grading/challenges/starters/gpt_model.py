"""Challenge: the GPT model (Build a Large Language Model From Scratch, ch. 4.6).

Implement GPTModel(cfg) with the book's attribute names: tok_emb, pos_emb, drop_emb,
trf_blocks (n_layers TransformerBlocks), final_norm and out_head (no bias, not tied to tok_emb).
Paste your MultiHeadAttention, LayerNorm, GELU, FeedForward and TransformerBlock from the
previous challenges into this file: the grader imports only this file.

What the grader does: on small configurations it loads its own weights by the book's parameter
names and compares your logits, shape (batch, num_tokens, vocab_size), with its reference; it
builds (never runs) GPTModel(GPT_CONFIG_124M) once to count its parameters: 163,009,536 in
total, 124,412,160 without the output head, 621.83 MB in float32.
"""

import torch
import torch.nn as nn

GPT_CONFIG_124M = {
    "vocab_size": 50257,  # Vocabulary size
    "context_length": 1024,  # Context length
    "emb_dim": 768,  # Embedding dimension
    "n_heads": 12,  # Number of attention heads
    "n_layers": 12,  # Number of layers
    "drop_rate": 0.1,  # Dropout rate
    "qkv_bias": False,  # Query-Key-Value bias
}


# TODO: paste MultiHeadAttention, LayerNorm, GELU, FeedForward and TransformerBlock here.


class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        # TODO: self.tok_emb = nn.Embedding(vocab_size, emb_dim); self.pos_emb =
        #       nn.Embedding(context_length, emb_dim); self.drop_emb = nn.Dropout(drop_rate)
        # TODO: self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(n_layers)])
        # TODO: self.final_norm = LayerNorm(emb_dim); self.out_head = nn.Linear(emb_dim,
        #       vocab_size, bias=False)

    def forward(self, in_idx):
        batch_size, seq_len = in_idx.shape
        # TODO: tok_emb(in_idx) + pos_emb(torch.arange(seq_len, device=in_idx.device)),
        #       drop_emb, trf_blocks, final_norm, out_head -> logits
        raise NotImplementedError("TODO: implement GPTModel.forward")


if __name__ == "__main__":
    torch.manual_seed(123)
    model = GPTModel(GPT_CONFIG_124M)
    total = sum(p.numel() for p in model.parameters())
    print(f"{total:,}")  # 163,009,536
    print(f"{total - model.out_head.weight.numel():,}")  # 124,412,160
    print(f"{total * 4 / (1024 * 1024):.2f} MB")  # 621.83 MB
    batch = torch.tensor([[6109, 3626, 6100, 345], [6109, 1110, 6622, 257]])
    print(model(batch).shape)  # torch.Size([2, 4, 50257])
