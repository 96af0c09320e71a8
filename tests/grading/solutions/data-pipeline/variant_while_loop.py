import tiktoken
import torch
from torch.utils.data import DataLoader, Dataset

TOKENIZER = tiktoken.get_encoding("gpt2")


class GPTDatasetV1(Dataset):
    def __init__(self, txt, tokenizer, max_length, stride):
        token_ids = tokenizer.encode(txt, allowed_special={"<|endoftext|>"})
        pairs = []
        i = 0
        while i + max_length < len(token_ids):
            pairs.append((token_ids[i : i + max_length], token_ids[i + 1 : i + 1 + max_length]))
            i += stride
        self.input_ids = torch.tensor([p[0] for p in pairs], dtype=torch.int64)
        self.target_ids = torch.tensor([p[1] for p in pairs], dtype=torch.int64)

    def __len__(self):
        return len(self.input_ids)

    def __getitem__(self, idx):
        return self.input_ids[idx], self.target_ids[idx]


def create_dataloader_v1(
    txt, batch_size=4, max_length=256, stride=128, shuffle=True, drop_last=True, num_workers=0
):
    dataset = GPTDatasetV1(txt, TOKENIZER, max_length, stride)
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, num_workers=num_workers
    )
