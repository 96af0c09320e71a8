"""Reference tokenizers for chapter 2: the book's simple tokenizers and GPT-2's BPE.

``SimpleTokenizerV1``/``V2`` as functions over a vocabulary dict (the book's splitting rule
and decode patterns), with keyword options that reproduce common mistakes so a judge can
*name* one. GPT-2's byte-pair encoding is tiktoken's own ``gpt2`` encoding, built offline from
the ranks bundled with openai-whisper (DESIGN.md section 7), never downloaded; variant
encodings with other pre-tokenisation patterns reproduce BPE mistakes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tiktoken_ext.openai_public import r50k_pat_str  # type: ignore[import-untyped]

from grading.sandbox import offline_tiktoken

SPLIT_PATTERN = r'([,.:;?_!"()\']|--|\s)'
V1_DECODE_PATTERN = r'\s+([,.?!"()\'])'
V2_DECODE_PATTERN = r'\s+([,.:;?!"()\'])'
UNK = "<|unk|>"
ENDOFTEXT = offline_tiktoken.ENDOFTEXT
ENDOFTEXT_ID = offline_tiktoken.ENDOFTEXT_ID

# GPT-2's pre-tokenisation pattern: tiktoken's r50k_pat_str (a faster spelling of OpenAI's
# original pattern, which learners use with the ``regex`` module) and mistaken versions.
GPT2_PATTERN: str = r50k_pat_str
OPENAI_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# Without the rule that leaves the last space of a run to the next word.
NO_LOOKAHEAD_PATTERN = OPENAI_PATTERN.replace(r"|\s+(?!\S)", "")
WHITESPACE_PATTERN = r""" ?\S+|\s+"""
WHOLE_TEXT_PATTERN = r"""[\s\S]+"""


# --- SimpleTokenizerV1 / V2 ----------------------------------------------------------------


def split(text: str, *, strip: bool = True, pattern: str = SPLIT_PATTERN) -> list[str]:
    """The book's preprocessing: split on punctuation, ``--`` and whitespace, drop blanks."""
    items = re.split(pattern, text)
    if strip:
        return [item.strip() for item in items if item.strip()]
    return [item for item in items if item]


def build_vocab(texts: Iterable[str], *, special: bool = False) -> dict[str, int]:
    """``{token: id}`` over the sorted unique tokens; V2 appends ``<|endoftext|>``, ``<|unk|>``."""
    tokens = sorted({t for text in texts for t in split(text)})
    if special:
        tokens += [ENDOFTEXT, UNK]
    return {token: i for i, token in enumerate(tokens)}


def encode(text: str, vocab: Mapping[str, int], *, unknown: bool = False) -> list[int]:
    """SimpleTokenizerV1.encode (``unknown``: V2, unknown words become ``<|unk|>``).

    Raises ``KeyError`` for an unknown token when ``unknown`` is off, as the book's V1 does.
    """
    tokens = split(text)
    if unknown:
        tokens = [t if t in vocab else UNK for t in tokens]
    return [vocab[t] for t in tokens]


def decode(
    ids: Sequence[int],
    vocab: Mapping[str, int],
    *,
    pattern: str | None = V2_DECODE_PATTERN,
    joiner: str = " ",
) -> str:
    """SimpleTokenizerV1/V2.decode: join with spaces, remove the space before punctuation.

    ``pattern=None`` reproduces a decode that leaves those spaces; ``joiner=""`` one that
    glues the tokens together.
    """
    inverse = {i: s for s, i in vocab.items()}
    text = joiner.join(inverse[i] for i in ids)
    return text if pattern is None else re.sub(pattern, r"\1", text)


# --- GPT-2 byte-pair encoding ----------------------------------------------------------------


@functools.cache
def gpt2_ranks() -> dict[bytes, int]:
    """GPT-2's 50,256 mergeable ranks from the bundled file (hash-checked)."""
    path = offline_tiktoken.find_ranks_file()
    if path is None:
        raise RuntimeError(
            "GPT-2 BPE ranks not found: install openai-whisper (whisper/assets/gpt2.tiktoken)"
        )
    return offline_tiktoken.load_ranks(path)


# A few encodings are kept: the full one and the per-run truncated / mistaken ones.
@functools.lru_cache(maxsize=8)
def gpt2_encoding(max_rank: int | None = None, pattern: str = GPT2_PATTERN) -> Any:
    """tiktoken's GPT-2 encoding (offline); ``max_rank``: only the ranks below it, with
    ``<|endoftext|>`` = ``max_rank`` (a smaller, still valid BPE vocabulary);
    ``pattern``: another pre-tokenisation pattern (to reproduce a mistake)."""
    import tiktoken

    ranks = gpt2_ranks()
    special = ENDOFTEXT_ID
    if max_rank is not None:
        ranks = {token: rank for token, rank in ranks.items() if rank < max_rank}
        special = max_rank
    return tiktoken.Encoding(
        name=f"gpt2-reference-{max_rank}-{hash(pattern)}",
        pat_str=pattern,
        mergeable_ranks=ranks,
        special_tokens={ENDOFTEXT: special},
    )


def bpe_encode(
    text: str,
    *,
    allowed_special: str | Iterable[str] = (),
    max_rank: int | None = None,
    pattern: str = GPT2_PATTERN,
) -> list[int]:
    """GPT-2 ids of ``text`` (``allowed_special``: ``"all"`` or names of special tokens).

    Special tokens that are not allowed are encoded as ordinary text (graders only send
    such text when it holds no special token, see BOOK.md).
    """
    allowed: Any = allowed_special if allowed_special == "all" else set(allowed_special)
    encoding = gpt2_encoding(max_rank, pattern)
    return list(encoding.encode(text, allowed_special=allowed, disallowed_special=()))


def bpe_decode(ids: Sequence[int], *, max_rank: int | None = None) -> str:
    """The bytes of ``ids`` joined and decoded as UTF-8 with ``errors="replace"``."""
    return str(gpt2_encoding(max_rank).decode(list(ids), errors="replace"))


def token_label(token_id: int, *, max_rank: int | None = None) -> str:
    """``318 ' is'``: an id and the text of its bytes (for messages)."""
    try:
        piece = gpt2_encoding(max_rank).decode_single_token_bytes(token_id)
    except (KeyError, ValueError, OverflowError, TypeError):
        return f"{token_id} (not a token of this vocabulary)"
    try:
        return f"{token_id} {piece.decode('utf-8')!r}"
    except UnicodeDecodeError:  # part of a multi-byte character: show the bytes
        return f"{token_id} {piece!r}"
