"""Write validated content to the database: an idempotent upsert in one transaction.

Rows are keyed by what the content keeps stable (tier, challenge, video and build item
slugs, card numbers, path/tip/link positions), so a second run changes nothing and an
edited file updates rows in place: VideoWatch, BuildItemCheck, submissions and flashcard
state keep pointing at the same rows.

A row the content no longer lists is deleted when nothing refers to it, and otherwise
kept with ``retired=True`` (pages and statistics leave it out) and reported -- a learner's
watched video or a submission is never deleted behind their back. Listing it again in
the content brings it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import models, transaction

from curriculum.models import (
    BuildItem,
    Card,
    Challenge,
    PathStep,
    QuickLink,
    Tier,
    Tip,
    Video,
)
from curriculum.specs import Content, Problem

Action = Literal["created", "updated", "deleted", "retired", "restored"]
ACTIONS: tuple[Action, ...] = ("created", "updated", "deleted", "retired", "restored")


class ContentError(Exception):
    """The content has errors; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"the content has {len(problems)} error(s); nothing was loaded")


@dataclass(frozen=True)
class Change:
    model: str
    key: str
    action: Action
    detail: str = ""

    def __str__(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.action} {self.model} {self.key}{detail}"


@dataclass
class LoadReport:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        """ "0 created, 0 updated, 0 deleted, 0 retired, 0 restored (151 unchanged)"."""
        counts = ", ".join(f"{self.count(a)} {a}" for a in ACTIONS)
        return f"{counts} ({self.unchanged} unchanged)"


class _Writer:
    """Upserts rows of one load and records what changed."""

    def __init__(self, report: LoadReport) -> None:
        self.report = report
        self.created: set[int] = set()  # id() of rows created in this load

    def upsert(
        self,
        existing: dict[Any, models.Model],
        model: type[models.Model],
        key_field: str,
        key: Any,
        values: dict[str, Any],
    ) -> models.Model:
        name = model._meta.model_name or model.__name__
        obj = existing.get(key)
        if obj is None:
            obj = model.objects.create(**{key_field: key}, **values)
            existing[key] = obj
            self.created.add(id(obj))
            self.report.changes.append(Change(name, str(key), "created"))
            return obj
        changed = [f for f, v in values.items() if _differs(obj, f, v)]
        if getattr(obj, "retired", False):
            values = {**values, "retired": False}
            changed.append("retired")
        if changed:
            for name_ in changed:
                setattr(obj, name_, values[name_])
            obj.save(update_fields=changed)
            action: Action = "restored" if "retired" in changed else "updated"
            fields = ", ".join(f for f in changed if f != "retired")
            self.report.changes.append(Change(name, str(key), action, fields))
        else:
            self.report.unchanged += 1
        return obj

    def set_m2m(
        self,
        obj: models.Model,
        attr: str,
        wanted: Iterable[models.Model],
        key: str,
        *,
        record: bool = True,
    ) -> None:
        manager = getattr(obj, attr)
        wanted_ids = {o.pk for o in wanted}
        # .all() uses the prefetched rows where the caller prefetched them.
        current_ids = {o.pk for o in manager.all()}
        if wanted_ids != current_ids:
            manager.set(wanted_ids)
            # A row created in this load already counts as created, not also as updated.
            if record and id(obj) not in self.created:
                name = obj._meta.model_name or ""
                self.report.changes.append(Change(name, key, "updated", attr))

    def remove(self, obj: models.Model, key: str) -> None:
        """Delete a row the content dropped, or retire it when anything refers to it."""
        name = obj._meta.model_name or ""
        refs = _references(obj)
        if not refs:
            obj.delete()
            self.report.changes.append(Change(name, key, "deleted"))
        elif not getattr(obj, "retired", False):
            obj.retired = True  # type: ignore[attr-defined]
            obj.save(update_fields=["retired"])
            self.report.changes.append(
                Change(name, key, "retired", f"kept: referenced by {', '.join(refs)}")
            )
        # Already retired and still referenced: nothing to do, and nothing to report.


def _differs(obj: models.Model, name: str, value: Any) -> bool:
    if isinstance(value, models.Model):
        # Compare the foreign key's id: reading obj.<fk> would cost a query per row.
        return getattr(obj, f"{name}_id") != value.pk
    return getattr(obj, name) != value


def _references(obj: models.Model) -> list[str]:
    """What still points at ``obj`` ("3 progress.videowatch"), curriculum M2M links aside."""
    refs: list[str] = []
    for relation in obj._meta.related_objects:
        if relation.many_to_many:
            # Challenge.cards / PathStep.cards: content-defined links, not progress.
            continue
        count = relation.related_model._default_manager.filter(**{relation.field.name: obj}).count()
        if count:
            refs.append(f"{count} {relation.related_model._meta.label_lower}")
    return refs


