"""Top-k via torch.full_like (the book's note), sampling via torch.distributions,
top-p with the Hugging Face "shift right" mask."""

import torch


def generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None,
             eos_id=None, top_p=None):
    model.eval()
    for _ in range(max_new_tokens):
        with torch.no_grad():
            logits = model(idx[:, -context_size:])[:, -1, :]
        if top_k is not None:
            top_vals, top_pos = torch.topk(logits, top_k, dim=-1)
            filtered = torch.full_like(logits, -torch.inf)
            logits = filtered.scatter(-1, top_pos, top_vals)
        if temperature > 0:
            scaled = logits / temperature
            if top_p is not None:
                sorted_logits, order = torch.sort(scaled, descending=True)
                cum = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
                drop = cum > top_p
                drop[..., 1:] = drop[..., :-1].clone()
                drop[..., 0] = False
                scaled = scaled.scatter(-1, order, sorted_logits.masked_fill(drop, -torch.inf))
            nxt = torch.distributions.Categorical(logits=scaled).sample().unsqueeze(-1)
        else:
            nxt = logits.argmax(dim=-1, keepdim=True)
        if eos_id is not None and bool((nxt == eos_id).all()):
            break
        idx = torch.cat([idx, nxt], dim=1)
    return idx
