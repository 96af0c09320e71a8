import re

import regex


class SimpleTokenizerV1:
    def __init__(self, vocab):
        self.str_to_int = vocab
        self.int_to_str = {i: s for s, i in vocab.items()}

    def encode(self, text):
        preprocessed = re.split(r'([,.:;?_!"()\']|--|\s)', text)

        preprocessed = [item for item in preprocessed if item]
        ids = [self.str_to_int[s] for s in preprocessed]
        return ids

    def decode(self, ids):
        text = " ".join([self.int_to_str[i] for i in ids])
        # Replace spaces before the specified punctuations
        text = re.sub(r'\s+([,.?!"()\'])', r"\1", text)
        return text


class SimpleTokenizerV2:
    def __init__(self, vocab):
        self.str_to_int = vocab
        self.int_to_str = {i: s for s, i in vocab.items()}

    def encode(self, text):
        preprocessed = re.split(r'([,.:;?_!"()\']|--|\s)', text)
        preprocessed = [item for item in preprocessed if item]
        preprocessed = [item if item in self.str_to_int else "<|unk|>" for item in preprocessed]

        ids = [self.str_to_int[s] for s in preprocessed]
        return ids

    def decode(self, ids):
        text = " ".join([self.int_to_str[i] for i in ids])
        # Replace spaces before the specified punctuations
        text = re.sub(r'\s+([,.:;?!"()\'])', r"\1", text)
        return text


GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


class GPT2BPETokenizer:
    def __init__(self, ranks, special_tokens=None):
        self.ranks = ranks
        if special_tokens is None:
            special_tokens = {"<|endoftext|>": 50256}
        self.special_tokens = special_tokens
        self.decoder = {rank: token for token, rank in ranks.items()}
        for token, i in special_tokens.items():
            self.decoder[i] = token.encode("utf-8")
        self.pattern = regex.compile(GPT2_PATTERN)
        self.cache = {}

    def bpe(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        parts = [bytes([b]) for b in piece]
        while len(parts) > 1:
            best_rank, best_i = None, None
            for i in range(len(parts) - 1):
                rank = self.ranks.get(parts[i] + parts[i + 1])
                if rank is not None and (best_rank is None or rank < best_rank):
                    best_rank, best_i = rank, i
            if best_i is None:
                break
            parts = parts[:best_i] + [parts[best_i] + parts[best_i + 1]] + parts[best_i + 2 :]
        ids = [self.ranks[p] for p in parts]
        self.cache[piece] = ids
        return ids

    def encode_ordinary(self, text):
        ids = []
        for piece in self.pattern.findall(text):
            ids.extend(self.bpe(piece.encode("utf-8")))
        return ids

    def encode(self, text, allowed_special=frozenset()):
        if allowed_special == "all":
            allowed_special = set(self.special_tokens)
        allowed = [t for t in self.special_tokens if t in allowed_special]
        if not allowed:
            return self.encode_ordinary(text)
        splitter = "(" + "|".join(re.escape(t) for t in allowed) + ")"
        ids = []
        for part in re.split(splitter, text):
            if part in allowed:
                ids.append(self.special_tokens[part])
            elif part:
                ids.extend(self.encode_ordinary(part))
        return ids

    def decode(self, ids):
        return b"".join(self.decoder[i] for i in ids).decode("utf-8", errors="replace")