def _free_numbers(model: type[Tier] | type[Challenge], targets: dict[str, int]) -> None:
    """Move rows out of the way of the unique ``number`` another row is about to take."""
    rows = list(model.objects.all())
    wanted = set(targets.values())
    movers = [r for r in rows if r.number in wanted and targets.get(r.slug) != r.number]
    if movers:
        spare = max([r.number for r in rows] + list(wanted)) + 1
        for offset, row in enumerate(movers):
            row.number = spare + offset
            row.save(update_fields=["number"])


@transaction.atomic
def load(*, content: Content) -> LoadReport:
    """Upsert ``content`` (already read and validated) into the database."""
    if content.errors:
        raise ContentError(content.errors)
    report = LoadReport()
    writer = _Writer(report)

    _free_numbers(Tier, {t.slug: t.number for t in content.tiers})
    tiers: dict[Any, models.Model] = {t.slug: t for t in Tier.objects.all()}
    for spec in content.tiers:
        writer.upsert(
            tiers,
            Tier,
            "slug",
            spec.slug,
            {
                "number": spec.number,
                "title": spec.title,
                "chapters": spec.chapters,
                "focus": spec.focus,
            },
        )

    cards: dict[Any, models.Model] = {c.number: c for c in Card.objects.all()}
    for card in content.cards:
        values: dict[str, Any] = {
            "title": card.title,
            "concept": card.concept,
            "tier": tiers[card.tier],
        }
        if card.front is not None and card.back is not None:
            values |= {"front": card.front, "back": card.back}
        writer.upsert(cards, Card, "number", card.number, values)

    _free_numbers(Challenge, {c.slug: c.number for c in content.challenges})
    challenges: dict[Any, models.Model] = {
        c.slug: c for c in Challenge.objects.prefetch_related("cards")
    }
    videos: dict[Any, models.Model] = {v.slug: v for v in Video.objects.all()}
    items: dict[Any, models.Model] = {i.slug: i for i in BuildItem.objects.all()}
    for spec in content.challenges:
        challenge = writer.upsert(
            challenges,
            Challenge,
            "slug",
            spec.slug,
            {
                "number": spec.number,
                "tier": tiers[spec.tier],
                "title": spec.title,
                "goal": spec.goal,
                "brief": spec.brief,
                "hours_min": spec.hours_min,
                "hours_max": spec.hours_max,
                "xp": spec.xp,
            },
        )
        writer.set_m2m(challenge, "cards", [cards[n] for n in spec.cards], spec.slug)
        for video in spec.videos:
            writer.upsert(
                videos,
                Video,
                "slug",
                video.slug,
                {
                    "challenge": challenge,
                    "position": video.position,
                    "title": video.title,
                    "url": video.url,
                    "youtube_id": video.youtube_id,
                    "seconds": video.seconds,
                    "book_section": video.book_section,
                    "core": video.core,
                },
            )
        for item in spec.build_items:
            writer.upsert(
                items,
                BuildItem,
                "slug",
                item.slug,
                {
                    "challenge": challenge,
                    "position": item.position,
                    "text": item.text,
                    "kind": item.kind,
                },
            )

    steps: dict[Any, models.Model] = {
        s.position: s for s in PathStep.objects.prefetch_related("cards")
    }
    for step in content.path:
        row = writer.upsert(
            steps,
            PathStep,
            "position",
            step.position,
            {
                "week_label": step.week_label,
                "day_start": step.day_start,
                "day_end": step.day_end,
                "challenge": challenges[step.challenge],
                "critical": step.critical,
            },
        )
        writer.set_m2m(row, "cards", [cards[n] for n in step.cards], f"{step.position}")
    tips: dict[Any, models.Model] = {t.position: t for t in Tip.objects.all()}
    for tip in content.tips:
        writer.upsert(tips, Tip, "position", tip.position, {"title": tip.title, "body": tip.body})
    links: dict[Any, models.Model] = {q.position: q for q in QuickLink.objects.all()}
    for link in content.links:
        writer.upsert(
            links, QuickLink, "position", link.position, {"title": link.title, "url": link.url}
        )

    # Removals, dependants first so a parent is only deleted once its children are gone.
    _remove(writer, steps, {s.position for s in content.path})
    _remove(writer, tips, {t.position for t in content.tips})
    _remove(writer, links, {q.position for q in content.links})
    _remove(writer, items, {i.slug for c in content.challenges for i in c.build_items})
    _remove(writer, videos, {v.slug for c in content.challenges for v in c.videos})
    kept_challenges = {c.slug for c in content.challenges}
    for slug, challenge in challenges.items():
        if slug not in kept_challenges:
            writer.set_m2m(challenge, "cards", [], slug, record=False)
    _remove(writer, challenges, kept_challenges)
    _remove(writer, cards, {c.number for c in content.cards})
    _remove(writer, tiers, {t.slug for t in content.tiers})
    return report


def _remove(writer: _Writer, rows: dict[Any, models.Model], keep: set[Any]) -> None:
    for key, obj in list(rows.items()):
        if key not in keep:
            writer.remove(obj, str(key))
