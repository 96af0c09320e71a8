import re

import tiktoken

SPLIT = re.compile(r'([,.:;?_!"()\']|--|\s)')


class SimpleTokenizerV1:
    def __init__(self, vocab):
        self.str_to_int = dict(vocab)
        self.int_to_str = dict(zip(vocab.values(), vocab.keys()))

    def tokens(self, text):
        return [t for t in (item.strip() for item in SPLIT.split(text)) if t]

    def encode(self, text):
        return [self.str_to_int[t] for t in self.tokens(text)]

    def decode(self, ids):
        # V2's pattern in V1 as well: also removes the space before ':' and ';'
        return re.sub(r'\s+([,.:;?!"()\'])', r"\1", " ".join(self.int_to_str[i] for i in ids))


class SimpleTokenizerV2(SimpleTokenizerV1):
    def encode(self, text):
        unk = self.str_to_int["<|unk|>"]
        return [self.str_to_int.get(t, unk) for t in self.tokens(text)]


class GPT2BPETokenizer:
    """tiktoken's BPE engine, built from the ranks and special tokens passed in."""

    def __init__(self, ranks, special_tokens=None):
        from tiktoken_ext.openai_public import r50k_pat_str

        self.encoding = tiktoken.Encoding(
            name="mine",
            pat_str=r50k_pat_str,
            mergeable_ranks=ranks,
            special_tokens=special_tokens or {"<|endoftext|>": 50256},
        )

    def encode(self, text, allowed_special=frozenset()):
        return self.encoding.encode(text, allowed_special=allowed_special, disallowed_special=())

    def decode(self, ids):
        return self.encoding.decode(ids, errors="replace")
