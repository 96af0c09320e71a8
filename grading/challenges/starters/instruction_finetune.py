"""Challenge: instruction fine-tuning (Build a Large Language Model From Scratch, ch. 7).

Prepare instruction data the way the book does. Entries are dicts with the keys
"instruction", "input" (may be empty) and "output", as in the book's instruction-data.json;
tokenizer is tiktoken's "gpt2" encoding. A small synthetic instruction set in that format
comes with the course for your own runs (the book's file cannot be downloaded where the
grader runs). Your file may hold your GPTModel and training code too; the checks here need
only the four names below.
"""

import torch
from torch.utils.data import Dataset


def format_input(entry):
    # TODO: the Alpaca-style prompt, exactly:
    # "Below is an instruction that describes a task. Write a response that appropriately
    # completes the request." + "\n\n### Instruction:\n" + instruction
    # + ("\n\n### Input:\n" + input, only when input is not empty)
    raise NotImplementedError("TODO: implement format_input")


class InstructionDataset(Dataset):
    def __init__(self, data, tokenizer):
        # TODO: for every entry encode format_input(entry) + "\n\n### Response:\n" + output.
        raise NotImplementedError("TODO: implement InstructionDataset")

    def __getitem__(self, index):
        raise NotImplementedError("TODO: return the encoded ids of entry `index` (a list)")

    def __len__(self):
        raise NotImplementedError("TODO: implement InstructionDataset.__len__")


def custom_collate_fn(
    batch, pad_token_id=50256, ignore_index=-100, allowed_max_length=None, device="cpu"
):
    # TODO: append one pad_token_id to every item and pad to the longest + 1; inputs = all but
    # the last token, targets = all but the first; in the targets replace every padding token
    # except the first with ignore_index; truncate both to allowed_max_length; stack and move
    # to device. Return (inputs, targets).
    raise NotImplementedError("TODO: implement custom_collate_fn")


def extract_response(generated_text, input_text):
    # TODO: the text after the prompt, without "### Response:", stripped.
    raise NotImplementedError("TODO: implement extract_response")


if __name__ == "__main__":
    entry = {"instruction": "Identify the correct spelling.", "input": "Ocassion", "output": ""}
    print(format_input(entry))
    print(custom_collate_fn([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]]))
    print(torch.__version__)
