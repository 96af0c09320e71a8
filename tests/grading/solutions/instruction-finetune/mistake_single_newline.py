"""Overrides book.py: sections separated by one newline instead of a blank line."""


def format_input(entry):
    text = ("Below is an instruction that describes a task. Write a response that "
            f"appropriately completes the request.\n### Instruction:\n{entry['instruction']}")
    if entry["input"]:
        text += f"\n### Input:\n{entry['input']}"
    return text
