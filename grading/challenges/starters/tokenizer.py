"""Challenge: build your own tokenizer (Build a Large Language Model From Scratch, ch. 2.2-2.5).

Implement SimpleTokenizerV1 and SimpleTokenizerV2 (sections 2.3 and 2.4) and a byte-pair
encoder, GPT2BPETokenizer, that gives exactly GPT-2's token ids (section 2.5).

What the grader does:
- It builds a vocabulary from hidden text the book's way -- sorted unique tokens, for V2 with
  "<|endoftext|>" and "<|unk|>" appended -- and calls SimpleTokenizerV1(vocab) and
  SimpleTokenizerV2(vocab) with it, then encode(text) and decode(ids) on fresh text.
- It builds GPT2BPETokenizer(ranks) with GPT-2's ranks, the dict that
  tiktoken.load.load_tiktoken_bpe returns (bytes -> rank, 50,256 entries), and compares
  encode(text) with tiktoken's own "gpt2" encoding on text with unicode, emoji, numbers,
  contractions and runs of whitespace. It also builds it with a smaller vocabulary (only the
  ranks below some bound, and special_tokens={"<|endoftext|>": that bound}): use the ranks and
  special tokens you are given, not tiktoken.get_encoding("gpt2").
- No file or network access while grading: do not read files at module level.
"""

import re

import regex  # pip install regex (tiktoken installs it): supports \p{L} and \p{N}


class SimpleTokenizerV1:
    """Splits on punctuation, "--" and whitespace; every token must be in the vocabulary."""

    def __init__(self, vocab):
        self.str_to_int = vocab
        # TODO: self.int_to_str, the inverse mapping (id -> token)

    def encode(self, text):
        # TODO: re.split(r'([,.:;?_!"()\']|--|\s)', text), strip every item, drop empty
        # ones, and look each token up in self.str_to_int.
        raise NotImplementedError("TODO: implement SimpleTokenizerV1.encode")

    def decode(self, ids):
        # TODO: join the tokens with " ", then remove the space before punctuation with
        # re.sub(r'\s+([,.?!"()\'])', r'\1', text).
        raise NotImplementedError("TODO: implement SimpleTokenizerV1.decode")


class SimpleTokenizerV2:
    """Like V1, but unknown words become "<|unk|>" (the vocabulary already holds it)."""

    def __init__(self, vocab):
        self.str_to_int = vocab
        # TODO: self.int_to_str

    def encode(self, text):
        raise NotImplementedError("TODO: implement SimpleTokenizerV2.encode")

    def decode(self, ids):
        # V2's pattern also removes the space before ':' and ';': r'\s+([,.:;?!"()\'])'
        raise NotImplementedError("TODO: implement SimpleTokenizerV2.decode")


# GPT-2's pre-tokenisation pattern: contractions, letters, numbers, other symbols, whitespace.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
GPT2_REGEX = regex.compile(GPT2_PATTERN)


class GPT2BPETokenizer:
    """GPT-2's byte-pair encoding from its ranks (bytes -> id; a lower rank merges first)."""

    def __init__(self, ranks, special_tokens=None):
        self.ranks = ranks
        self.special_tokens = {"<|endoftext|>": 50256} if special_tokens is None else special_tokens
        # TODO: the inverse mappings you need for decode (id -> bytes, id -> special token)

    def encode(self, text, allowed_special=frozenset()):
        # TODO: 1. if allowed_special == "all", allow every special token; split the text on
        #          the allowed special tokens (each becomes its own id);
        #       2. split every other part with GPT2_REGEX.findall(part);
        #       3. for each piece: start from its UTF-8 bytes (one token per byte), then
        #          repeatedly merge the adjacent pair whose concatenation has the lowest rank
        #          until no adjacent pair is in self.ranks; the ids are the pieces' ranks.
        raise NotImplementedError("TODO: implement GPT2BPETokenizer.encode")

    def decode(self, ids):
        # TODO: join the tokens' bytes, then .decode("utf-8", errors="replace")
        raise NotImplementedError("TODO: implement GPT2BPETokenizer.decode")


if __name__ == "__main__":
    # Local checks you can run yourself (python tokenizer.py).
    text = "Hello, world. Is this-- a test?"
    tokens = sorted(set(t.strip() for t in re.split(r'([,.:;?_!"()\']|--|\s)', text) if t.strip()))
    vocab = {token: i for i, token in enumerate(tokens + ["<|endoftext|>", "<|unk|>"])}
    v1 = SimpleTokenizerV1(vocab)
    print(v1.decode(v1.encode(text)))  # Hello, world. Is this-- a test?
    v2 = SimpleTokenizerV2(vocab)
    print(v2.encode("Hello, unknown world. <|endoftext|>"))  # [...,  unk id, ..., eot id]

    import tiktoken
    import tiktoken.load  # noqa: F401

    # tiktoken.get_encoding("gpt2") needs the internet the first time; the grader has its own.
    gpt2 = tiktoken.get_encoding("gpt2")
    sample = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."
    mine = GPT2BPETokenizer(gpt2._mergeable_ranks)
    print(mine.encode(sample, allowed_special={"<|endoftext|>"}))
    print(gpt2.encode(sample, allowed_special={"<|endoftext|>"}))  # must be equal
    print(mine.decode(mine.encode(sample, allowed_special="all")) == sample)  # True
