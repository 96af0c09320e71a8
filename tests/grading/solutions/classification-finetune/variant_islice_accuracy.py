"""Overrides book.py: accuracy and loss with itertools.islice and running sums."""

import itertools

import torch
import torch.nn.functional as F


def calc_loss_batch(input_batch, target_batch, model, device):
    last = model(input_batch.to(device))[:, -1]
    return F.cross_entropy(last, target_batch.to(device))


def calc_accuracy_loader(data_loader, model, device, num_batches=None):
    model.eval()
    limit = len(data_loader) if num_batches is None else num_batches
    hits = seen = 0
    with torch.no_grad():
        for inputs, labels in itertools.islice(data_loader, limit):
            predictions = model(inputs.to(device))[:, -1].argmax(-1)
            hits += int((predictions == labels.to(device)).sum())
            seen += labels.numel()
    return hits / seen
