"""The curriculum as loaded from content/ files. Rows are keyed by stable slugs so
re-loading edited content updates them in place and learner progress survives.

Rows the content no longer lists but learner progress still refers to are kept with
``retired=True`` (see curriculum/loading.py): pages and statistics use ``current()``.
"""

from __future__ import annotations

import re

from django.db import models

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
NOCOOKIE_EMBED = "https://www.youtube-nocookie.com/embed/{id}"


class Concept(models.TextChoices):
    """The seven concepts a flashcard can teach (the seed's "By Concept Coverage")."""

    TOKENIZATION = "tokenization", "Tokenization"
    EMBEDDINGS = "embeddings", "Embeddings"
    ATTENTION = "attention", "Attention"
    ARCHITECTURE = "architecture", "Architecture"
    TRAINING = "training", "Training"
    GENERATION = "generation", "Generation"
    FINE_TUNING = "fine-tuning", "Fine-tuning"


class CurrentQuerySet(models.QuerySet):
    def current(self) -> CurrentQuerySet:
        """Rows the content files list now (not retired)."""
        return self.filter(retired=False)


class Tier(models.Model):
    slug = models.SlugField(unique=True)
    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=80)
    chapters = models.CharField(max_length=80)
    focus = models.CharField(max_length=200)
    retired = models.BooleanField(default=False)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.title


class Challenge(models.Model):
    slug = models.SlugField(unique=True)
    number = models.PositiveSmallIntegerField(unique=True)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="challenges")
    title = models.CharField(max_length=120)
    goal = models.CharField(max_length=240)
    brief = models.TextField(blank=True)  # Markdown-free plain paragraphs, our own words
    hours_min = models.PositiveSmallIntegerField()
    hours_max = models.PositiveSmallIntegerField()
    xp = models.PositiveIntegerField()
    cards = models.ManyToManyField("Card", related_name="challenges", blank=True)
    retired = models.BooleanField(default=False)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours_min__gte=1, hours_min__lte=models.F("hours_max")),
                name="challenge_hours_range",
            ),
            models.CheckConstraint(condition=models.Q(xp__gt=0), name="challenge_xp_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def brief_paragraphs(self) -> list[str]:
        return [p.strip() for p in self.brief.split("\n\n") if p.strip()]


class Video(models.Model):
    slug = models.SlugField(unique=True)
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="videos")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=160)
    url = models.URLField()
    youtube_id = models.CharField(max_length=32, blank=True)
    seconds = models.PositiveIntegerField()
    book_section = models.CharField(max_length=32)
    core = models.BooleanField(default=False)
    retired = models.BooleanField(default=False)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ["challenge__number", "position"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seconds__gt=0), name="video_seconds_positive")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_valid_id(self) -> bool:
        return bool(YOUTUBE_ID.match(self.youtube_id))

    @property
    def embed_url(self) -> str:
        """The privacy-enhanced player, or "" when the id is malformed (link the playlist)."""
        return NOCOOKIE_EMBED.format(id=self.youtube_id) if self.has_valid_id else ""


class BuildItem(models.Model):
    class Kind(models.TextChoices):
        GRADED = "graded", "Graded by the checks"
        SELF_CHECK = "self", "Self-check"

    # "<challenge slug>--<item key>": the key is stable, so editing the text keeps ticks.
    slug = models.SlugField(unique=True)
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="build_items")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.GRADED)
    retired = models.BooleanField(default=False)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ["challenge__number", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["graded", "self"]), name="builditem_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_self_check(self) -> bool:
        return self.kind == self.Kind.SELF_CHECK


class Card(models.Model):
    """A flashcard topic; front/back are filled by the flashcards content."""

    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=160)
    concept = models.CharField(max_length=40, choices=Concept.choices)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="cards")
    front = models.TextField(blank=True)
    back = models.TextField(blank=True)
    retired = models.BooleanField(default=False)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(concept__in=Concept.values), name="card_concept_valid"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"


class PathStep(models.Model):
    """One block of the recommended learning path: days N–M on one challenge."""

    position = models.PositiveSmallIntegerField(unique=True)
    week_label = models.CharField(max_length=40)
    day_start = models.PositiveSmallIntegerField()
    day_end = models.PositiveSmallIntegerField()
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="path_steps")
    cards = models.ManyToManyField(Card, related_name="path_steps", blank=True)
    critical = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day_start__gte=1, day_start__lte=models.F("day_end")),
                name="pathstep_day_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.days_label}: {self.challenge}"

    @property
    def length(self) -> int:
        return self.day_end - self.day_start + 1

    @property
    def days_label(self) -> str:
        if self.day_start == self.day_end:
            return f"Day {self.day_start}"
        return f"Days {self.day_start}–{self.day_end}"


class Tip(models.Model):
    position = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=300)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title


class QuickLink(models.Model):
    position = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=120)
    url = models.URLField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title
