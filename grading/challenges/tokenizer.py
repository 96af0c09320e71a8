"""Chapter 2 challenge ``tokenizer``: SimpleTokenizerV1/V2 and a GPT-2 byte-pair encoder.

The simple tokenizers get a vocabulary the trusted side builds from hidden random text (the
book's way: sorted unique tokens, V2 with ``<|endoftext|>`` and ``<|unk|>`` appended) and
encode/decode hidden texts; ``grading.reference.tokenizer`` recomputes the ids after the
sandbox answered. ``GPT2BPETokenizer(ranks, special_tokens=None)`` (BOOK.md's contract) is
built *inside* the sandbox from the bundled GPT-2 ranks (``probes.bpe_calls``: 50,256 ranks
are too many to send with every probe) and must give exactly tiktoken's ids on hidden text
with unicode, whitespace runs, numbers, contractions and the special token. A run with a
smaller vocabulary (only the ranks below a random bound) shows the ranks are really used.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grading.challenges import register
from grading.challenges import tokenizer_bpe as bpe
from grading.challenges.base import ChallengeSpec, Check, CheckOutcome, Probe, ProbeResult
from grading.challenges.checks import (
    as_int_list,
    call_results,
    failed,
    first_difference,
    passed,
    raised,
    short,
)
from grading.reference import tokenizer as ref

STARTERS = Path(__file__).parent / "starters"

# "Tokenizing Text" (ch. 2.2) has a malformed id in the seed ("Iuwqyddco"); the splitting
# checks point at the next video, which recaps the splitting rule.
VID_IDS = "5uEwiN_9hJk"  # Convert tokens into token IDs
VID_SPECIAL = "jA7kx6cTKVE"  # Adding special context tokens
VID_BPE = "ePfY7P0iNik"  # Byte pair encoding
CARD_WHY, CARD_BPE, CARD_SPECIAL, CARD_VOCAB = 1, 2, 3, 48

V1, V2, BPE = "SimpleTokenizerV1", "SimpleTokenizerV2", bpe.BPE

# --- Hidden text ------------------------------------------------------------------------------

WORDS = (
    "the of and to in is was he she it that his her with as had for you not be at by on "
    "all this but from or have an they which one were there been when who will more no if "
    "out so said what up its about into than them can only other new some could time these "
    "two may then do first any my now such like our over man me even most made after also "
    "did many before must through back years where much your way well down should because "
    "each just those people Mr Mrs how too little state good very make world still own see "
    "men work long get here between both life being under never day same another know while "
    "last might us great old year off come since against go came right used take three "
    "painted Gisburn pride tea sunlit terraces palace Hello world test verdict canvas"
).split()
PUNCT = (",", ".", ":", ";", "?", "_", "!", '"', "(", ")", "'", "--")
SPACES = (" ", " ", " ", " ", "  ", "\n", "\t", " \n ", "   ")
SYLLABLES = ("zor", "blax", "quin", "tel", "mur", "vex", "dra", "pil", "oon", "kra", "fen")


def _pick(rng: np.random.Generator, items: Sequence[str]) -> str:
    return items[int(rng.integers(len(items)))]


def _render(rng: np.random.Generator, tokens: Sequence[str]) -> str:
    """Tokens joined as text: whitespace runs between words, punctuation often glued on."""
    out = ""
    for i, token in enumerate(tokens):
        glue = token in PUNCT and rng.random() < 0.6 or (i > 0 and tokens[i - 1] == "--")
        out += token if i == 0 or glue else _pick(rng, SPACES) + token
    return out


def _tokens(rng: np.random.Generator, words: Sequence[str], n: int) -> list[str]:
    return [_pick(rng, PUNCT) if rng.random() < 0.25 else _pick(rng, words) for _ in range(n)]


def _unknown_word(rng: np.random.Generator) -> str:
    return "".join(_pick(rng, SYLLABLES) for _ in range(int(rng.integers(2, 4))))


def _vocab_words(rng: np.random.Generator) -> list[str]:
    return [str(w) for w in rng.choice(WORDS, size=40, replace=False)]


def _vocab(rng: np.random.Generator, words: Sequence[str], *, special: bool) -> dict[str, int]:
    """The book's vocabulary of a hidden training text that holds every punctuation mark."""
    training = _render(rng, [*words, *PUNCT, *_tokens(rng, words, 30)])
    return ref.build_vocab([training], special=special)


# --- Messages ----------------------------------------------------------------------------------

SPLIT_HOW = (
    "split with re.split(r'([,.:;?_!\"()\\']|--|\\s)', text), then keep "
    "[item.strip() for item in preprocessed if item.strip()]"
)


def _missing_key(message: str) -> str | None:
    try:
        key = ast.literal_eval(message)
    except (ValueError, SyntaxError):
        return None
    return key if isinstance(key, str) else None


