"""Overrides book.py: the head with requires_grad_ and the embedding size from tok_emb;
classify_review padding with torch.nn.functional.pad."""

import torch
import torch.nn.functional as F


def add_classification_head(model, num_classes=2):
    model.requires_grad_(False)
    model.out_head = torch.nn.Linear(model.tok_emb.embedding_dim, num_classes)
    model.trf_blocks[-1].requires_grad_(True)
    model.final_norm.requires_grad_(True)
    return model


def classify_review(text, model, tokenizer, device, max_length=None, pad_token_id=50256):
    model.eval()
    context = model.pos_emb.num_embeddings
    max_length = context if max_length is None else min(max_length, context)
    ids = torch.tensor(tokenizer.encode(text)[:max_length], device=device)
    ids = F.pad(ids, (0, max_length - len(ids)), value=pad_token_id)
    with torch.no_grad():
        label = model(ids[None])[0, -1].argmax().item()
    return ["not spam", "spam"][label]
