"""The tokenizer challenge: SimpleTokenizerV1/V2 and a GPT-2 BPE, judged against tiktoken.

Fixtures: tests/grading/solutions/tokenizer/ (see tests/grading/challenge_suite.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grading.challenges import tokenizer_bpe
from grading.challenges.base import Check
from grading.reference import tokenizer as ref
from grading.sandbox import offline_tiktoken, probes
from tests.grading import challenge_suite as suite

SLUG = "tokenizer"
STARTER = "tokenizer.py"
STARTER_MAY_PASS: frozenset[str] = frozenset()
FIXED_PROBES: frozenset[str] = frozenset()
MANY_RUNS = 15

# (fixture, the check that must fail, a keyword its message must contain)
MISTAKES = [
    ("mistake_no_strip", "v1_encode", "whitespace reached the vocabulary lookup"),
    ("mistake_no_strip", "v2_unknown_words", "whitespace items were kept"),
    ("mistake_v2_no_unk", "v2_unknown_words", "must become <|unk|>"),
    ("mistake_decode_keeps_spaces", "v1_decode", "keeps a space before each punctuation"),
    ("mistake_decode_keeps_spaces", "v2_decode", "keeps a space before each punctuation"),
    ("mistake_v2_v1_pattern", "v2_decode", "also covers them"),
    ("mistake_bpe_no_lookahead", "bpe_matches_gpt2", "run of whitespace"),
    ("mistake_bpe_special_ignored", "bpe_special_token", "encoded as ordinary text"),
    ("mistake_bpe_special_ignored", "bpe_uses_given_ranks", "encoded as ordinary text"),
    ("mistake_bpe_decode_strict", "bpe_decode_round_trip", 'errors="replace"'),
    ("mistake_bpe_tiktoken_gpt2", "bpe_uses_given_ranks", "not from tiktoken.get_encoding"),
]


@pytest.mark.parametrize("seed", suite.SEEDS)
@pytest.mark.parametrize("filename", ["book.py", *suite.fixtures(SLUG, "variant_")])
def test_it_passes_the_book_code_and_equivalent_variants(filename: str, seed: int) -> None:
    assert suite.failures(suite.report(SLUG, filename, seed)) == {}


def test_it_has_enough_fixtures() -> None:
    suite.assert_enough_fixtures(SLUG)


def test_it_passes_the_book_code_over_many_random_runs() -> None:
    # The checks are randomised per run; a correct solution must never be unlucky.
    suite.assert_passes_many_runs(SLUG, range(100, 100 + MANY_RUNS))


@pytest.mark.parametrize("seed", suite.SEEDS)
@pytest.mark.parametrize(("fixture", "check", "keyword"), MISTAKES)
def test_it_fails_a_real_mistake_with_a_message_that_names_it(
    fixture: str, check: str, keyword: str, seed: int
) -> None:
    suite.assert_mistake_named(SLUG, fixture, check, keyword, seed)


def test_it_lists_every_mistake_fixture_in_the_table() -> None:
    suite.assert_table_lists_every_mistake(SLUG, MISTAKES)


@pytest.mark.parametrize("filename", suite.fixtures(SLUG, "mistake_"))
def test_it_leaves_unrelated_checks_alone(filename: str) -> None:
    # A mistake fails some checks, never every one: the report points at the mistake.
    suite.assert_leaves_unrelated_checks_alone(SLUG, filename)


def test_it_fails_every_check_of_the_starter_with_a_message(tmp_path: Path) -> None:
    suite.assert_starter_fails_helpfully(SLUG, STARTER, tmp_path, may_pass=STARTER_MAY_PASS)


def test_it_never_crashes_on_malformed_sandbox_results() -> None:
    # A compromised sandbox child can send anything back; judges must answer, not raise.
    suite.assert_never_crashes_on_junk(SLUG)


@pytest.mark.parametrize("check", suite.spec_for(SLUG).checks, ids=lambda c: c.name)
def test_it_randomises_the_probes_per_run(check: Check) -> None:
    suite.assert_probes_randomised(check, fixed=FIXED_PROBES)


@pytest.mark.parametrize("check", suite.spec_for(SLUG).checks, ids=lambda c: c.name)
def test_it_builds_probes_of_plain_data_only(check: Check) -> None:
    suite.assert_probes_plain(check)


def test_it_gives_every_check_a_video_and_a_card() -> None:
    suite.assert_video_and_card(SLUG)


def test_it_keeps_the_probe_compute_small(tmp_path: Path) -> None:
    # Includes reading GPT-2's 50,256 ranks inside the "sandbox" once (about 0.1 s).
    assert suite.probe_seconds(SLUG, tmp_path) < 1.5


def test_it_encodes_the_book_example_with_the_offline_gpt2_encoding() -> None:
    text = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."
    assert ref.bpe_encode(text, allowed_special={ref.ENDOFTEXT}) == [
        15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114,
        286, 617, 34680, 27271, 13,
    ]  # fmt: skip


def test_it_builds_the_ranks_inside_the_sandbox_from_the_bundled_file(tmp_path: Path) -> None:
    ranks = probes.gpt2_ranks()
    assert len(ranks) == 50256 and ranks[b" is"] == 318
    path = offline_tiktoken.find_ranks_file()
    assert path is not None and ranks == offline_tiktoken.load_ranks(path)
    module = suite.import_source((suite.SOLUTIONS / SLUG / "book.py").read_text(), tmp_path)
    value = probes.OPS["bpe_calls"](
        module,
        cls="GPT2BPETokenizer",
        max_rank=300,
        special_tokens={"<|endoftext|>": 300},
        calls=[["encode", ["the cat<|endoftext|>"], {"allowed_special": ["<|endoftext|>"]}]],
        round_trips=["Zürich  is\tnice"],
    )
    assert value["results"][0]["value"] == ref.bpe_encode(
        "the cat<|endoftext|>", allowed_special={ref.ENDOFTEXT}, max_rank=300
    )
    assert value["round_trips"][0]["text"] == "Zürich  is\tnice"


def test_it_names_the_first_differing_token() -> None:
    text = "this is a test"
    got = ref.bpe_encode(text)
    got[1] = 1312  # ' i'
    outcome = tokenizer_bpe.compare_ids("encode(text 1)", text, got)
    assert outcome is not None
    assert "token 1: expected 318 ' is', got 1312 ' i'" in outcome.message


def test_it_hides_only_text_a_merge_by_rank_bpe_encodes_like_tiktoken() -> None:
    # Every GPT-2 token is reachable by merging its bytes by rank, so a learner's plain BPE
    # agrees with tiktoken (which looks whole pieces up first) on any hidden text.
    ranks = ref.gpt2_ranks()

    def merge(piece: bytes) -> list[int]:
        parts = [bytes([b]) for b in piece]
        while len(parts) > 1:
            pairs = [
                (ranks.get(parts[i] + parts[i + 1], 1 << 30), i) for i in range(len(parts) - 1)
            ]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        return [ranks[p] for p in parts]

    assert all(merge(token) == [rank] for token, rank in ranks.items())