def _encode_error(text: str, call: dict[str, Any], *, unk: bool) -> CheckOutcome:
    """A teaching message for an encode that raised (mostly KeyError: a token not in vocab)."""
    what = f"encode({short(text)})"
    error = raised(call) or "an error"
    key = _missing_key(str(call.get("message", ""))) if call.get("raised") == "KeyError" else None
    if key is None:
        return CheckOutcome("error", f"{what} raised {error}.")
    if not key.strip():
        hint = f"whitespace reached the vocabulary lookup ({key!r}): {SPLIT_HOW}."
    elif key != key.strip():
        hint = f"the item {key!r} still has whitespace around it: strip each item ({SPLIT_HOW})."
    elif any(p in key for p in PUNCT) and len(key) > 1:
        hint = f"the punctuation in {key!r} was not split off: {SPLIT_HOW}."
    elif key == ref.ENDOFTEXT[1:-1] or key in ("<", ">", "|") or "endoftext" in key:
        hint = f"{ref.ENDOFTEXT} was split into pieces: keep it whole (it is in the vocabulary)."
    elif unk:
        hint = (
            f"{key!r} is not in the vocabulary, and unknown words must become "
            f"{ref.UNK}: item if item in self.str_to_int else '{ref.UNK}'."
        )
    else:
        hint = f"{key!r} is not a token of this text's vocabulary: {SPLIT_HOW}."
    return CheckOutcome("error", f"{what} raised KeyError: {hint}")


def _label(vocab: dict[str, int]) -> Callable[[int], str]:
    inverse = {i: s for s, i in vocab.items()}
    return lambda i: f"{i} ({inverse[i]!r})" if i in inverse else str(i)


def _ids_mismatch(
    text: str, expected: list[int], got: list[int], label: Callable[[int], str]
) -> CheckOutcome:
    k = first_difference(expected, got)
    assert k is not None
    exp = label(expected[k]) if k < len(expected) else "the end"
    found = label(got[k]) if k < len(got) else "the end"
    return failed(
        f"encode({short(text)}): token {k}: expected {exp}, got {found}.",
        f"expected ids: {expected}\ngot ids:      {got}",
    )


# --- Simple tokenizers ----------------------------------------------------------------------------


def _calls_probe(cls: str, vocab: dict[str, int], calls: list[list[Any]]) -> Probe:
    return Probe("instance_calls", {"cls": cls, "args": [vocab], "calls": calls})


def encode_check(
    cls: str, name: str, *, unknown: bool, special: bool, video: str, card: int
) -> Check:
    """encode on hidden texts (with unknown words / the special token for V2)."""
    is_v2 = cls == V2

    def build(rng: np.random.Generator) -> list[Probe]:
        words = _vocab_words(rng)
        vocab = _vocab(rng, words, special=is_v2)
        texts = []
        for _ in range(3):
            tokens = _tokens(rng, words, int(rng.integers(12, 25)))
            if unknown:
                for _ in range(2):
                    tokens.insert(int(rng.integers(len(tokens) + 1)), _unknown_word(rng))
            texts.append(_render(rng, tokens))
        if special:
            texts = [" <|endoftext|> ".join(texts[:2]), texts[2] + " <|endoftext|>"]
        return [_calls_probe(cls, vocab, [["encode", [t], {}] for t in texts])]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        vocab = probes[0].args["args"][0]
        calls = probes[0].args["calls"]
        got_all = call_results(results[0], len(calls), what=f"{cls}(vocab)")
        if isinstance(got_all, CheckOutcome):
            return got_all
        label = _label(vocab)
        for (_, (text,), _), call in zip(calls, got_all, strict=True):
            if raised(call):
                return _encode_error(text, call, unk=is_v2)
            got = as_int_list(call.get("value"))
            if got is None:
                return failed(f"encode({short(text)}) should return a list of ints.")
            expected = ref.encode(text, vocab, unknown=is_v2)
            if got == expected:
                continue
            if special and ref.ENDOFTEXT in text:
                eot, unk = vocab[ref.ENDOFTEXT], vocab[ref.UNK]
                k = first_difference(expected, got)
                if k is not None and k < len(expected) and expected[k] == eot:
                    return failed(
                        f"encode({short(text)}): {ref.ENDOFTEXT} should be its own id {eot}"
                        f"{' (got <|unk|>)' if k < len(got) and got[k] == unk else ''}: keep "
                        "it whole -- the book's split leaves it intact between spaces.",
                        f"expected ids: {expected}\ngot ids:      {got}",
                    )
            if is_v2:
                unk = vocab[ref.UNK]
                kept = [vocab.get(t, unk) for t in ref.split(text, strip=False)]
                if got == kept:
                    return failed(
                        f"encode({short(text)}): whitespace items were kept and became "
                        f"{ref.UNK}: {SPLIT_HOW}.",
                        f"expected ids: {expected}\ngot ids:      {got}",
                    )
            return _ids_mismatch(text, expected, got, label)
        return passed(f"{cls}.encode gives the book's ids on every hidden text.")

    what = "texts with words that are not in the vocabulary" if unknown else "hidden texts"
    if special:
        what = 'texts joined with " <|endoftext|> "'
    return Check(
        name,
        f"{cls}(vocab).encode splits {what} with the book's rule and maps every token to its "
        "id" + (f" (unknown words to {ref.UNK})" if is_v2 else "") + ".",
        build,
        judge,
        video=video,
        card=card,
        needs=(cls,),
    )


