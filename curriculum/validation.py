"""Checks across content files: every reference resolves, and where the seed's path and
challenge listings disagree about a card, both are kept and the difference is reported."""

from __future__ import annotations

from collections import defaultdict

from curriculum.fields import Sheet
from curriculum.specs import ChallengeSpec, Content, PathStepSpec


def cross_check(content: Content) -> None:
    problems = content.problems
    tiers = {t.slug for t in content.tiers}
    challenges = {c.slug: c for c in content.challenges}
    cards = {c.number: c for c in content.cards}
    challenge_sheet = Sheet("challenges.yaml", problems)
    card_sheet = Sheet("cards.yaml", problems)
    path_sheet = Sheet("path.yaml", problems)

    listed_by: defaultdict[int, list[ChallengeSpec]] = defaultdict(list)
    for challenge in content.challenges:
        if challenge.tier not in tiers:
            challenge_sheet.error(
                f"challenge {challenge.slug}", f"tier {challenge.tier!r} is not in tiers.yaml"
            )
        for number in challenge.cards:
            if number not in cards:
                challenge_sheet.error(
                    f"challenge {challenge.slug}", f"key card {number} is not in cards.yaml"
                )
            listed_by[number].append(challenge)

    tier_of = {c.slug: c.tier for c in content.challenges}
    for card in content.cards:
        item = f"card {card.number}"
        if card.tier not in tiers:
            card_sheet.error(item, f"tier {card.tier!r} is not in tiers.yaml")
        owners = listed_by.get(card.number, [])
        if not owners:
            card_sheet.warning(item, "no challenge lists it as a key card")
        elif len(owners) > 1:
            card_sheet.warning(
                item,
                f"is a key card of {len(owners)} challenges: {', '.join(c.slug for c in owners)}",
            )
        owner_tiers = {tier_of[c.slug] for c in owners}
        if owners and card.tier not in owner_tiers:
            card_sheet.warning(
                item,
                f"tier {card.tier!r} differs from the tier of {owners[0].slug} "
                f"({owners[0].tier!r}), which lists it",
            )

    reviewed_in: defaultdict[int, list[PathStepSpec]] = defaultdict(list)
    for step in content.path:
        item = f"{step.week_label}, {step.days_label}"
        if step.tier not in tiers:
            path_sheet.error(item, f"tier {step.tier!r} is not in tiers.yaml")
        challenge = challenges.get(step.challenge)
        if challenge is None:
            path_sheet.error(item, f"challenge {step.challenge!r} is not in challenges.yaml")
        elif challenge.tier != step.tier:
            path_sheet.warning(
                item, f"{step.challenge} belongs to tier {challenge.tier!r}, not {step.tier!r}"
            )
        for number in step.cards:
            if number not in cards:
                path_sheet.error(item, f"card {number} is not in cards.yaml")
            reviewed_in[number].append(step)
    on_path = {s.challenge for s in content.path}
    for slug in challenges:
        if content.path and slug not in on_path:
            path_sheet.warning(f"challenge {slug}", "is on no day of the path")

    # Where the path and the challenge listings disagree about a card, keep both and say so.
    for number in sorted(cards):
        owners = {c.slug for c in listed_by.get(number, [])}
        steps = reviewed_in.get(number, [])
        step_challenges = {s.challenge for s in steps}
        if not steps:
            if content.path:
                path_sheet.warning(f"card {number}", "is reviewed on no day of the path")
            continue
        if step_challenges != owners or len(steps) > 1:
            where = " and ".join(f"{s.challenge} ({s.days_label})" for s in steps)
            key_of = (
                f"a key card of {', '.join(sorted(owners))}"
                if owners
                else "a key card of no challenge"
            )
            path_sheet.warning(
                f"card {number}", f"is {key_of}, but the path reviews it with {where}"
            )
