"""Overrides book.py: copies into the existing parameters under no_grad (assign as the book's)."""

import numpy as np
import torch


def load_weights_into_gpt(gpt, params):
    def put(param, value):
        value = torch.as_tensor(np.ascontiguousarray(value))
        if param.shape != value.shape:
            raise ValueError(f"Shape mismatch. Left: {param.shape}, Right: {value.shape}")
        param.copy_(value)

    with torch.no_grad():
        put(gpt.pos_emb.weight, params["wpe"])
        put(gpt.tok_emb.weight, params["wte"])
        for b, block in enumerate(gpt.trf_blocks):
            p = params["blocks"][b]
            q, k, v = np.split(p["attn"]["c_attn"]["w"], 3, axis=-1)
            qb, kb, vb = np.split(p["attn"]["c_attn"]["b"], 3, axis=-1)
            put(block.att.W_query.weight, q.T)
            put(block.att.W_key.weight, k.T)
            put(block.att.W_value.weight, v.T)
            put(block.att.W_query.bias, qb)
            put(block.att.W_key.bias, kb)
            put(block.att.W_value.bias, vb)
            put(block.att.out_proj.weight, p["attn"]["c_proj"]["w"].T)
            put(block.att.out_proj.bias, p["attn"]["c_proj"]["b"])
            put(block.ff.layers[0].weight, p["mlp"]["c_fc"]["w"].T)
            put(block.ff.layers[0].bias, p["mlp"]["c_fc"]["b"])
            put(block.ff.layers[2].weight, p["mlp"]["c_proj"]["w"].T)
            put(block.ff.layers[2].bias, p["mlp"]["c_proj"]["b"])
            put(block.norm1.scale, p["ln_1"]["g"])
            put(block.norm1.shift, p["ln_1"]["b"])
            put(block.norm2.scale, p["ln_2"]["g"])
            put(block.norm2.shift, p["ln_2"]["b"])
        put(gpt.final_norm.scale, params["g"])
        put(gpt.final_norm.shift, params["b"])
        put(gpt.out_head.weight, params["wte"])
