"""Overrides book.py: the Input section is written even for an empty input."""


def format_input(entry):
    return (
        "Below is an instruction that describes a task. "
        "Write a response that appropriately completes the request."
        f"\n\n### Instruction:\n{entry['instruction']}"
        f"\n\n### Input:\n{entry['input']}"
    )
