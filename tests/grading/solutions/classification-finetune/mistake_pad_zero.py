"""Overrides book.py: SpamDataset pads with 0 instead of pad_token_id."""

import pandas as pd
import torch
from torch.utils.data import Dataset


class SpamDataset(Dataset):
    def __init__(self, csv_file, tokenizer, max_length=None, pad_token_id=50256):
        self.data = pd.read_csv(csv_file)
        self.encoded_texts = [tokenizer.encode(text) for text in self.data["Text"]]
        if max_length is None:
            self.max_length = max(len(e) for e in self.encoded_texts)
        else:
            self.max_length = max_length
            self.encoded_texts = [e[:max_length] for e in self.encoded_texts]
        self.encoded_texts = [e + [0] * (self.max_length - len(e)) for e in self.encoded_texts]

    def __getitem__(self, index):
        return (torch.tensor(self.encoded_texts[index], dtype=torch.long),
                torch.tensor(self.data.iloc[index]["Label"], dtype=torch.long))

    def __len__(self):
        return len(self.data)
