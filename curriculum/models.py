"""The curriculum as loaded from content/ files. Rows are keyed by stable slugs so
re-loading edited content updates them in place and learner progress survives."""

from __future__ import annotations

import re

from django.db import models

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


class Tier(models.Model):
    slug = models.SlugField(unique=True)
    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=80)
    chapters = models.CharField(max_length=80)
    focus = models.CharField(max_length=200)

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

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.title


class Video(models.Model):
    slug = models.SlugField(unique=True)
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="videos")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=160)
    url = models.URLField()
    youtube_id = models.CharField(max_length=32)
    seconds = models.PositiveIntegerField()
    book_section = models.CharField(max_length=32)
    core = models.BooleanField(default=False)

    class Meta:
        ordering = ["challenge__number", "position"]

    def __str__(self) -> str:
        return self.title

    @property
    def has_valid_id(self) -> bool:
        return bool(YOUTUBE_ID.match(self.youtube_id))


class BuildItem(models.Model):
    class Kind(models.TextChoices):
        GRADED = "graded", "Graded by the checks"
        SELF_CHECK = "self", "Self-check"

    slug = models.SlugField(unique=True)
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="build_items")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.GRADED)

    class Meta:
        ordering = ["challenge__number", "position"]


class Card(models.Model):
    """A flashcard topic; front/back are filled by the flashcards content."""

    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=160)
    concept = models.CharField(max_length=40)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="cards")
    front = models.TextField(blank=True)
    back = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]

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


class Tip(models.Model):
    position = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=300)

    class Meta:
        ordering = ["position"]


class QuickLink(models.Model):
    position = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=120)
    url = models.URLField()

    class Meta:
        ordering = ["position"]
