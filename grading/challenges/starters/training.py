"""Challenge: training (Build a Large Language Model From Scratch, ch. 5.1-5.2 and Appendix D).

Write the training code of chapter 5 under the book's names. This file holds your GPTModel
from chapter 4 too: the grader builds GPTModel(cfg) with small configurations (vocab 64-128,
emb_dim 16-32, 1-2 layers, context 8-16), loads its own weights by the book's parameter
names, and compares your losses and training runs with its own. Its batches come from
torch DataLoaders of (input_batch, target_batch) pairs; `device` is "cpu".

Checkpoints use the book's keys: save_checkpoint(model, optimizer, path) writes
torch.save({"model_state_dict": ..., "optimizer_state_dict": ...}, path) and
load_checkpoint(model, optimizer, path) restores both (torch.load(path, weights_only=True)).
Appendix D's train_model (warm-up, cosine decay, gradient clipping) is optional.
"""

import math  # noqa: F401  (Appendix D's cosine schedule)

import torch
import torch.nn as nn

# --- Chapter 4: paste your GPT model here ------------------------------------------------------
# MultiHeadAttention, LayerNorm, GELU, FeedForward, TransformerBlock, GPTModel and
# generate_text_simple, exactly as you wrote them for the gpt-model challenge.


class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        raise NotImplementedError(
            "TODO: paste your GPTModel (and the classes it uses) from chapter 4"
        )


def generate_text_simple(model, idx, max_new_tokens, context_size):
    raise NotImplementedError("TODO: paste generate_text_simple from chapter 4")


# --- Chapter 5.1: text <-> token ids, losses ----------------------------------------------------


def text_to_token_ids(text, tokenizer):
    # TODO: tokenizer.encode(text, allowed_special={"<|endoftext|>"}) as a tensor with a
    # batch dimension: shape (1, num_tokens).
    raise NotImplementedError("TODO: implement text_to_token_ids")


def token_ids_to_text(token_ids, tokenizer):
    # TODO: remove the batch dimension and decode the list of ids.
    raise NotImplementedError("TODO: implement token_ids_to_text")


def calc_loss_batch(input_batch, target_batch, model, device):
    # TODO: move both batches to device, logits = model(input_batch), and return the
    # cross-entropy of logits.flatten(0, 1) against target_batch.flatten() (a tensor).
    raise NotImplementedError("TODO: implement calc_loss_batch")


def calc_loss_loader(data_loader, model, device, num_batches=None):
    # TODO: float("nan") for an empty loader; otherwise the mean of calc_loss_batch over the
    # first min(num_batches, len(data_loader)) batches (all of them when num_batches is None).
    raise NotImplementedError("TODO: implement calc_loss_loader")


def evaluate_model(model, train_loader, val_loader, device, eval_iter):
    # TODO: model.eval(); under torch.no_grad() the train and validation losses over eval_iter
    # batches; model.train(); return (train_loss, val_loss).
    raise NotImplementedError("TODO: implement evaluate_model")


# --- Chapter 5.2: the training loop -----------------------------------------------------------


def generate_and_print_sample(model, tokenizer, device, start_context):
    # TODO: generate 50 tokens from start_context with generate_text_simple (context size:
    # model.pos_emb.weight.shape[0]) in eval mode and print them; back to train mode.
    raise NotImplementedError("TODO: implement generate_and_print_sample")


def train_model_simple(
    model,
    train_loader,
    val_loader,
    optimizer,
    device,
    num_epochs,
    eval_freq,
    eval_iter,
    start_context,
    tokenizer,
):
    # TODO: for every batch: optimizer.zero_grad(), calc_loss_batch, loss.backward(),
    # optimizer.step(); count tokens_seen += input_batch.numel(); global_step starts at -1
    # and every eval_freq steps record evaluate_model's losses and tokens_seen; print a
    # sample after each epoch. Return (train_losses, val_losses, track_tokens_seen).
    raise NotImplementedError("TODO: implement train_model_simple")


# --- Checkpoints --------------------------------------------------------------------------------


def save_checkpoint(model, optimizer, path):
    # TODO: torch.save({"model_state_dict": ..., "optimizer_state_dict": ...}, path)
    raise NotImplementedError("TODO: implement save_checkpoint")


def load_checkpoint(model, optimizer, path):
    # TODO: checkpoint = torch.load(path, weights_only=True); load both state dicts into the
    # model and optimizer you were given.
    raise NotImplementedError("TODO: implement load_checkpoint")


# --- Optional, Appendix D: train_model(model, train_loader, val_loader, optimizer, device,
#     n_epochs, eval_freq, eval_iter, start_context, tokenizer, warmup_steps,
#     initial_lr=3e-05, min_lr=1e-6) -> (train_losses, val_losses, track_tokens_seen, track_lrs)


if __name__ == "__main__":
    torch.manual_seed(123)
    GPT_CONFIG = {
        "vocab_size": 50257,
        "context_length": 256,
        "emb_dim": 768,
        "n_heads": 12,
        "n_layers": 12,
        "drop_rate": 0.1,
        "qkv_bias": False,
    }
    model = GPTModel(GPT_CONFIG)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.0004, weight_decay=0.1)
