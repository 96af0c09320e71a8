import re

import regex


class SimpleTokenizerV1:
    def __init__(self, vocab):
        self.str_to_int = vocab
        self.int_to_str = {}
        for s, i in vocab.items():
            self.int_to_str[i] = s

    def encode(self, text):
        ids = []
        for item in re.split(r'([,.:;?_!"()\']|--|\s)', text):
            item = item.strip()
            if item != "":
                ids.append(self.str_to_int[item])
        return ids

    def decode(self, ids):
        words = [self.int_to_str[i] for i in ids]
        text = " ".join(words)
        return re.sub(r"\s+([,.?!\"()'])", lambda m: m.group(1), text)


class SimpleTokenizerV2(SimpleTokenizerV1):
    def encode(self, text):
        ids = []
        for item in re.split(r'([,.:;?_!"()\']|--|\s)', text):
            item = item.strip()
            if item:
                ids.append(self.str_to_int.get(item, self.str_to_int["<|unk|>"]))
        return ids

    def decode(self, ids):
        text = " ".join(self.int_to_str[i] for i in ids)
        return re.sub(r"\s+([,.:;?!\"()'])", r"\1", text)


def get_pairs(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


class GPT2BPETokenizer:
    def __init__(self, ranks, special_tokens=None):
        self.encoder = ranks
        self.decoder = {v: k for k, v in ranks.items()}
        self.special = special_tokens if special_tokens is not None else {"<|endoftext|>": 50256}
        self.special_decoder = {v: k for k, v in self.special.items()}
        self.pat = regex.compile(
            r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
        )

    def bpe(self, token):
        word = tuple(bytes([b]) for b in token)
        pairs = get_pairs(word)
        while pairs:
            bigram = min(pairs, key=lambda pair: self.encoder.get(pair[0] + pair[1], float("inf")))
            if bigram[0] + bigram[1] not in self.encoder:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            pairs = get_pairs(word)
        return [self.encoder[w] for w in word]

    def encode(self, text, allowed_special=frozenset()):
        allowed = set(self.special) if allowed_special == "all" else set(allowed_special)
        out = []
        start = 0
        while True:
            hits = [(text.find(s, start), s) for s in allowed if text.find(s, start) != -1]
            end, special = min(hits) if hits else (len(text), None)
            for piece in self.pat.findall(text[start:end]):
                out.extend(self.bpe(piece.encode("utf-8")))
            if special is None:
                return out
            out.append(self.special[special])
            start = end + len(special)

    def decode(self, ids):
        data = b""
        for i in ids:
            if i in self.special_decoder:
                data += self.special_decoder[i].encode("utf-8")
            else:
                data += self.decoder[i]
        return data.decode("utf-8", errors="replace")
