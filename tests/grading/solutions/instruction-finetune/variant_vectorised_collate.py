"""Overrides book.py: custom_collate_fn with torch.full and a cumulative-sum mask."""

import torch


def custom_collate_fn(batch, pad_token_id=50256, ignore_index=-100, allowed_max_length=None,
                      device="cpu"):
    width = max(len(item) for item in batch) + 1
    padded = torch.full((len(batch), width), pad_token_id, dtype=torch.long)
    for row, item in enumerate(batch):
        padded[row, :len(item)] = torch.tensor(item, dtype=torch.long)
    inputs, targets = padded[:, :-1].clone(), padded[:, 1:].clone()
    is_pad = targets == pad_token_id
    later_pads = is_pad & (is_pad.long().cumsum(dim=1) > 1)
    targets[later_pads] = ignore_index
    if allowed_max_length is not None:
        inputs, targets = inputs[:, :allowed_max_length], targets[:, :allowed_max_length]
    return inputs.to(device), targets.to(device)
