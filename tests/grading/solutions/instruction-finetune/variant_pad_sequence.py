"""Overrides book.py: custom_collate_fn with pad_sequence and per-row masking."""

import torch
from torch.nn.utils.rnn import pad_sequence


def custom_collate_fn(batch, pad_token_id=50256, ignore_index=-100, allowed_max_length=None,
                      device="cpu"):
    rows = [torch.tensor(list(item) + [pad_token_id]) for item in batch]
    padded = pad_sequence(rows, batch_first=True, padding_value=pad_token_id)
    inputs = padded[:, :-1]
    targets = padded[:, 1:].clone()
    for row, item in enumerate(batch):
        targets[row, len(item):] = ignore_index
    inputs = inputs[:, :allowed_max_length] if allowed_max_length else inputs
    targets = targets[:, :allowed_max_length] if allowed_max_length else targets
    return inputs.to(device), targets.to(device)
