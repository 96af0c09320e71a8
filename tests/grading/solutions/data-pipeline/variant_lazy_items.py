import tiktoken
import torch
from torch.utils.data import DataLoader, Dataset


class GPTDatasetV1(Dataset):
    """Keeps the ids and cuts a window when asked."""

    def __init__(self, txt, tokenizer, max_length, stride):
        self.token_ids = tokenizer.encode(txt, allowed_special={"<|endoftext|>"})
        self.max_length = max_length
        self.starts = list(range(0, len(self.token_ids) - max_length, stride))

    def __len__(self):
        return len(self.starts)

    def __getitem__(self, idx):
        i = self.starts[idx]
        window = self.token_ids[i : i + self.max_length + 1]
        return torch.tensor(window[:-1], dtype=torch.long), torch.tensor(window[1:], dtype=torch.long)


def create_dataloader_v1(txt, batch_size=4, max_length=256, stride=128, shuffle=True,
                         drop_last=True, num_workers=0):
    tokenizer = tiktoken.get_encoding("gpt2")
    return DataLoader(
        GPTDatasetV1(txt, tokenizer, max_length=max_length, stride=stride),
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=drop_last,
        num_workers=num_workers,
    )
