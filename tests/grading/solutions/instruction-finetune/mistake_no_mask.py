"""Overrides book.py: the padding in the targets is never masked (draft 2 of the book)."""

import torch


def custom_collate_fn(batch, pad_token_id=50256, ignore_index=-100, allowed_max_length=None,
                      device="cpu"):
    batch_max_length = max(len(item) + 1 for item in batch)
    inputs_lst, targets_lst = [], []
    for item in batch:
        new_item = item.copy()
        new_item += [pad_token_id]
        padded = new_item + [pad_token_id] * (batch_max_length - len(new_item))
        inputs_lst.append(torch.tensor(padded[:-1])[:allowed_max_length])
        targets_lst.append(torch.tensor(padded[1:])[:allowed_max_length])
    return torch.stack(inputs_lst).to(device), torch.stack(targets_lst).to(device)
