"""The tokenizer playground's logic (chapter 2): GPT-2's byte pair encoding next to the
book's word-level ``SimpleTokenizerV2``.

- GPT-2 BPE is the real ``tiktoken`` "gpt2" encoding, built offline from the ranks that ship
  with ``openai-whisper`` (``grading/sandbox/offline_tiktoken.py``; tiktoken never
  downloads). Encoding takes microseconds, so it runs in the web process; the encoding
  object is built once per process, lazily (about 0.2 s).
- ``SimpleTokenizerV2`` is the book's section 2.4 tokenizer. Its vocabulary comes from
  ``data/the-verdict.txt``: Edith Wharton's short story "The Verdict" (1908, public
  domain), the same 20,479 characters the book builds its vocabulary from, so the ids
  match the book's (1,130 words + ``<|endoftext|>`` + ``<|unk|>``).

A BPE token is a sequence of bytes, not of characters: an emoji or an accented letter may be
split across tokens that are not valid UTF-8 on their own. ``bpe_pieces`` groups such
tokens into one piece that shows the character and says how its bytes were split, so no
token ever shows up as a silent replacement character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from grading.reference import tokenizer as book

if TYPE_CHECKING:
    import tiktoken

MAX_CHARS = 2000
# The book's example (section 2.4): two texts joined by the end-of-text token.
EXAMPLE = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace."
ENDOFTEXT = book.ENDOFTEXT
UNK = book.UNK
ENDOFTEXT_ID = book.ENDOFTEXT_ID
CORPUS_PATH = Path(__file__).resolve().parent / "data" / "the-verdict.txt"
CORPUS_TITLE = "“The Verdict”, Edith Wharton’s 1908 short story"
# The token table lists this many rows; the id list always has every id.
MAX_TABLE_ROWS = 200
MAX_UNKNOWN_LISTED = 40
COLOURS = 8

# Examples the page links to: (label, text).
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("The book’s example (2.4)", EXAMPLE),
    (
        "someunknownPlace (2.5)",
        "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace.",
    ),
    ("Akwirw ier (exercise 2.1)", "Akwirw ier"),
    ("Accents and emoji", "Café au lait, naïve déjà vu 👋🏽 日本語"),
    ("Code and spaces", "def greet(name):\n    return f'Hello, {name}!'  # two spaces\n"),
    (
        "From “The Verdict”",
        "I HAD always thought Jack Gisburn rather a cheap genius--though a good fellow enough.",
    ),
)


class Unavailable(Exception):
    """The GPT-2 encoding cannot be built (the ranks file is missing)."""


# --- Input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    typed: str  # what goes back into the text box (never lost, even when too long)
    text: str  # what is tokenized
    is_example: bool
    error: str | None


def parse(params: Mapping[str, str]) -> Input:
    """The text to tokenize from GET parameters. No ``text`` at all: the book's example, also
    put in the box; an empty box: the example below an empty box; too long: an error."""
    if "text" not in params:
        return Input(typed=EXAMPLE, text=EXAMPLE, is_example=True, error=None)
    # Browsers send a textarea's line breaks as CRLF; the learner typed "\n".
    typed = params["text"].replace("\r\n", "\n")
    if typed == "":
        return Input(typed="", text=EXAMPLE, is_example=True, error=None)
    if len(typed) > MAX_CHARS:
        over = len(typed) - MAX_CHARS
        return Input(
            typed=typed,
            text="",
            is_example=False,
            error=(
                f"Your text is {len(typed):,} characters long; the playground tokenizes at "
                f"most {MAX_CHARS:,}. Shorten it by {over:,} character{'' if over == 1 else 's'} "
                "(your text is still in the box)."
            ),
        )
    try:
        typed.encode("utf-8")
    except UnicodeEncodeError:
        return Input(
            typed=typed,
            text="",
            is_example=False,
            error="Your text holds a broken character (a lone surrogate) that has no UTF-8 "
            "bytes, so no tokenizer can read it. Retype or remove the odd character.",
        )
    return Input(typed=typed, text=typed, is_example=False, error=None)


# --- Showing text --------------------------------------------------------------------------

_MARKS = {" ": "·", "\n": "↵", "\t": "⇥", "\r": "␍", "\u00a0": "⍽"}


def mark(char: str) -> str | None:
    """How a whitespace or control character is shown: a space as "·", a new line as "↵", a
    tab as "⇥", other controls as their Unicode "control picture"; None for the rest."""
    if char in _MARKS:
        return _MARKS[char]
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures" block
    if code == 0x7F:
        return "␡"
    if unicodedata.category(char) == "Zs":  # other spaces (thin, em, ideographic...)
        return "·"
    return None


def plain_visible(text: str) -> str:
    """``text`` with whitespace and control characters made visible (titles, table)."""
    return "".join(mark(char) or char for char in text)


def hex_bytes(data: bytes) -> str:
    return data.hex(" ").upper()


def _colours(keys: Sequence[int]) -> list[int]:
    """A colour class per token: the same id gets the same colour, but two neighbours never
    share one, so every token boundary is visible."""
    out: list[int] = []
    for key in keys:
        colour = key % COLOURS
        if out and colour == out[-1]:
            colour = (colour + 1) % COLOURS
        out.append(colour)
    return out


# --- GPT-2 BPE -----------------------------------------------------------------------------


@cache
def gpt2_encoding() -> tiktoken.Encoding:
    """The real GPT-2 encoding, built offline once per process."""
    import tiktoken
    import tiktoken.registry

    from grading.sandbox import offline_tiktoken

    status = offline_tiktoken.register()
    if "gpt2" not in tiktoken.registry.ENCODINGS:  # never let get_encoding download it
        raise Unavailable(status)
    return tiktoken.get_encoding("gpt2")


@dataclass(frozen=True)
class BpeToken:
    """One row of the token table."""

    index: int
    id: int
    raw: bytes
    shown: str  # its text with visible whitespace, or its bytes when it is no text alone
    partial: bool  # not valid UTF-8 on its own

    @property
    def hex(self) -> str:
        return hex_bytes(self.raw)


@dataclass(frozen=True)
class BpePiece:
    """One coloured span: a token, or consecutive tokens that only decode together."""

    tokens: tuple[BpeToken, ...]
    text: str
    colour: int

    @property
    def ids(self) -> str:
        return " ".join(str(token.id) for token in self.tokens)

    @property
    def is_split(self) -> bool:
        return len(self.tokens) > 1

    @property
    def is_special(self) -> bool:
        return len(self.tokens) == 1 and self.tokens[0].id == ENDOFTEXT_ID

    @property
    def title(self) -> str:
        if not self.is_split:
            token = self.tokens[0]
            special = " (special token)" if self.is_special else ""
            return f"id {token.id}: “{plain_visible(self.text)}”{special}"
        raw = b"".join(token.raw for token in self.tokens)
        pieces = ", ".join(f"{token.id} = {token.hex}" for token in self.tokens)
        return (
            f"“{plain_visible(self.text)}” is {len(raw)} UTF-8 bytes split over "
            f"{len(self.tokens)} tokens that only decode together: {pieces}"
        )


@dataclass(frozen=True)
class BpeResult:
    ids: tuple[int, ...]
    tokens: tuple[BpeToken, ...]
    pieces: tuple[BpePiece, ...]
    decoded: str
    round_trip: bool

    @property
    def split_pieces(self) -> int:
        return sum(1 for piece in self.pieces if piece.is_split)


def bpe_encode(text: str) -> list[int]:
    """GPT-2 ids, the book's way: ``<|endoftext|>`` is the one special token (50256)."""
    return gpt2_encoding().encode(text, allowed_special={ENDOFTEXT})


