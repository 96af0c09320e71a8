"""Challenge: a sliding-window data pipeline (Build a Large Language Model From Scratch, ch. 2.6).

Implement GPTDatasetV1(txt, tokenizer, max_length, stride) and
create_dataloader_v1(txt, batch_size=4, max_length=256, stride=128, shuffle=True,
drop_last=True, num_workers=0).

What the grader does: it builds your dataset on hidden text with tiktoken's "gpt2" encoding
(it works offline in the grader) and also with a tokenizer of its own, so use the tokenizer
you are given. It compares every input and target window, the number of windows for several
strides, and the batches of your DataLoader with shuffle on and off and drop_last on and off.
Texts may hold "<|endoftext|>". The grader always passes num_workers=0.
Self-check (not graded): how much memory does a dataset of the whole book take?
"""

import tiktoken
import torch  # noqa: F401 - torch.tensor(...) for the windows
from torch.utils.data import DataLoader, Dataset  # noqa: F401 - DataLoader for the loader


class GPTDatasetV1(Dataset):
    def __init__(self, txt, tokenizer, max_length, stride):
        self.input_ids = []
        self.target_ids = []
        # TODO: token_ids = tokenizer.encode(txt, allowed_special={"<|endoftext|>"})
        # TODO: for i in range(0, len(token_ids) - max_length, stride): the input window is
        #       token_ids[i : i + max_length], the target window the same shifted by one token.

    def __len__(self):
        return len(self.input_ids)

    def __getitem__(self, idx):
        # TODO: return (input_ids, target_ids) as tensors
        raise NotImplementedError("TODO: implement GPTDatasetV1.__getitem__")


def create_dataloader_v1(
    txt, batch_size=4, max_length=256, stride=128, shuffle=True, drop_last=True, num_workers=0
):
    tokenizer = tiktoken.get_encoding("gpt2")
    dataset = GPTDatasetV1(txt, tokenizer, max_length, stride)
    # TODO: return DataLoader(dataset, batch_size=..., shuffle=..., drop_last=..., num_workers=...)
    raise NotImplementedError(f"TODO: wrap the {len(dataset)} windows in a DataLoader")


if __name__ == "__main__":
    text = "In the heart of the city stood the old library, a relic from a bygone era. " * 4
    loader = create_dataloader_v1(text, batch_size=2, max_length=4, stride=4, shuffle=False)
    inputs, targets = next(iter(loader))
    print(inputs)  # two rows of 4 token ids
    print(targets)  # the same rows shifted by one token
    print(len(GPTDatasetV1(text, tiktoken.get_encoding("gpt2"), 4, 1)))
