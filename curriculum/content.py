"""Read and validate the curriculum content files (curriculum/content/*.yaml).

``read(directory)`` parses every file into plain frozen dataclasses and returns them with
a list of ``Problem``s. Nothing here touches the database: curriculum/loading.py writes
what this module read, curriculum/stats.py computes the statistics from it.

Levels: an *error* makes the content unusable (a missing reference, a duplicate key, a
bad duration) and stops the load; a *warning* is worth a look but loads (a malformed
YouTube id loads the video and the page links to the playlist; the seed's path and
challenge listings disagreeing is kept as data).
"""

from __future__ import annotations

from pathlib import Path

from curriculum import parsing
from curriculum.fields import load_yaml, parse_duration, youtube_id
from curriculum.specs import (
    ANSWERS_FILE,
    CONTENT_DIR,
    REQUIRED_FILES,
    SUMMARY_FILE,
    Content,
    Problem,
)
from curriculum.validation import cross_check

__all__ = ["CONTENT_DIR", "Content", "Problem", "parse_duration", "read", "youtube_id"]


def read(directory: Path | str | None = None) -> Content:
    """Parse and validate every content file in ``directory`` (default: curriculum/content)."""
    directory = Path(directory) if directory is not None else CONTENT_DIR
    content = Content(directory=directory)
    problems = content.problems
    if not directory.is_dir():
        problems.append(Problem("-", "-", f"content directory {directory} does not exist"))
        return content
    raw = {name: load_yaml(directory, name, problems, required=True) for name in REQUIRED_FILES}
    content.tiers = parsing.tiers(raw["tiers.yaml"], problems)
    content.challenges = parsing.challenges(raw["challenges.yaml"], problems)
    content.cards = parsing.cards(raw["cards.yaml"], problems)
    content.path = parsing.path(raw["path.yaml"], problems)
    content.tips = parsing.tips(raw["tips.yaml"], problems)
    content.links = parsing.links(raw["links.yaml"], problems)
    if (directory / ANSWERS_FILE).exists():
        content.answers_present = True
        answers = load_yaml(directory, ANSWERS_FILE, problems, required=False)
        content.cards = parsing.answers(answers, content.cards, problems)
    summary = load_yaml(directory, SUMMARY_FILE, problems, required=False)
    content.seed_summary = parsing.summary(summary, problems)
    cross_check(content)
    return content
