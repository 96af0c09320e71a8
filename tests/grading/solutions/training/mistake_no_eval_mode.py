"""Overrides book.py: evaluate_model forgets model.eval(), so dropout stays on."""

import torch


def evaluate_model(model, train_loader, val_loader, device, eval_iter):
    with torch.no_grad():
        train_loss = calc_loss_loader(train_loader, model, device, num_batches=eval_iter)
        val_loss = calc_loss_loader(val_loader, model, device, num_batches=eval_iter)
    model.train()
    return train_loss, val_loss
