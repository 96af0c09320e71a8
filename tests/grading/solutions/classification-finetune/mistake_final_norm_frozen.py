"""Overrides book.py: only the last block is unfrozen, final_norm stays frozen."""

import torch


def add_classification_head(model, num_classes=2):
    for param in model.parameters():
        param.requires_grad = False
    model.out_head = torch.nn.Linear(model.out_head.in_features, num_classes)
    for param in model.trf_blocks[-1].parameters():
        param.requires_grad = True
    return model