def bpe_pieces(ids: Sequence[int]) -> tuple[tuple[BpeToken, ...], tuple[BpePiece, ...]]:
    """The tokens, and the pieces to draw: each token on its own when its bytes are text,
    otherwise grouped with its neighbours until the bytes decode (the shortest group does,
    since the whole byte string is valid UTF-8)."""
    encoding = gpt2_encoding()
    tokens: list[BpeToken] = []
    groups: list[tuple[list[BpeToken], str]] = []
    pending: list[BpeToken] = []
    buffer = b""
    for index, token_id in enumerate(ids):
        raw = encoding.decode_single_token_bytes(token_id)
        try:
            alone: str | None = raw.decode("utf-8")
        except UnicodeDecodeError:
            alone = None
        token = BpeToken(
            index=index,
            id=token_id,
            raw=raw,
            shown=plain_visible(alone) if alone is not None else f"⟨{hex_bytes(raw)}⟩",
            partial=alone is None,
        )
        tokens.append(token)
        pending.append(token)
        buffer += raw
        try:
            decoded = buffer.decode("utf-8")
        except UnicodeDecodeError:
            continue
        groups.append((pending, decoded))
        pending, buffer = [], b""
    if pending:  # cannot happen for ids of a valid text; shown honestly anyway
        groups.append((pending, buffer.decode("utf-8", errors="replace")))
    colours = _colours([group[0].id for group, _ in groups])
    pieces = tuple(
        BpePiece(tokens=tuple(group), text=text, colour=colour)
        for (group, text), colour in zip(groups, colours, strict=True)
    )
    return tuple(tokens), pieces


def bpe(text: str) -> BpeResult:
    ids = bpe_encode(text)
    tokens, pieces = bpe_pieces(ids)
    decoded = gpt2_encoding().decode(ids)
    return BpeResult(
        ids=tuple(ids), tokens=tokens, pieces=pieces, decoded=decoded, round_trip=decoded == text
    )


