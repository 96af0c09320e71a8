"""The byte-pair encoding checks of the ``tokenizer`` challenge (``GPT2BPETokenizer``).

The learner's tokenizer is built inside the sandbox from the bundled GPT-2 ranks
(``probes.bpe_calls``) and encodes hidden text; the judge compares with tiktoken's own GPT-2
encoding (built offline, ``grading.reference.tokenizer``) and names the first differing
token. When the ids differ, encodings with mistaken pre-tokenisation patterns are tried so
the message can name the mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grading.challenges.base import Check, CheckOutcome, Probe, ProbeResult
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

BPE = "GPT2BPETokenizer"
EOT = ref.ENDOFTEXT

# --- Hidden text ------------------------------------------------------------------------------

PLAIN = (
    "the of and to in is was he she it that with as had for you not be at by on all this "
    "but from have an they which one were there when who will more if out so said what up "
    "about into than them can only other new some could time these two may then do first "
    "like over made after did many before must through back where much your way well down "
    "because each just people how little good very make world still see work long here life "
    "never day same know while last might great old year come since against right take three "
    "Hello tea sunlit terraces palace painted verdict canvas In The A Every Byte"
).split()
RARE = (
    "someunknownPlace",
    "tokenization",
    "Raschka",
    "antidisestablishmentarianism",
    "GPT",
    "LLMs",
    "PyTorch",
    "dataloader",
    "self-attention",
    "camelCaseName",
    "snake_case_name",
    "https://example.org/a?b=c",
    "e-mail",
    "x86_64",
    "HTTPServer",
    "Mississippi",
)
CONTRACTIONS = (
    "don't",
    "I'm",
    "they've",
    "we'll",
    "she'd",
    "it's",
    "you're",
    "can't",
    "won't",
    "I'D",
    "They'RE",
    "rock'n'roll",
    "'tis",
)
UNICODE = (
    "café",
    "naïve",
    "Zürich",
    "façade",
    "東京",
    "日本語",
    "Ελληνικά",
    "Привет",
    "مرحبا",
    "🙂",
    "🚀🚀",
    "👍🏽",
    "—",
    "€5",
    "£",
    "“quoted”",
    "…",
    "straße",
    "Ångström",
    "ñandú",
)
MARKS = ("!", "?", "...", ",", ".", "(", ")", '"', "'", ":", ";", "-", "--", "$", "%", "#", "@")
SPACES = (" ",) * 8 + ("  ", "   ", "\n", "\n\n", "\t", " \n", "\r\n", "    ")


def _pick(rng: np.random.Generator, items: Sequence[str]) -> str:
    return items[int(rng.integers(len(items)))]


def _number(rng: np.random.Generator) -> str:
    kind = int(rng.integers(4))
    if kind == 0:
        return str(int(rng.integers(0, 10**6)))
    if kind == 1:
        return f"{rng.uniform(0, 100):.{int(rng.integers(1, 5))}f}"
    if kind == 2:
        return f"{int(rng.integers(1000, 10**7)):,}"
    return "0" * int(rng.integers(1, 3)) + str(int(rng.integers(1, 99)))


def bpe_text(rng: np.random.Generator, n: int = 30) -> str:
    """Hidden text: words, rare words, contractions, numbers, unicode, punctuation and
    whitespace runs, sometimes with leading or trailing whitespace."""
    pieces = []
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            piece = _pick(rng, PLAIN)
        elif r < 0.55:
            piece = _pick(rng, RARE)
        elif r < 0.65:
            piece = _pick(rng, CONTRACTIONS)
        elif r < 0.75:
            piece = _number(rng)
        elif r < 0.87:
            piece = _pick(rng, UNICODE)
        else:
            piece = _pick(rng, MARKS)
        glue = piece in MARKS and rng.random() < 0.5
        pieces.append(piece if glue or not pieces else _pick(rng, SPACES) + piece)
    text = "".join(pieces)
    if rng.random() < 0.3:
        text = _pick(rng, SPACES) + text
    if rng.random() < 0.4:
        text += _pick(rng, SPACES)
    return text


def special_text(rng: np.random.Generator) -> str:
    """Text holding <|endoftext|> between spaces, glued to words, at the start or twice."""
    parts = [bpe_text(rng, int(rng.integers(6, 12))) for _ in range(3)]
    joins = [f" {EOT} ", EOT, f"{EOT}{EOT}", f"\n{EOT}\n"]
    text = parts[0] + _pick(rng, joins) + parts[1] + _pick(rng, joins) + parts[2]
    return EOT + text if rng.random() < 0.3 else text


# --- Judging ids ------------------------------------------------------------------------------

PATTERN_MISTAKES = (
    (
        ref.NO_LOOKAHEAD_PATTERN,
        "a run of whitespace is split differently from GPT-2: its pattern has \\s+(?!\\S) "
        "before \\s+, so a run of spaces leaves its last space to the next word (' b').",
    ),
    (
        ref.WHITESPACE_PATTERN,
        "the text is pre-tokenised on whitespace only: split it with GPT-2's regex first "
        "(contractions, letters, numbers and other symbols separately: "
        "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+, "
        "with the regex module), then apply BPE to each piece.",
    ),
    (
        ref.WHOLE_TEXT_PATTERN,
        "BPE runs over the whole text at once: split the text into pieces with GPT-2's regex "
        "first and merge only within each piece.",
    ),
)
BYTES_MISTAKE = (
    "no merges were applied: every byte became its own token. Repeatedly merge the adjacent "
    "pair whose concatenation has the lowest rank, until no adjacent pair is in the ranks."
)


def _byte_ids(text: str, max_rank: int | None) -> list[int]:
    ranks = ref.gpt2_ranks()
    return [ranks[bytes([b])] for b in text.encode("utf-8")]


def name_mistake(text: str, got: list[int], allowed: Any, max_rank: int | None) -> str | None:
    """The message of a known BPE mistake that reproduces ``got``, else None."""
    if EOT in text and allowed:
        if got == ref.bpe_encode(text, max_rank=max_rank):
            special = ref.ENDOFTEXT_ID if max_rank is None else max_rank
            return (
                f"{EOT} was encoded as ordinary text: when it is in allowed_special (or "
                f'allowed_special="all") it must become the single id {special}. Split the '
                "text on the allowed special tokens first and encode the parts between them."
            )
    for pattern, message in PATTERN_MISTAKES:
        if got == ref.bpe_encode(text, allowed_special=allowed, pattern=pattern, max_rank=max_rank):
            return message
    if EOT not in text and got == _byte_ids(text, max_rank):
        return BYTES_MISTAKE
    return None


def compare_ids(
    what: str, text: str, got: list[int], *, allowed: Any = (), max_rank: int | None = None
) -> CheckOutcome | None:
    """None when ``got`` are GPT-2's ids of ``text``; else a message naming the first
    differing token (and the mistake, when a known one reproduces the ids)."""
    expected = ref.bpe_encode(text, allowed_special=allowed, max_rank=max_rank)
    k = first_difference(expected, got)
    if k is None:
        return None
    detail = f"expected ids: {expected}\ngot ids:      {got}"
    named = name_mistake(text, got, allowed, max_rank)
    if named is not None:
        return failed(f"{what}: {named}", detail)
    label = lambda i: ref.token_label(i, max_rank=max_rank)  # noqa: E731
    exp = label(expected[k]) if k < len(expected) else "no more tokens"
    found = label(got[k]) if k < len(got) else "no more tokens"
    at = len(ref.bpe_decode(expected[:k], max_rank=max_rank))
    return failed(
        f"{what}: token {k}: expected {exp}, got {found} (at {short(text[at : at + 24], 40)}).",
        detail,
    )


def _encode_failure(what: str, call: dict[str, Any]) -> CheckOutcome:
    kind = call.get("raised")
    hint = ""
    if kind in ("KeyError", "UnicodeEncodeError", "IndexError"):
        hint = (
            " BPE works on bytes: start from the UTF-8 bytes of each piece "
            "(piece.encode('utf-8')), every single byte is in the ranks."
        )
    return CheckOutcome("error", f"{what} raised {raised(call)}.{hint}")


def _probe(calls: list[list[Any]], **extra: Any) -> Probe:
    return Probe("bpe_calls", {"cls": BPE, "calls": calls, **extra}, timeout_s=10.0)


def _results(probe: Probe, result: ProbeResult) -> list[dict[str, Any]] | CheckOutcome:
    return call_results(result, len(probe.args["calls"]), what=f"{BPE}(ranks)")


def _judge_encodes(
    probe: Probe, result: ProbeResult, *, max_rank: int | None = None
) -> CheckOutcome | None:
    calls = _results(probe, result)
    if isinstance(calls, CheckOutcome):
        return calls
    for i, ((method, args, kwargs), call) in enumerate(
        zip(probe.args["calls"], calls, strict=True)
    ):
        if method != "encode":
            continue
        text = args[0]
        allowed = kwargs.get("allowed_special", ())
        shown = f", allowed_special={allowed!r}" if allowed else ""
        what = f"encode(text {i + 1}{shown})"
        if raised(call):
            return _encode_failure(what, call)
        got = as_int_list(call.get("value"))
        if got is None:
            return failed(
                f"{what} should return a list of ints, not {type(call.get('value')).__name__}."
            )
        outcome = compare_ids(what, text, got, allowed=allowed, max_rank=max_rank)
        if outcome is not None:
            return outcome
    return None


# --- Checks -----------------------------------------------------------------------------------


def matches_gpt2_check(name: str, *, video: str, card: int) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        texts = [bpe_text(rng, int(rng.integers(20, 35))) for _ in range(3)]
        return [_probe([["encode", [t], {}] for t in texts])]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        outcome = _judge_encodes(probes[0], results[0])
        return outcome or passed(
            f"{BPE} gives exactly GPT-2's ids on text with unicode, numbers, contractions and "
            "whitespace runs."
        )

    return Check(
        name,
        f"{BPE}(ranks).encode(text) gives exactly the ids of tiktoken's GPT-2 encoding on "
        "hidden text with unicode, emoji, numbers, contractions and whitespace runs.",
        build,
        judge,
        video=video,
        card=card,
        needs=(BPE,),
    )


def special_token_check(name: str, *, video: str, card: int) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        texts = [special_text(rng) for _ in range(2)]
        calls = [["encode", [texts[0]], {"allowed_special": [EOT]}]]
        calls.append(["encode", [texts[1]], {"allowed_special": "all"}])
        return [_probe(calls)]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        outcome = _judge_encodes(probes[0], results[0])
        return outcome or passed(
            f'{EOT} becomes id {ref.ENDOFTEXT_ID} when allowed (a set or "all"), by default.'
        )

    return Check(
        name,
        f"With the default special_tokens, encode(text, allowed_special={{'{EOT}'}}) (and "
        f'allowed_special="all") turns every {EOT} into id {ref.ENDOFTEXT_ID} and the rest '
        "into GPT-2's ids.",
        build,
        judge,
        video=video,
        card=card,
        needs=(BPE,),
    )


def decode_check(name: str, *, video: str, card: int) -> Check:
    def build(rng: np.random.Generator) -> list[Probe]:
        texts = [bpe_text(rng, int(rng.integers(15, 25))) for _ in range(2)]
        calls: list[list[Any]] = [["decode", [ref.bpe_encode(t)], {}] for t in texts]
        # A character cut in the middle: decode must replace the broken bytes, not raise.
        emoji = ref.bpe_encode(_pick(rng, ("🚀", "🤖", "👍🏽", "東京")))
        word = ref.bpe_encode(" " + _pick(rng, PLAIN))
        calls.append(["decode", [word + emoji[:-1]], {}])
        trips = [bpe_text(rng, int(rng.integers(10, 20))) for _ in range(2)]
        return [_probe(calls, round_trips=trips)]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        probe = probes[0]
        calls = _results(probe, results[0])
        if isinstance(calls, CheckOutcome):
            return calls
        for (_, (ids,), _), call in zip(probe.args["calls"], calls, strict=True):
            expected = ref.bpe_decode(ids)
            what = f"decode({short(str(ids), 60)})"
            if raised(call):
                hint = (
                    " These ids cut a character in the middle: decode the joined bytes with "
                    'errors="replace".'
                    if call.get("raised") == "UnicodeDecodeError"
                    else ""
                )
                return CheckOutcome("error", f"{what} raised {raised(call)}.{hint}")
            got = call.get("value")
            if got != expected:
                if (
                    isinstance(got, str)
                    and "\ufffd" in expected
                    and got == expected.replace("\ufffd", "")
                ):
                    return failed(
                        f'{what}: broken bytes were dropped; decode with errors="replace" '
                        "so they show as '\ufffd'."
                    )
                return failed(
                    f"{what}: expected {short(expected)}, got {short(str(got))}. Join the "
                    "tokens' bytes first, then decode once: b''.join(...).decode('utf-8', "
                    "errors='replace').",
                )
        trips = results[0].value.get("round_trips") if isinstance(results[0].value, dict) else None
        texts = probe.args["round_trips"]
        if not isinstance(trips, list) or len(trips) != len(texts):
            return CheckOutcome("error", f"{BPE}: the sandbox returned no round trips.")
        for i, (text, trip) in enumerate(zip(texts, trips, strict=True)):
            if not isinstance(trip, dict):
                return CheckOutcome("error", f"{BPE}: the sandbox returned no round trips.")
            if raised(trip):
                return CheckOutcome("error", f"decode(encode(text {i + 1})) raised {raised(trip)}.")
            if trip.get("text") != text:
                got = str(trip.get("text"))
                k = first_difference(text, got) or 0
                return failed(
                    f"decode(encode(text)) did not give the text back: expected {short(text)}, "
                    f"got {short(got)} (first difference at character {k}).",
                )
        return passed("decode gives the text back, and replaces bytes of a cut character.")

    return Check(
        name,
        'decode(ids) joins the tokens\' bytes and decodes them as UTF-8 with errors="replace"; '
        "decode(encode(text)) gives the text back.",
        build,
        judge,
        video=video,
        card=card,
        needs=(BPE,),
    )


def given_ranks_check(name: str, *, video: str, card: int) -> Check:
    """A smaller vocabulary (the ranks below a random bound): ids must follow the ranks given."""

    def build(rng: np.random.Generator) -> list[Probe]:
        max_rank = int(rng.integers(2000, 20000))
        text = bpe_text(rng, int(rng.integers(20, 30)))
        calls = [
            ["encode", [text], {}],
            ["encode", [special_text(rng)], {"allowed_special": [EOT]}],
        ]
        return [_probe(calls, max_rank=max_rank, special_tokens={EOT: max_rank})]

    def judge(probes: Sequence[Probe], results: Sequence[ProbeResult]) -> CheckOutcome:
        probe = probes[0]
        max_rank = int(probe.args["max_rank"])
        outcome = _judge_encodes(probe, results[0], max_rank=max_rank)
        if outcome is None:
            return passed(f"{BPE} uses the ranks and special tokens it is given.")
        if outcome.status != "fail":
            return outcome
        calls = results[0].value["results"]  # type: ignore[index]
        for (_, (text,), kwargs), call in zip(probe.args["calls"], calls, strict=True):
            got = as_int_list(call.get("value")) or []
            allowed = kwargs.get("allowed_special", ())
            if got == ref.bpe_encode(text, allowed_special=allowed) and got != ref.bpe_encode(
                text, allowed_special=allowed, max_rank=max_rank
            ):
                return failed(
                    f"With a smaller vocabulary (only the {max_rank} ranks below {max_rank}, "
                    f"{EOT} = {max_rank}) your tokenizer still gives the full GPT-2 ids: build "
                    "it from the ranks and special_tokens passed in, not from "
                    'tiktoken.get_encoding("gpt2").',
                    outcome.output,
                )
            if EOT in text and ref.ENDOFTEXT_ID in got:
                return failed(
                    f"With special_tokens={{'{EOT}': {max_rank}}} your tokenizer still gives "
                    f"{EOT} the id {ref.ENDOFTEXT_ID}: use the special_tokens argument.",
                    outcome.output,
                )
        return failed(
            f"With a smaller vocabulary (ranks below {max_rank}): {outcome.message}", outcome.output
        )

    return Check(
        name,
        f"{BPE}(ranks, special_tokens) with a smaller vocabulary -- only the ranks below a "
        "random bound -- gives that BPE's ids: the tokenizer really uses the ranks and "
        "special tokens it is given.",
        build,
        judge,
        video=video,
        card=card,
        needs=(BPE,),
    )
