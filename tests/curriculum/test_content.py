"""The validator: every rule on the real content and on broken copies of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from curriculum import content
from curriculum.content import parse_duration, youtube_id
from curriculum.specs import Problem
from tests.curriculum.helpers import Editor, challenge, video


def problems(directory: Path, level: str | None = None) -> list[Problem]:
    found = content.read(directory).problems
    return [p for p in found if level is None or p.level == level]


def messages(directory: Path, level: str = "error") -> str:
    return "\n".join(str(p) for p in problems(directory, level))


def test_it_reads_the_real_content_without_errors() -> None:
    read = content.read()
    assert read.errors == []
    assert len(read.tiers) == 5
    assert [c.slug for c in read.challenges] == list(content.parsing.FIXED_CHALLENGE_SLUGS)
    assert sorted(c.number for c in read.cards) == list(range(1, 51))
    assert len(list(read.videos())) == 47
    assert len(read.path) == 14


def test_it_reports_each_malformed_youtube_id_and_still_loads_the_video() -> None:
    read = content.read()
    malformed = [p for p in read.warnings if "malformed YouTube id" in p.message]
    assert {(p.file, p.item) for p in malformed} == {
        ("challenges.yaml", "challenge tokenizer, video tokenizing-text"),
        ("challenges.yaml", "challenge transformer-block, video shortcut-connections"),
        ("challenges.yaml", "challenge sampling, video temperature-scaling"),
    }
    tokenizing = next(v for _, v in read.videos() if v.slug == "tokenizing-text")
    assert tokenizing.youtube_id == "Iuwqyddco"
    assert tokenizing.url == "https://www.youtube.com/watch?v=Iuwqyddco"  # kept as the seed has it
    assert "has 9 characters" in next(p.message for p in malformed if "tokenizing" in p.item)


def test_it_keeps_the_paths_disagreements_with_the_challenges_as_warnings() -> None:
    read = content.read()
    path_warnings = {p.item: p.message for p in read.warnings if p.file == "path.yaml"}
    assert "key card of model-io" in path_warnings["card 45"]
    assert "training (days 30–35)" in path_warnings["card 45"]
    assert "tokenizer (days 1–3) and data-pipeline (days 6–7)" in path_warnings["card 4"]
    training = next(s for s in read.path if s.challenge == "training")
    assert 45 in training.cards  # both kept as data
    assert 45 in next(c for c in read.challenges if c.slug == "model-io").cards


def test_it_reports_a_duplicate_video_slug(content_dir: Path, edit: Editor) -> None:
    edit(
        "challenges.yaml",
        lambda data: video(data, "word-positions").update(slug="token-embeddings"),
    )
    assert "duplicate video slug 'token-embeddings'" in messages(content_dir)


def test_it_reports_a_duplicate_challenge_slug(content_dir: Path, edit: Editor) -> None:
    edit("challenges.yaml", lambda data: challenge(data, "embeddings").update(slug="tokenizer"))
    text = messages(content_dir)
    assert "duplicate slug 'tokenizer'" in text
    assert "fixed challenge slug is missing" in text  # "embeddings" is gone


def test_it_reports_a_missing_and_a_duplicated_card_number(content_dir: Path, edit: Editor) -> None:
    def renumber(data: list[dict]) -> None:
        next(c for c in data if c["number"] == 50)["number"] = 49

    edit("cards.yaml", renumber)
    text = messages(content_dir)
    assert "card number 49 appears 2 times" in text
    assert "card numbers missing: 50" in text
    assert "key card 50 is not in cards.yaml" in text  # model-io lists it
    assert "card 50 is not in cards.yaml" in text  # so does the path


def test_it_reports_a_key_card_outside_1_to_50(content_dir: Path, edit: Editor) -> None:
    edit("challenges.yaml", lambda data: challenge(data, "tokenizer")["cards"].append(51))
    assert "[challenge tokenizer]: key card 51 is not in cards.yaml" in messages(content_dir)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        ("21:70", "more than 59 seconds"),
        ("twenty", 'is not "mm:ss"'),
        (1270, 'YAML read this unquoted value as the number 1270 (write it as "21:10")'),
        ("0:00", "is zero"),
    ],
)
def test_it_reports_a_bad_duration(
    content_dir: Path, edit: Editor, duration: object, expected: str
) -> None:
    edit("challenges.yaml", lambda data: video(data, "tokens-to-ids").update(duration=duration))
    found = problems(content_dir, "error")
    assert [(p.file, p.item) for p in found] == [
        ("challenges.yaml", "challenge tokenizer, video tokens-to-ids")
    ]
    assert expected in found[0].message


def test_it_reports_hours_out_of_order_and_xp_that_is_not_positive(
    content_dir: Path, edit: Editor
) -> None:
    def change(data: list[dict]) -> None:
        challenge(data, "tokenizer").update(hours=[4, 3])
        challenge(data, "embeddings").update(xp=0)

    edit("challenges.yaml", change)
    text = messages(content_dir)
    assert "[challenge tokenizer]: 'hours' [4, 3] must have 1 ≤ min ≤ max" in text
    assert "[challenge embeddings]: 'xp' is 0; it must be between 1 and 100000" in text


def test_it_reports_an_unknown_tier_and_an_unknown_path_challenge(
    content_dir: Path, edit: Editor
) -> None:
    edit("challenges.yaml", lambda data: challenge(data, "gpt-model").update(tier="legendary"))
    edit("path.yaml", lambda data: data[0]["steps"][0].update(challenge="tokeniser"))
    text = messages(content_dir)
    assert "[challenge gpt-model]: tier 'legendary' is not in tiers.yaml" in text
    assert "challenge 'tokeniser' is not in challenges.yaml" in text


def test_it_reports_path_days_that_do_not_increase(content_dir: Path, edit: Editor) -> None:
    edit("path.yaml", lambda data: data[0]["steps"][1].update(days="3-5"))
    assert "days must increase: days 3–5 starts on or before the end" in messages(content_dir)


def test_it_reports_a_gap_in_the_path_as_a_warning(content_dir: Path, edit: Editor) -> None:
    edit("path.yaml", lambda data: data[0]["steps"][1].update(days="5-5"))
    assert "days 4–4 have no step" in messages(content_dir, "warning")
    assert messages(content_dir, "error") == ""


def test_it_reports_a_yaml_syntax_error_with_its_line(content_dir: Path) -> None:
    (content_dir / "tips.yaml").write_text("- title: [unclosed\n  body: x\n", encoding="utf-8")
    found = [p for p in problems(content_dir, "error") if p.file == "tips.yaml"]
    assert len(found) == 1
    assert found[0].item.startswith("line ")
    assert "YAML syntax error" in found[0].message


def test_it_reports_a_missing_file(content_dir: Path) -> None:
    (content_dir / "links.yaml").unlink()
    assert f"links.yaml [-]: file is missing from {content_dir}" in messages(content_dir)


def test_it_reports_an_unquoted_book_section(content_dir: Path, edit: Editor) -> None:
    edit("challenges.yaml", lambda data: video(data, "tokens-to-ids").update(section=2.3))
    assert "'section' is the number 2.3; quote it" in messages(content_dir)


def test_it_warns_about_an_unknown_key(content_dir: Path, edit: Editor) -> None:
    edit("tiers.yaml", lambda data: data[0].update(titel="Oops"))
    assert "unknown key 'titel' is ignored" in messages(content_dir, "warning")


def test_it_refuses_a_tier_slug_that_a_page_uses(content_dir: Path, edit: Editor) -> None:
    def rename(data: list[dict]) -> None:
        data[4]["slug"] = "stats"

    edit("tiers.yaml", rename)
    assert "[tier stats]: the slug is taken by the page /learn/stats/" in messages(content_dir)


def test_it_is_fine_without_card_answers(content_dir: Path) -> None:
    (content_dir / "card_answers.yaml").unlink(missing_ok=True)
    read = content.read(content_dir)
    assert read.errors == []
    assert not read.answers_present
    assert all(c.front is None and c.back is None for c in read.cards)


def test_it_reads_the_real_card_answers_for_all_fifty_cards() -> None:
    read = content.read()
    assert read.answers_present
    assert all(c.front and c.back for c in read.cards)
    assert not [p for p in read.problems if p.file == "card_answers.yaml"]


def test_it_reads_card_answers_when_present(content_dir: Path) -> None:
    (content_dir / "card_answers.yaml").write_text(
        '- {number: 1, front: "Why tokenize?", back: "Models read numbers."}\n', encoding="utf-8"
    )
    read = content.read(content_dir)
    assert read.answers_present and read.errors == []
    card = next(c for c in read.cards if c.number == 1)
    assert (card.front, card.back) == ("Why tokenize?", "Models read numbers.")
    assert "no answer yet for cards 2-50" in messages(content_dir, "warning")


def test_it_validates_card_answers(content_dir: Path) -> None:
    (content_dir / "card_answers.yaml").write_text(
        "- {number: 1, front: a, back: b}\n"
        "- {number: 1, front: c, back: d}\n"
        "- {number: 51, front: e, back: f}\n"
        "- {number: 2, front: g}\n",
        encoding="utf-8",
    )
    text = messages(content_dir)
    assert "card_answers.yaml [card 1]: card 1 is answered more than once" in text
    assert "card_answers.yaml [card 51]: 'number' is 51; it must be between 1 and 50" in text
    assert "card_answers.yaml [card 2]: 'back' is missing" in text


def test_it_reports_a_content_directory_that_does_not_exist(tmp_path: Path) -> None:
    assert "does not exist" in messages(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("21:10", 1270), ("9:59", 599), ("1:05:35", 3935), ("0:45", 45)],
)
def test_it_parses_durations(value: str, seconds: int) -> None:
    assert parse_duration(value) == (seconds, None)


@pytest.mark.parametrize(
    ("url", "vid", "trouble"),
    [
        ("https://www.youtube.com/watch?v=2U3JLwKdbmQ", "2U3JLwKdbmQ", None),
        ("https://youtu.be/2U3JLwKdbmQ", "2U3JLwKdbmQ", None),
        ("https://www.youtube.com/watch?v=PnIF7GdWps", "PnIF7GdWps", "has 10 characters"),
        ("https://www.youtube.com/watch?v=2U3JLwKdb!Q", "2U3JLwKdb!Q", "contains '!'"),
        ("https://example.com/video", "", "not a YouTube video URL"),
    ],
)
def test_it_extracts_youtube_ids(url: str, vid: str, trouble: str | None) -> None:
    found, why = youtube_id(url)
    assert found == vid
    assert (why is None) if trouble is None else (trouble in (why or ""))
