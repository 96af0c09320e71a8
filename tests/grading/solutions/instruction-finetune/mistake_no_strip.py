"""Overrides book.py: extract_response leaves the surrounding whitespace."""


def extract_response(generated_text, input_text):
    return generated_text[len(input_text):].replace("### Response:", "")
