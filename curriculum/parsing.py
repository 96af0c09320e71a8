"""Per-file parsers for the content files: every bad value becomes one Problem.

A *value* problem (a missing key, a bad duration, a duplicate slug) is found here; problems
across files (a card a challenge lists but cards.yaml lacks) are in curriculum/validation.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from curriculum.fields import (
    Sheet,
    as_list,
    describe,
    field_length,
    parse_duration,
    ranges,
    unique,
    youtube_id,
)
from curriculum.models import BuildItem, Card, Challenge, Concept, Tier, Video
from curriculum.specs import (
    ANSWERS_FILE,
    CARD_NUMBERS,
    FIXED_CHALLENGE_SLUGS,
    SUMMARY_FILE,
    BuildItemSpec,
    CardSpec,
    ChallengeSpec,
    LinkSpec,
    PathStepSpec,
    Problem,
    TierSpec,
    TipSpec,
    VideoSpec,
)

# /learn/<these>/ are pages of their own (curriculum/urls.py), so no tier may be called so.
RESERVED_TIER_SLUGS = {"path", "stats", "challenges"}


def tiers(data: Any, problems: list[Problem]) -> list[TierSpec]:
    sheet = Sheet("tiers.yaml", problems)
    tiers: list[TierSpec] = []
    for index, raw in enumerate(as_list(data, sheet), 1):
        item = f"tier {raw.get('slug', index) if isinstance(raw, dict) else index}"
        row = sheet.mapping(raw, item, {"slug", "number", "title", "chapters", "focus"})
        if row is None:
            continue
        values = (
            sheet.slug(row, "slug", item),
            sheet.integer(row, "number", item, minimum=1),
            sheet.text(row, "title", item, max_length=field_length(Tier, "title")),
            sheet.text(row, "chapters", item, max_length=field_length(Tier, "chapters")),
            sheet.text(row, "focus", item, max_length=field_length(Tier, "focus")),
        )
        if None not in values:
            tiers.append(TierSpec(*values))  # type: ignore[arg-type]
    for tier in tiers:
        if tier.slug in RESERVED_TIER_SLUGS:
            sheet.error(f"tier {tier.slug}", f"the slug is taken by the page /learn/{tier.slug}/")
    unique(sheet, [(t.slug, f"tier {t.slug}") for t in tiers], "slug")
    unique(sheet, [(t.number, f"tier {t.slug}") for t in tiers], "number")
    return tiers


def _videos(raw: Any, challenge: str, sheet: Sheet) -> list[VideoSpec]:
    videos: list[VideoSpec] = []
    if not isinstance(raw, list):
        sheet.error(f"challenge {challenge}", f"'videos' must be a list, got {describe(raw)}")
        return videos
    known = {"slug", "title", "url", "duration", "section", "core"}
    for position, entry in enumerate(raw, 1):
        slug = entry.get("slug") if isinstance(entry, dict) else None
        item = f"challenge {challenge}, video {slug or position}"
        row = sheet.mapping(entry, item, known)
        if row is None:
            continue
        slug = sheet.slug(row, "slug", item)
        title = sheet.text(row, "title", item, max_length=field_length(Video, "title"))
        url = sheet.url(row, "url", item)
        section = sheet.text(row, "section", item, max_length=field_length(Video, "book_section"))
        seconds, why = parse_duration(row.get("duration"))
        if why:
            sheet.error(item, why)
        core = sheet.flag(row, "core", item)
        if None in (slug, title, url, section, seconds):
            continue
        assert slug and title and url and section is not None and seconds
        vid, trouble = youtube_id(url)
        if trouble:
            sheet.warning(item, f"{trouble}; URL {url}")
        videos.append(VideoSpec(slug, position, title, url, vid, seconds, section, core))
    return videos


def _build_items(raw: Any, challenge: str, sheet: Sheet) -> list[BuildItemSpec]:
    items: list[BuildItemSpec] = []
    if not isinstance(raw, list):
        sheet.error(f"challenge {challenge}", f"'build' must be a list, got {describe(raw)}")
        return items
    kinds = set(BuildItem.Kind.values)
    for position, entry in enumerate(raw, 1):
        key = entry.get("key") if isinstance(entry, dict) else None
        item = f"challenge {challenge}, build item {key or position}"
        row = sheet.mapping(entry, item, {"key", "text", "kind"})
        if row is None:
            continue
        key = sheet.slug(
            row, "key", item, max_length=field_length(BuildItem, "slug") - len(challenge) - 2
        )
        text = sheet.text(row, "text", item, max_length=field_length(BuildItem, "text"))
        kind = row.get("kind")
        if kind not in kinds:
            sheet.error(item, f"'kind' must be one of {', '.join(sorted(kinds))}, got {kind!r}")
            continue
        if key and text:
            items.append(BuildItemSpec(f"{challenge}--{key}", position, text, kind))
    unique(sheet, [(i.slug, f"challenge {challenge}, build item {i.slug}") for i in items], "key")
    return items


def challenges(data: Any, problems: list[Problem]) -> list[ChallengeSpec]:
    sheet = Sheet("challenges.yaml", problems)
    challenges: list[ChallengeSpec] = []
    known = {
        "slug",
        "number",
        "tier",
        "title",
        "goal",
        "hours",
        "xp",
        "brief",
        "cards",
        "build",
        "videos",
    }
    for index, raw in enumerate(as_list(data, sheet), 1):
        slug = raw.get("slug") if isinstance(raw, dict) else None
        item = f"challenge {slug or index}"
        row = sheet.mapping(raw, item, known)
        if row is None:
            continue
        slug = sheet.slug(row, "slug", item)
        number = sheet.integer(row, "number", item, minimum=1)
        tier = sheet.slug(row, "tier", item)
        title = sheet.text(row, "title", item, max_length=field_length(Challenge, "title"))
        goal = sheet.text(row, "goal", item, max_length=field_length(Challenge, "goal"))
        brief = sheet.text(row, "brief", item, max_length=None)
        xp = sheet.integer(row, "xp", item, minimum=1, maximum=100_000)
        hours = row.get("hours")
        if (
            not isinstance(hours, list)
            or len(hours) != 2
            or any(isinstance(h, bool) or not isinstance(h, int) for h in hours)
        ):
            sheet.error(item, f"'hours' must be [min, max] in whole hours, got {hours!r}")
            hours = None
        elif not 1 <= hours[0] <= hours[1]:
            sheet.error(item, f"'hours' {hours} must have 1 ≤ min ≤ max")
            hours = None
        if brief is not None:
            paragraphs = [p for p in brief.split("\n\n") if p.strip()]
            if not 2 <= len(paragraphs) <= 4:
                sheet.warning(
                    item, f"the brief has {len(paragraphs)} paragraphs; 2-4 short ones read best"
                )
        cards = sheet.numbers(row, "cards", item)
        if slug is None:
            continue
        videos = _videos(row.get("videos", []), slug, sheet)
        build = _build_items(row.get("build", []), slug, sheet)
        if not build:
            sheet.warning(item, "has no build items")
        if None in (number, tier, title, goal, brief, xp, hours):
            continue
        assert hours is not None
        challenges.append(
            ChallengeSpec(
                slug,
                number,
                tier,
                title,
                goal,
                brief,
                hours[0],
                hours[1],
                xp,  # type: ignore[arg-type]
                cards,
                tuple(videos),
                tuple(build),
            )
        )
    unique(sheet, [(c.slug, f"challenge {c.slug}") for c in challenges], "slug")
    unique(sheet, [(c.number, f"challenge {c.slug}") for c in challenges], "number")
    unique(
        sheet,
        [(v.slug, f"challenge {c.slug}, video {v.slug}") for c in challenges for v in c.videos],
        "video slug",
    )
    ids: defaultdict[str, list[str]] = defaultdict(list)
    for challenge in challenges:
        for video in challenge.videos:
            if video.youtube_id:
                ids[video.youtube_id].append(video.slug)
    for vid, slugs in ids.items():
        if len(slugs) > 1:
            sheet.warning(
                f"video {slugs[1]}",
                f"YouTube id {vid!r} is also used by {', '.join(slugs[:1] + slugs[2:])}",
            )
    present = {c.slug for c in challenges}
    for fixed in FIXED_CHALLENGE_SLUGS:
        if fixed not in present and not _has_error(problems, f"challenge {fixed}"):
            sheet.error(
                f"challenge {fixed}",
                "this fixed challenge slug is missing (URLs, the grader and the CLI use it)",
            )
    return challenges


def _has_error(problems: list[Problem], item: str) -> bool:
    return any(p.item == item and p.level == "error" for p in problems)


def cards(data: Any, problems: list[Problem]) -> list[CardSpec]:
    sheet = Sheet("cards.yaml", problems)
    cards: list[CardSpec] = []
    present: set[int] = set()  # numbers written down, even where another field is bad
    for index, raw in enumerate(as_list(data, sheet), 1):
        number = raw.get("number") if isinstance(raw, dict) else None
        item = f"card {number if number is not None else f'#{index} in the list'}"
        row = sheet.mapping(raw, item, {"number", "title", "concept", "tier"})
        if row is None:
            continue
        number = sheet.integer(row, "number", item, minimum=1, maximum=max(CARD_NUMBERS))
        if number is not None:
            present.add(number)
        title = sheet.text(row, "title", item, max_length=field_length(Card, "title"))
        tier = sheet.slug(row, "tier", item)
        concept = row.get("concept")
        if concept not in Concept.values:
            sheet.error(
                item, f"'concept' must be one of {', '.join(Concept.values)}, got {concept!r}"
            )
            concept = None
        if None not in (number, title, tier, concept):
            cards.append(CardSpec(number, title, concept, tier))  # type: ignore[arg-type]
    counts = Counter(c.number for c in cards)
    for number, count in sorted(counts.items()):
        if count > 1:
            sheet.error(
                f"card {number}",
                f"card number {number} appears {count} times; each number exactly once",
            )
    missing = [n for n in CARD_NUMBERS if n not in present]
    if missing:
        sheet.error(
            "cards", f"card numbers missing: {ranges(missing)} (every number 1-50 exactly once)"
        )
    return cards


def answers(data: Any, cards: list[CardSpec], problems: list[Problem]) -> list[CardSpec]:
    sheet = Sheet(ANSWERS_FILE, problems)
    known_numbers = {c.number for c in cards}
    answers: dict[int, tuple[str, str]] = {}
    for index, raw in enumerate(as_list(data, sheet), 1):
        number = raw.get("number") if isinstance(raw, dict) else None
        item = f"card {number if number is not None else f'#{index} in the list'}"
        row = sheet.mapping(raw, item, {"number", "front", "back"})
        if row is None:
            continue
        number = sheet.integer(row, "number", item, minimum=1, maximum=max(CARD_NUMBERS))
        front = sheet.text(row, "front", item, max_length=None)
        back = sheet.text(row, "back", item, max_length=None)
        if number is None or front is None or back is None:
            continue
        if number in answers:
            sheet.error(item, f"card {number} is answered more than once")
            continue
        if number not in known_numbers:
            sheet.error(item, f"card {number} is not in cards.yaml")
            continue
        answers[number] = (front, back)
    unanswered = sorted(known_numbers - set(answers))
    if unanswered and answers:
        sheet.warning("cards", f"no answer yet for cards {ranges(unanswered)}")
    return [
        CardSpec(c.number, c.title, c.concept, c.tier, *answers[c.number])
        if c.number in answers
        else c
        for c in cards
    ]


def path(data: Any, problems: list[Problem]) -> list[PathStepSpec]:
    sheet = Sheet("path.yaml", problems)
    steps: list[PathStepSpec] = []
    position = 0
    for index, raw in enumerate(as_list(data, sheet), 1):
        weeks_value = raw.get("weeks") if isinstance(raw, dict) else None
        week_item = f"weeks {weeks_value or index}"
        week = sheet.mapping(raw, week_item, {"weeks", "tier", "steps"})
        if week is None:
            continue
        weeks = sheet.day_range(week, "weeks", week_item)
        tier = sheet.slug(week, "tier", week_item)
        raw_steps = week.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            sheet.error(week_item, "'steps' must be a non-empty list")
            continue
        if weeks is None or tier is None:
            continue
        label = f"Week {weeks[0]}" if weeks[0] == weeks[1] else f"Weeks {weeks[0]}–{weeks[1]}"
        for entry in raw_steps:
            days_value = entry.get("days") if isinstance(entry, dict) else None
            item = f"{week_item}, days {days_value}"
            row = sheet.mapping(entry, item, {"days", "challenge", "cards", "critical"})
            if row is None:
                continue
            days = sheet.day_range(row, "days", item)
            challenge = sheet.slug(row, "challenge", item)
            cards = sheet.numbers(row, "cards", item)
            critical = sheet.flag(row, "critical", item)
            if days is None or challenge is None:
                continue
            position += 1
            steps.append(
                PathStepSpec(
                    position, label, weeks[1], tier, days[0], days[1], challenge, cards, critical
                )
            )
    previous: PathStepSpec | None = None
    for step in steps:
        if previous is not None:
            if step.day_start <= previous.day_end:
                sheet.error(
                    f"{step.week_label}, {step.days_label}",
                    f"days must increase: {step.days_label} starts on or before the end "
                    f"of the previous step ({previous.days_label})",
                )
            elif step.day_start > previous.day_end + 1:
                sheet.warning(
                    f"{step.week_label}, {step.days_label}",
                    f"days {previous.day_end + 1}–{step.day_start - 1} have no step",
                )
            if step.week_end < previous.week_end:
                sheet.error(f"{step.week_label}", "weeks must increase")
        previous = step
    if steps and steps[0].day_start != 1:
        sheet.warning(
            f"{steps[0].week_label}, {steps[0].days_label}", "the path does not start on day 1"
        )
    return steps


def tips(data: Any, problems: list[Problem]) -> list[TipSpec]:
    sheet = Sheet("tips.yaml", problems)
    tips: list[TipSpec] = []
    for position, raw in enumerate(as_list(data, sheet), 1):
        item = f"tip {position}"
        row = sheet.mapping(raw, item, {"title", "body"})
        if row is None:
            continue
        title = sheet.text(row, "title", item, max_length=120)
        body = sheet.text(row, "body", item, max_length=300)
        if title and body:
            tips.append(TipSpec(position, title, body))
    return tips


def links(data: Any, problems: list[Problem]) -> list[LinkSpec]:
    sheet = Sheet("links.yaml", problems)
    links: list[LinkSpec] = []
    for position, raw in enumerate(as_list(data, sheet), 1):
        item = f"link {position}"
        row = sheet.mapping(raw, item, {"title", "url"})
        if row is None:
            continue
        title = sheet.text(row, "title", item, max_length=120)
        url = sheet.url(row, "url", item)
        if title and url:
            links.append(LinkSpec(position, title, url))
    return links


def summary(data: Any, problems: list[Problem]) -> list[dict[str, Any]]:
    """The seed's claims, loosely checked: a bad claim is a warning, never blocks a load."""
    sheet = Sheet(SUMMARY_FILE, problems)
    if data is None:
        return []
    claims = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(claims, list):
        sheet.warning(
            "-", "expected a mapping with a 'claims' list; the seed comparison is skipped"
        )
        return []
    usable: list[dict[str, Any]] = []
    for index, claim in enumerate(claims, 1):
        if not isinstance(claim, dict) or not {"stat", "value", "text"} <= set(claim):
            sheet.warning(f"claim {index}", "needs 'stat', 'value' and 'text'; skipped")
            continue
        usable.append(claim)
    return usable
