import tiktoken
import torch
from torch.utils.data import DataLoader, Dataset


class GPTDatasetV1(Dataset):
    """All windows at once with Tensor.unfold: rows of max_length + 1 ids, stride apart."""

    def __init__(self, txt, tokenizer, max_length, stride):
        ids = torch.tensor(tokenizer.encode(txt, allowed_special={"<|endoftext|>"}))
        chunks = ids.unfold(0, max_length + 1, stride)
        self.input_ids = chunks[:, :-1]
        self.target_ids = chunks[:, 1:]

    def __len__(self):
        return self.input_ids.shape[0]

    def __getitem__(self, idx):
        return self.input_ids[idx], self.target_ids[idx]


def create_dataloader_v1(txt, batch_size=4, max_length=256, stride=128, shuffle=True,
                         drop_last=True, num_workers=0):
    dataset = GPTDatasetV1(txt, tiktoken.get_encoding("gpt2"), max_length, stride)
    return DataLoader(dataset, batch_size, shuffle, drop_last=drop_last, num_workers=num_workers)
