"""Overrides book.py: load_weights_into_gpt as a table of (module, OpenAI array) pairs."""

import numpy as np
import torch


def assign(left, right):
    right = np.asarray(right)
    if tuple(left.shape) != right.shape:
        raise ValueError(f"shape mismatch: {tuple(left.shape)} vs {right.shape}")
    return torch.nn.Parameter(torch.from_numpy(right.copy()))


def load_weights_into_gpt(gpt, params):
    pairs = [(gpt.pos_emb, "weight", params["wpe"]), (gpt.tok_emb, "weight", params["wte"])]
    for block, p in zip(gpt.trf_blocks, params["blocks"]):
        att = block.att
        ws = np.split(p["attn"]["c_attn"]["w"], 3, axis=-1)
        bs = np.split(p["attn"]["c_attn"]["b"], 3, axis=-1)
        for layer, w, b in zip((att.W_query, att.W_key, att.W_value), ws, bs):
            pairs += [(layer, "weight", w.T), (layer, "bias", b)]
        pairs += [
            (att.out_proj, "weight", p["attn"]["c_proj"]["w"].T),
            (att.out_proj, "bias", p["attn"]["c_proj"]["b"]),
            (block.ff.layers[0], "weight", p["mlp"]["c_fc"]["w"].T),
            (block.ff.layers[0], "bias", p["mlp"]["c_fc"]["b"]),
            (block.ff.layers[2], "weight", p["mlp"]["c_proj"]["w"].T),
            (block.ff.layers[2], "bias", p["mlp"]["c_proj"]["b"]),
            (block.norm1, "scale", p["ln_1"]["g"]), (block.norm1, "shift", p["ln_1"]["b"]),
            (block.norm2, "scale", p["ln_2"]["g"]), (block.norm2, "shift", p["ln_2"]["b"]),
        ]
    pairs += [(gpt.final_norm, "scale", params["g"]), (gpt.final_norm, "shift", params["b"]),
              (gpt.out_head, "weight", params["wte"])]
    for module, name, value in pairs:
        setattr(module, name, assign(getattr(module, name), value))
