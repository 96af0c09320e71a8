"""Overrides book.py: SpamDataset keeps the frame and encodes lazily in __getitem__."""

import pandas as pd
import torch
from torch.utils.data import Dataset


class SpamDataset(Dataset):
    def __init__(self, csv_file, tokenizer, max_length=None, pad_token_id=50256):
        self.frame = pd.read_csv(csv_file)
        self.tokenizer = tokenizer
        self.pad_token_id = pad_token_id
        lengths = [len(tokenizer.encode(t)) for t in self.frame["Text"]]
        self.max_length = max_length if max_length is not None else max(lengths)

    def __len__(self):
        return len(self.frame)

    def __getitem__(self, index):
        row = self.frame.iloc[index]
        ids = self.tokenizer.encode(row["Text"])[: self.max_length]
        ids = ids + [self.pad_token_id] * (self.max_length - len(ids))
        return torch.tensor(ids), torch.tensor(int(row["Label"]))
