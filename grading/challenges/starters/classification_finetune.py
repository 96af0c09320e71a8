"""Challenge: classification fine-tuning (Build a Large Language Model From Scratch, ch. 6).

Turn your GPT into a spam classifier. This file holds your GPTModel from chapter 4 too: the
grader builds GPTModel(cfg) with small configurations and its own weights (vocab 50,257 where
real GPT-2 token ids are needed), and compares every id, loss, accuracy and answer with its
own. Its CSV files have the book's columns Label (0 = ham, 1 = spam) and Text; tokenizer is
tiktoken's "gpt2" encoding; device is "cpu".

A small synthetic message set in the SMS Spam Collection's format (label<TAB>text, no
header) comes with the course for your own runs: the real collection cannot be downloaded
where the grader runs.
"""

import pandas as pd  # noqa: F401  (SpamDataset reads the CSV with pandas)
import torch.nn as nn
from torch.utils.data import Dataset

# --- Chapter 4: paste your GPT model here ------------------------------------------------------


class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        raise NotImplementedError(
            "TODO: paste your GPTModel (and the classes it uses) from chapter 4"
        )


# --- Chapter 6.3: the dataset ------------------------------------------------------------------


class SpamDataset(Dataset):
    def __init__(self, csv_file, tokenizer, max_length=None, pad_token_id=50256):
        # TODO: read the CSV (pd.read_csv), encode every Text; max_length None -> the longest
        # encoded text, otherwise truncate to max_length; pad every text with pad_token_id to
        # self.max_length.
        raise NotImplementedError("TODO: implement SpamDataset")

    def __getitem__(self, index):
        # TODO: (torch.tensor(ids, dtype=torch.long), torch.tensor(label, dtype=torch.long))
        raise NotImplementedError("TODO: implement SpamDataset.__getitem__")

    def __len__(self):
        raise NotImplementedError("TODO: implement SpamDataset.__len__")


# --- Chapter 6.5: the classification head ----------------------------------------------------


def add_classification_head(model, num_classes=2):
    # TODO: freeze every parameter; model.out_head = torch.nn.Linear(emb_dim, num_classes);
    # make model.trf_blocks[-1] and model.final_norm trainable again; return model.
    raise NotImplementedError("TODO: implement add_classification_head")


# --- Chapter 6.6: loss and accuracy -------------------------------------------------------------


def calc_loss_batch(input_batch, target_batch, model, device):
    # TODO: cross-entropy of the last token's logits, model(input_batch)[:, -1, :].
    raise NotImplementedError("TODO: implement calc_loss_batch")


def calc_loss_loader(data_loader, model, device, num_batches=None):
    # TODO: as in chapter 5 (nan for an empty loader, mean over min(num_batches, len)).
    raise NotImplementedError("TODO: implement calc_loss_loader")


def calc_accuracy_loader(data_loader, model, device, num_batches=None):
    # TODO: share of examples whose argmax of the last token's logits equals the label.
    raise NotImplementedError("TODO: implement calc_accuracy_loader")


# --- Chapter 6.8: using the classifier ----------------------------------------------------------


def classify_review(text, model, tokenizer, device, max_length=None, pad_token_id=50256):
    # TODO: encode, truncate to max_length, pad with pad_token_id, add a batch dimension; the
    # argmax of the last token's logits: 1 -> "spam", 0 -> "not spam".
    raise NotImplementedError("TODO: implement classify_review")