def decode_check(cls: str, name: str, *, video: str, card: int) -> Check:
    """decode joins with spaces and removes the space before punctuation."""
    is_v2 = cls == V2

    def build(rng: np.random.Generator) -> list[Probe]:
        words = _vocab_words(rng)
        vocab = _vocab(rng, words, special=is_v2)
        id_lists = []
        for _ in range(2):
            tokens = _tokens(rng, words, int(rng.integers(10, 20)))
            # Both kinds of punctuation, so V1's and V2's patterns give different text.
            tokens.insert(int(rng.integers(1, len(tokens))), _pick(rng, (":", ";")))
            tokens.insert(int(rng.integers(1, len(tokens))), _pick(rng, (",", ".", "?", "!")))
            if is_v2:
                tokens.insert(int(rng.integers(len(tokens))), ref.ENDOFTEXT)
                tokens.insert(int(rng.integers(len(tokens))), ref.UNK)
            id_lists.append([vocab[t] for t in tokens])
        return [_calls_probe(cls, vocab, [["decode", [ids], {}] for ids in id_lists])]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        vocab = probes[0].args["args"][0]
        calls = probes[0].args["calls"]
        got_all = call_results(results[0], len(calls), what=f"{cls}(vocab)")
        if isinstance(got_all, CheckOutcome):
            return got_all
        for (_, (ids,), _), call in zip(calls, got_all, strict=True):
            what = f"decode({ids})"
            if raised(call):
                return CheckOutcome(
                    "error",
                    f"{what} raised {raised(call)}. Build the inverse vocabulary in __init__: "
                    "self.int_to_str = {i: s for s, i in vocab.items()}.",
                )
            got = call.get("value")
            if not isinstance(got, str):
                return failed(f"{what} should return a str.")
            v2 = ref.decode(ids, vocab, pattern=ref.V2_DECODE_PATTERN)
            pattern = ref.V2_DECODE_PATTERN if is_v2 else ref.V1_DECODE_PATTERN
            accepted = (
                [v2] if is_v2 else [v2, ref.decode(ids, vocab, pattern=ref.V1_DECODE_PATTERN)]
            )
            if got in accepted:
                continue
            if got == ref.decode(ids, vocab, pattern=None):
                return failed(
                    f"{what}: your text keeps a space before each punctuation mark ({short(got)}). "
                    f"Remove it: re.sub(r'{pattern}', r'\\1', text)."
                )
            if is_v2 and got == ref.decode(ids, vocab, pattern=ref.V1_DECODE_PATTERN):
                return failed(
                    f"{what}: a space is left before ':' or ';' ({short(got)}). V2's pattern "
                    "also covers them: r'\\s+([,.:;?!\"()\\'])'."
                )
            if got.replace(" ", "") == v2.replace(" ", "") and " " not in got:
                return failed(
                    f"{what}: the tokens are glued together: join them with ' '.join(...)."
                )
            k = first_difference(v2, got) or 0
            return failed(
                f"{what}: expected {short(v2)}, got {short(got)} (first difference at "
                f"character {k}).",
            )
        return passed(f"{cls}.decode turns ids back into text with the book's spacing.")

    return Check(
        name,
        f"{cls}(vocab).decode(ids) joins the tokens with spaces and removes the space before "
        "punctuation" + (", <|endoftext|> and <|unk|> included." if is_v2 else "."),
        build,
        judge,
        video=video,
        card=card,
        needs=(cls,),
    )


# --- The challenge ----------------------------------------------------------------------------

TOKENIZER = register(
    ChallengeSpec(
        slug="tokenizer",
        names=(V1, V2, BPE),
        starter=(STARTERS / "tokenizer.py").read_text(encoding="utf-8"),
        checks=(
            encode_check(
                V1, "v1_encode", unknown=False, special=False, video=VID_IDS, card=CARD_WHY
            ),
            decode_check(V1, "v1_decode", video=VID_IDS, card=CARD_WHY),
            encode_check(
                V2,
                "v2_unknown_words",
                unknown=True,
                special=False,
                video=VID_SPECIAL,
                card=CARD_SPECIAL,
            ),
            encode_check(
                V2,
                "v2_endoftext",
                unknown=False,
                special=True,
                video=VID_SPECIAL,
                card=CARD_SPECIAL,
            ),
            decode_check(V2, "v2_decode", video=VID_SPECIAL, card=CARD_SPECIAL),
            bpe.matches_gpt2_check("bpe_matches_gpt2", video=VID_BPE, card=CARD_BPE),
            bpe.special_token_check("bpe_special_token", video=VID_SPECIAL, card=CARD_SPECIAL),
            bpe.decode_check("bpe_decode_round_trip", video=VID_BPE, card=CARD_VOCAB),
            bpe.given_ranks_check("bpe_uses_given_ranks", video=VID_BPE, card=CARD_BPE),
        ),
        wall_s=30.0,
    )
)
