import re

import regex

PUNCTUATION_V1 = re.compile(r'\s+([,.?!"()\'])')
PUNCTUATION_V2 = re.compile(r'\s+([,.:;?!"()\'])')


def split_text(text):
    return [piece.strip() for piece in re.split(r'([,.:;?_!"()\']|--|\s)', text) if piece.strip()]


class SimpleTokenizerV1:
    pattern = PUNCTUATION_V1

    def __init__(self, vocab):
        self.str_to_int = vocab
        self.int_to_str = {v: k for k, v in vocab.items()}

    def encode(self, text):
        return list(map(self.str_to_int.__getitem__, split_text(text)))

    def decode(self, ids):
        return self.pattern.sub(r"\1", " ".join(map(self.int_to_str.__getitem__, ids)))


class SimpleTokenizerV2(SimpleTokenizerV1):
    pattern = PUNCTUATION_V2

    def encode(self, text):
        tokens = ["<|unk|>" if t not in self.str_to_int else t for t in split_text(text)]
        return super().encode(" ".join(tokens))


class GPT2BPETokenizer:
    """Merges by rank with a min() over the pairs; special tokens via regex.split."""

    def __init__(self, ranks, special_tokens=None):
        self.ranks = ranks
        self.special_tokens = {"<|endoftext|>": 50256} if special_tokens is None else special_tokens
        self.id_to_bytes = {i: t for t, i in ranks.items()}
        self.id_to_bytes.update({i: t.encode() for t, i in self.special_tokens.items()})
        self.pattern = regex.compile(
            r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
        )

    def _merge(self, piece):
        tokens = [piece[i : i + 1] for i in range(len(piece))]
        while True:
            candidates = [
                (self.ranks[a + b], i)
                for i, (a, b) in enumerate(zip(tokens, tokens[1:]))
                if a + b in self.ranks
            ]
            if not candidates:
                return [self.ranks[t] for t in tokens]
            _, i = min(candidates)
            tokens[i : i + 2] = [tokens[i] + tokens[i + 1]]

    def encode(self, text, allowed_special=frozenset()):
        if allowed_special == "all":
            allowed_special = self.special_tokens.keys()
        allowed = sorted(allowed_special, key=len, reverse=True)
        parts = regex.split("(" + "|".join(map(regex.escape, allowed)) + ")", text) if allowed else [text]
        ids = []
        for part in parts:
            if part in self.special_tokens and part in allowed:
                ids.append(self.special_tokens[part])
                continue
            for piece in self.pattern.findall(part):
                ids += self._merge(piece.encode("utf-8"))
        return ids

    def decode(self, ids):
        return b"".join(self.id_to_bytes[i] for i in ids).decode("utf-8", "replace")
