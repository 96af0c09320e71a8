"""load_content: an idempotent upsert that keeps learner progress, and its --check report."""

from __future__ import annotations

import json
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from curriculum import content as content_files
from curriculum.loading import load
from curriculum.models import BuildItem, Card, Challenge, PathStep, QuickLink, Tier, Tip, Video
from progress.models import BuildItemCheck, VideoWatch
from tests.curriculum.helpers import Editor, challenge, video

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_content", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_loads_the_whole_curriculum() -> None:
    output = run()
    assert "Loaded content from" in output
    assert Tier.objects.count() == 5
    assert Challenge.objects.count() == 14
    assert Video.objects.count() == 47
    assert Card.objects.count() == 50
    assert PathStep.objects.count() == 14
    assert (Tip.objects.count(), QuickLink.objects.count()) == (6, 4)
    tokenizer = Challenge.objects.get(slug="tokenizer")
    assert sorted(tokenizer.cards.values_list("number", flat=True)) == [1, 2, 3, 48]
    assert tokenizer.build_items.count() == 5
    video = Video.objects.get(slug="simple-self-attention")
    assert (video.seconds, video.book_section, video.core) == (2470, "3.3.1", True)
    assert Video.objects.get(slug="tokenizing-text").youtube_id == "Iuwqyddco"
    assert not Video.objects.get(slug="tokenizing-text").has_valid_id
    step = PathStep.objects.get(challenge__slug="self-attention")
    assert (step.day_start, step.day_end, step.critical) == (8, 12, True)
    assert Card.objects.get(number=1).front  # card_answers.yaml filled it


def test_it_changes_nothing_on_a_second_run() -> None:
    run()
    output = run()
    assert "0 created, 0 updated, 0 deleted, 0 retired, 0 restored" in output


def test_it_updates_an_edited_row_and_keeps_the_learners_watch(
    content_dir: Path, edit: Editor, django_user_model: type[User]
) -> None:
    run("--dir", str(content_dir))
    learner = django_user_model.objects.create_user("lee", "lee@example.com", "pw-123456789")
    watched = Video.objects.get(slug="token-embeddings")
    VideoWatch.objects.create(learner=learner, video=watched)

    edit(
        "challenges.yaml",
        lambda data: video(data, "token-embeddings").update(
            title="Creating Token Embeddings (revised)", duration="8:40"
        ),
    )
    output = run("--dir", str(content_dir), "-v", "2")

    assert "0 created, 1 updated, 0 deleted" in output
    assert "updated video token-embeddings (title, seconds)" in output
    watched.refresh_from_db()
    assert (watched.title, watched.seconds) == ("Creating Token Embeddings (revised)", 520)
    assert VideoWatch.objects.filter(learner=learner, video=watched).exists()


def test_it_retires_a_removed_video_a_learner_watched_and_deletes_an_unwatched_one(
    content_dir: Path, edit: Editor, django_user_model: type[User]
) -> None:
    run("--dir", str(content_dir))
    learner = django_user_model.objects.create_user("lee", "lee@example.com", "pw-123456789")
    VideoWatch.objects.create(learner=learner, video=Video.objects.get(slug="token-embeddings"))

    def drop_both(data: list[dict]) -> None:
        challenge(data, "embeddings")["videos"] = []

    edit("challenges.yaml", drop_both)
    output = run("--dir", str(content_dir))

    assert "retired video token-embeddings (kept: referenced by 1 progress.videowatch)" in output
    assert "deleted video word-positions" in output
    assert Video.objects.get(slug="token-embeddings").retired
    assert not Video.objects.filter(slug="word-positions").exists()
    assert VideoWatch.objects.filter(learner=learner).count() == 1
    assert Video.objects.current().count() == 45
    # Listing it again brings the same row (and the learner's tick) back.
    call_command("load_content", "--dir", str(content_files.CONTENT_DIR), verbosity=0)
    restored = Video.objects.get(slug="token-embeddings")
    assert not restored.retired
    assert VideoWatch.objects.filter(learner=learner, video=restored).exists()


