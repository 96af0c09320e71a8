"""Overrides book.py: format_input from a list of parts; the dataset encodes in a
comprehension; extract_response with split/join."""

PREAMBLE = ("Below is an instruction that describes a task. Write a response that "
            "appropriately completes the request.")


def format_input(entry):
    parts = [PREAMBLE, f"### Instruction:\n{entry['instruction']}"]
    if entry.get("input"):
        parts.append(f"### Input:\n{entry['input']}")
    return "\n\n".join(parts)


class InstructionDataset:
    def __init__(self, data, tokenizer):
        self.data = list(data)
        self.encoded_texts = [
            tokenizer.encode(format_input(e) + "\n\n### Response:\n" + e["output"])
            for e in self.data
        ]

    def __getitem__(self, index):
        return self.encoded_texts[index]

    def __len__(self):
        return len(self.encoded_texts)


def extract_response(generated_text, input_text):
    return "".join(generated_text[len(input_text):].split("### Response:")).strip()
