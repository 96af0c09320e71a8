"""Sampling with the Gumbel-max trick; top-k with a kth-value threshold; top-p with a
cumulative mask on the sorted probabilities."""

import torch


def _top_p(probs, top_p):
    sorted_probs, order = torch.sort(probs, descending=True, dim=-1)
    before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    sorted_probs = torch.where(before >= top_p, torch.zeros_like(sorted_probs), sorted_probs)
    kept = torch.empty_like(probs).scatter_(-1, order, sorted_probs)
    return kept / kept.sum(dim=-1, keepdim=True)


def generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None,
             eos_id=None, top_p=None):
    for _ in range(max_new_tokens):
        with torch.no_grad():
            logits = model(idx[:, -context_size:])[:, -1, :].double()
        if top_k:
            kth = torch.kthvalue(logits, logits.shape[-1] - top_k + 1, dim=-1, keepdim=True).values
            logits = logits.masked_fill(logits < kth, float("-inf"))
        if temperature > 0.0:
            probs = torch.softmax(logits / temperature, dim=-1)
            if top_p is not None:
                probs = _top_p(probs, top_p)
            gumbel = -torch.log(-torch.log(torch.rand_like(probs)))
            nxt = torch.argmax(torch.log(probs) + gumbel, dim=-1, keepdim=True)
        else:
            nxt = torch.argmax(logits, dim=-1, keepdim=True)
        if eos_id is not None and nxt.item() == eos_id:
            break
        idx = torch.cat((idx, nxt), dim=1)
    return idx
