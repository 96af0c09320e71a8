"""Overrides book.py: checkpoints with an extra key and map_location; Appendix D with the
repository's clipping condition (global_step >= warmup_steps)."""

import math

import torch


def save_checkpoint(model, optimizer, path):
    checkpoint = dict(model_state_dict=model.state_dict(),
                      optimizer_state_dict=optimizer.state_dict(), note="ch05")
    torch.save(checkpoint, path)


def load_checkpoint(model, optimizer, path):
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return model, optimizer


def train_model(model, train_loader, val_loader, optimizer, device, n_epochs, eval_freq,
                eval_iter, start_context, tokenizer, warmup_steps, initial_lr=3e-05,
                min_lr=1e-6):
    train_losses, val_losses, track_tokens_seen, track_lrs = [], [], [], []
    tokens_seen, global_step = 0, -1
    peak_lr = optimizer.param_groups[0]["lr"]
    total = len(train_loader) * n_epochs
    for _ in range(n_epochs):
        model.train()
        for input_batch, target_batch in train_loader:
            optimizer.zero_grad()
            global_step += 1
            if global_step < warmup_steps:
                lr = initial_lr + global_step * (peak_lr - initial_lr) / warmup_steps
            else:
                progress = (global_step - warmup_steps) / (total - warmup_steps)
                lr = min_lr + 0.5 * (peak_lr - min_lr) * (1 + math.cos(math.pi * progress))
            for group in optimizer.param_groups:
                group["lr"] = lr
            track_lrs.append(lr)
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            loss.backward()
            if global_step >= warmup_steps:
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            tokens_seen += input_batch.numel()
            if global_step % eval_freq == 0:
                tr, va = evaluate_model(model, train_loader, val_loader, device, eval_iter)
                train_losses.append(tr)
                val_losses.append(va)
                track_tokens_seen.append(tokens_seen)
        generate_and_print_sample(model, tokenizer, device, start_context)
    return train_losses, val_losses, track_tokens_seen, track_lrs
