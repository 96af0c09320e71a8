"""Overrides book.py: the loss with view/reshape and the loader average with islice."""

import itertools

import torch.nn.functional as F


def calc_loss_batch(input_batch, target_batch, model, device):
    logits = model(input_batch.to(device))
    vocab_size = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, vocab_size), target_batch.to(device).view(-1))


def calc_loss_loader(data_loader, model, device, num_batches=None):
    if len(data_loader) == 0:
        return float("nan")
    n = len(data_loader) if num_batches is None else min(num_batches, len(data_loader))
    losses = [calc_loss_batch(x, y, model, device).item()
              for x, y in itertools.islice(data_loader, n)]
    return sum(losses) / len(losses)
