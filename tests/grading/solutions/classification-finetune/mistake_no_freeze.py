"""Overrides book.py: the head is added without freezing the rest of the model."""

import torch


def add_classification_head(model, num_classes=2):
    model.out_head = torch.nn.Linear(model.out_head.in_features, num_classes)
    return model
