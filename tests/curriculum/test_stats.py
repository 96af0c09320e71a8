"""Statistics are computed from the listings, and the seed's summary claims are compared."""

from __future__ import annotations

import pytest

from curriculum import content, stats


@pytest.fixture(scope="module")
def statistics() -> stats.Statistics:
    return stats.from_content(content.read())


def test_it_counts_the_videos_of_each_tier_from_the_listings(statistics: stats.Statistics) -> None:
    assert [t.videos for t in statistics.tiers] == [8, 9, 7, 9, 14]
    assert statistics.totals.videos == 47


def test_it_adds_up_the_watch_time(statistics: stats.Statistics) -> None:
    assert [t.video_seconds for t in statistics.tiers] == [6591, 8184, 6371, 9244, 14561]
    assert statistics.totals.video_seconds == 44951  # 12h 29m 11s
    by_challenge = {c.slug: c.video_seconds for c in statistics.challenges}
    assert by_challenge["tokenizer"] == 3935  # 21:10 + 14:10 + 9:59 + 6:36 + 13:40
    assert by_challenge["self-attention"] == 4884


def test_it_totals_xp_challenges_and_cards(statistics: stats.Statistics) -> None:
    assert [t.challenges for t in statistics.tiers] == [3, 3, 3, 3, 2]
    assert [t.xp for t in statistics.tiers] == [255, 375, 450, 375, 450]
    assert statistics.totals.xp == 1905
    assert [t.cards for t in statistics.tiers] == [9, 9, 9, 13, 10]
    assert statistics.totals.cards == 50
    assert statistics.totals.path_days == 53
    assert statistics.totals.path_weeks == 11


def test_it_counts_cards_per_concept(statistics: stats.Statistics) -> None:
    assert {c.slug: c.cards for c in statistics.concepts} == {
        "tokenization": 4,
        "embeddings": 3,
        "attention": 10,
        "architecture": 8,
        "training": 11,
        "generation": 4,
        "fine-tuning": 10,
    }
    assert statistics.totals.concept_cards == 50


def test_it_lists_where_the_seed_summary_disagrees(statistics: stats.Statistics) -> None:
    disagreements, problems = stats.compare_with_seed(statistics, content.read().seed_summary)
    assert problems == []
    messages = {d.stat: d.message for d in disagreements if d.where == "Tier Progression"}
    assert messages["tiers.foundation.videos"] == (
        'seed summary says "9 videos" (Tier Progression: tiers.foundation.videos), listings give 8'
    )
    assert "listings give 14" in messages["tiers.mastery.videos"]
    assert "listings give 12h 29m 11s" in messages["totals.video_seconds"]
    stats_off = {d.stat for d in disagreements}
    assert {"tiers.foundation.cards", "tiers.advanced.cards", "totals.concept_cards"} <= stats_off
    # Claims that hold are not listed: every challenge's rounded watch time agrees.
    assert not [s for s in stats_off if s.startswith("challenges.")]
    assert "totals.videos" not in stats_off


def test_it_reports_an_unknown_statistic_in_a_claim(statistics: stats.Statistics) -> None:
    _, problems = stats.compare_with_seed(
        statistics, [{"stat": "tiers.legendary.videos", "value": 3, "text": "3 videos"}]
    )
    assert [p.message for p in problems] == ["no statistic is called 'tiers.legendary.videos'"]


@pytest.mark.parametrize(
    ("seconds", "text"), [(44951, "12h 29m 11s"), (1260, "21m"), (45, "45s"), (3600, "1h")]
)
def test_it_formats_durations(seconds: int, text: str) -> None:
    assert stats.format_duration(seconds) == text


def test_it_gives_the_same_numbers_from_the_database(content: None) -> None:
    assert stats.from_db() == stats.from_content(content_files())


def content_files() -> content.Content:
    return content.read()