# --- The book's simple tokenizer -----------------------------------------------------------


def split(text: str) -> list[str]:
    """The book's preprocessing: split on punctuation, "--" and whitespace, strip, drop
    empty items (the graders' reference, ``grading.reference.tokenizer``)."""
    return book.split(text)


class SimpleTokenizerV2:
    """The book's section 2.4 tokenizer: words not in the vocabulary become ``<|unk|>``."""

    def __init__(self, vocab: Mapping[str, int]) -> None:
        self.str_to_int = dict(vocab)
        self.int_to_str = {i: s for s, i in vocab.items()}

    def encode(self, text: str) -> list[int]:
        return book.encode(text, self.str_to_int, unknown=True)

    def decode(self, ids: Sequence[int]) -> str:
        return book.decode(ids, self.str_to_int)


def build_vocab(corpus: str) -> dict[str, int]:
    """The book's vocabulary: the sorted distinct tokens, then ``<|endoftext|>`` and
    ``<|unk|>``."""
    return book.build_vocab([corpus], special=True)


@dataclass(frozen=True)
class Corpus:
    title: str
    characters: int
    tokens: int
    tokenizer: SimpleTokenizerV2

    @property
    def vocab_size(self) -> int:
        return len(self.tokenizer.str_to_int)


@cache
def corpus() -> Corpus:
    text = CORPUS_PATH.read_text(encoding="utf-8")
    return Corpus(
        title=CORPUS_TITLE,
        characters=len(text),
        tokens=len(split(text)),
        tokenizer=SimpleTokenizerV2(build_vocab(text)),
    )


@dataclass(frozen=True)
class WordToken:
    text: str  # as typed
    id: int
    unknown: bool
    special: bool
    colour: int

    @property
    def title(self) -> str:
        if self.unknown:
            return f"“{self.text}” is not in the vocabulary: id {self.id} = {UNK}"
        suffix = " (special token)" if self.special else ""
        return f"id {self.id}: “{self.text}”{suffix}"


@dataclass(frozen=True)
class SimpleResult:
    tokens: tuple[WordToken, ...]
    ids: tuple[int, ...]
    decoded: str
    unknown_words: tuple[str, ...]  # distinct, in order of appearance
    round_trip: bool
    spacing_changed: bool  # decode would differ even if every word were known

    @property
    def losses(self) -> tuple[str, ...]:
        """Why the round trip is not exact, in words."""
        out = []
        if self.unknown_words:
            out.append(f"unknown words come back as {UNK}")
        if self.spacing_changed:
            out.append(
                "spacing is rebuilt (whitespace is dropped; decode puts one space between "
                "tokens and none before punctuation)"
            )
        return tuple(out)

    @property
    def unknown_count(self) -> int:
        return sum(1 for token in self.tokens if token.unknown)

    @property
    def unknown_list(self) -> str:
        """The unknown words, quoted (the first 40)."""
        shown = ", ".join(f"“{word}”" for word in self.unknown_words[:MAX_UNKNOWN_LISTED])
        more = len(self.unknown_words) - MAX_UNKNOWN_LISTED
        return f"{shown} and {more} more" if more > 0 else shown


def simple(text: str) -> SimpleResult:
    tokenizer = corpus().tokenizer
    words = split(text)
    ids = tokenizer.encode(text)
    unk_id = tokenizer.str_to_int[UNK]
    colours = _colours(ids)
    tokens = tuple(
        WordToken(
            text=word,
            id=token_id,
            unknown=token_id == unk_id and word != UNK,
            special=word in (ENDOFTEXT, UNK),
            colour=colour,
        )
        for word, token_id, colour in zip(words, ids, colours, strict=True)
    )
    unknown = dict.fromkeys(token.text for token in tokens if token.unknown)
    decoded = tokenizer.decode(ids)
    respaced = re.sub(book.V2_DECODE_PATTERN, r"\1", " ".join(words))
    return SimpleResult(
        tokens=tokens,
        ids=tuple(ids),
        decoded=decoded,
        unknown_words=tuple(unknown),
        round_trip=decoded == text,
        spacing_changed=respaced != text,
    )


# --- Both, for the page --------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    input: Input
    bpe: BpeResult | None
    bpe_unavailable: str | None
    simple: SimpleResult | None

    @property
    def characters(self) -> int:
        return len(self.input.text)


def explain(params: Mapping[str, str]) -> Explanation:
    """Everything the page shows for the GET parameters."""
    given = parse(params)
    if given.error is not None:
        return Explanation(input=given, bpe=None, bpe_unavailable=None, simple=None)
    try:
        bpe_result: BpeResult | None = bpe(given.text)
        unavailable = None
    except Unavailable as exc:
        bpe_result, unavailable = None, str(exc)
    return Explanation(
        input=given, bpe=bpe_result, bpe_unavailable=unavailable, simple=simple(given.text)
    )
