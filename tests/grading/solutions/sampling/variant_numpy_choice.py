"""Samples with numpy's generator seeded from torch (not torch.multinomial); top-p keeps
tokens while the probability before them is below p."""

import numpy as np
import torch


def generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None,
             eos_id=None, top_p=None):
    rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,))))
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]
        with torch.no_grad():
            logits = model(idx_cond)[:, -1, :]
        if top_k is not None:
            min_val = torch.topk(logits, top_k).values[:, -1:]
            logits = logits.masked_fill(logits < min_val, -torch.inf)
        if temperature > 0.0:
            probs = torch.softmax(logits / temperature, dim=-1)[0].double().numpy()
            if top_p is not None:
                order = np.argsort(-probs)
                keep, total = [], 0.0
                for i in order:
                    keep.append(i)
                    total += probs[i]
                    if total >= top_p:
                        break
                mask = np.zeros_like(probs)
                mask[keep] = 1.0
                probs = probs * mask
            probs = probs / probs.sum()
            idx_next = torch.tensor([[rng.choice(len(probs), p=probs)]])
        else:
            idx_next = torch.argmax(logits, dim=-1, keepdim=True)
        if eos_id is not None and idx_next.item() == eos_id:
            break
        idx = torch.cat((idx, idx_next), dim=1)
    return idx