def test_it_keeps_a_removed_self_check_item_that_was_ticked(
    content_dir: Path, edit: Editor, django_user_model: type[User]
) -> None:
    run("--dir", str(content_dir))
    learner = django_user_model.objects.create_user("lee", "lee@example.com", "pw-123456789")
    item = BuildItem.objects.get(slug="embeddings--pca-tsne")
    BuildItemCheck.objects.create(learner=learner, item=item)
    edit(
        "challenges.yaml",
        lambda data: challenge(data, "embeddings").update(
            build=[b for b in challenge(data, "embeddings")["build"] if b["key"] != "pca-tsne"]
        ),
    )
    output = run("--dir", str(content_dir))
    assert "retired builditem embeddings--pca-tsne" in output
    item.refresh_from_db()
    assert item.retired and BuildItemCheck.objects.filter(item=item).exists()


def test_it_swaps_challenge_numbers_without_tripping_the_unique_constraint(
    content_dir: Path, edit: Editor
) -> None:
    run("--dir", str(content_dir))

    def swap(data: list[dict]) -> None:
        challenge(data, "tokenizer")["number"], challenge(data, "embeddings")["number"] = 2, 1

    edit("challenges.yaml", swap)
    run("--dir", str(content_dir))
    assert Challenge.objects.get(slug="tokenizer").number == 2
    assert Challenge.objects.get(slug="embeddings").number == 1


def test_it_refuses_to_load_content_with_errors_and_writes_nothing(
    content_dir: Path, edit: Editor
) -> None:
    edit("challenges.yaml", lambda data: video(data, "tokens-to-ids").update(duration="9:99"))
    with pytest.raises(CommandError, match="1 error"):
        call_command(
            "load_content", "--dir", str(content_dir), stdout=StringIO(), stderr=StringIO()
        )
    assert Tier.objects.count() == 0


def test_it_raises_for_errors_when_called_directly(content_dir: Path, edit: Editor) -> None:
    edit("cards.yaml", lambda data: data[:-1])
    read = content_files.read(content_dir)
    with pytest.raises(Exception, match="nothing was loaded"):
        load(content=read)


def test_check_writes_nothing_and_reports_the_numbers() -> None:
    output = run("--check")
    assert Tier.objects.count() == 0
    assert "0 error(s), 5 warning(s)" in output
    assert "Foundation              3       8   1h 49m 51s" in output
    assert (
        'seed summary says "9 videos" (Tier Progression: tiers.foundation.videos), listings give 8'
        in output
    )


def test_check_json_reports_the_statistics_problems_and_disagreements() -> None:
    report = json.loads(run("--check", "--json"))
    assert report["ok"] is True
    assert [t["videos"] for t in report["tiers"]] == [8, 9, 7, 9, 14]
    assert [t["video_seconds"] for t in report["tiers"]] == [6591, 8184, 6371, 9244, 14561]
    assert [t["xp"] for t in report["tiers"]] == [255, 375, 450, 375, 450]
    assert [t["cards"] for t in report["tiers"]] == [9, 9, 9, 13, 10]
    assert {c["slug"]: c["cards"] for c in report["concepts"]}["attention"] == 10
    assert report["totals"] == {
        "tiers": 5,
        "challenges": 14,
        "videos": 47,
        "video_seconds": 44951,
        "xp": 1905,
        "cards": 50,
        "concept_cards": 50,
        "path_days": 53,
        "path_weeks": 11,
    }
    assert (report["errors"], report["warnings"]) == (0, 5)
    assert {"file", "item", "message", "level"} == set(report["problems"][0])
    malformed = [p for p in report["problems"] if "malformed YouTube id" in p["message"]]
    assert [p["level"] for p in malformed] == ["warning"] * 3
    stats_off = {d["stat"] for d in report["seed_disagreements"]}
    assert {"tiers.foundation.videos", "tiers.mastery.videos", "totals.video_seconds"} <= stats_off


def test_check_json_exits_non_zero_on_errors(content_dir: Path, edit: Editor) -> None:
    edit("path.yaml", lambda data: data[0]["steps"][0].update(challenge="tokeniser"))
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("load_content", "--dir", str(content_dir), "--check", "--json", stdout=out)
    assert raised.value.returncode == 1
    report = json.loads(out.getvalue())
    assert report["ok"] is False and report["errors"] == 1


def test_json_needs_check() -> None:
    with pytest.raises(CommandError, match="--json goes with --check"):
        call_command("load_content", "--json")


def test_it_checks_in_well_under_a_second() -> None:
    started = time.perf_counter()
    run("--check", "--json")
    assert time.perf_counter() - started < 1.0
