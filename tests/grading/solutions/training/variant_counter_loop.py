"""Overrides book.py: train_model_simple counting finished steps from 0, evaluating on
(steps - 1) % eval_freq == 0, with its own inline evaluation."""

import torch


def evaluate_model(model, train_loader, val_loader, device, eval_iter):
    model.eval()
    try:
        with torch.inference_mode():
            train_loss = calc_loss_loader(train_loader, model, device, eval_iter)
            val_loss = calc_loss_loader(val_loader, model, device, eval_iter)
    finally:
        model.train()
    return train_loss, val_loss


def train_model_simple(model, train_loader, val_loader, optimizer, device, num_epochs,
                       eval_freq, eval_iter, start_context, tokenizer):
    history = {"train": [], "val": [], "tokens": []}
    steps = 0
    tokens_seen = 0
    for _ in range(num_epochs):
        model.train()
        for inputs, targets in train_loader:
            optimizer.zero_grad(set_to_none=True)
            calc_loss_batch(inputs, targets, model, device).backward()
            optimizer.step()
            steps += 1
            tokens_seen += inputs.shape[0] * inputs.shape[1]
            if (steps - 1) % eval_freq == 0:
                train_loss, val_loss = evaluate_model(model, train_loader, val_loader, device,
                                                      eval_iter)
                history["train"].append(train_loss)
                history["val"].append(val_loss)
                history["tokens"].append(tokens_seen)
        generate_and_print_sample(model, tokenizer, device, start_context)
    return history["train"], history["val"], history["tokens"]
