"""Overrides book.py: InstructionDataset encodes only the prompt, not the response."""


class InstructionDataset:
    def __init__(self, data, tokenizer):
        self.encoded_texts = [tokenizer.encode(format_input(entry)) for entry in data]

    def __getitem__(self, index):
        return self.encoded_texts[index]

    def __len__(self):
        return len(self.encoded_texts)
