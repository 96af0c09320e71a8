from __future__ import annotations

import hashlib
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    LEARNER = "learner", "Learner"
    INSTRUCTOR = "instructor", "Instructor"
    STAFF = "staff", "Staff"


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class User(AbstractUser):
    email = models.EmailField("e-mail address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.LEARNER)
    # The learner's day boundary (streaks, "today") follows this zone.
    timezone = models.CharField(max_length=64, default="UTC")
    # Bumped by every write that changes what this learner's pages show (progress.freshness):
    # the row is loaded on every signed-in request anyway, so the page cache's keys carry it
    # and no process (web or worker) ever has to delete a cache entry.
    activity_version = models.PositiveIntegerField(default=0, editable=False)
    # Set on an instance whose version this process bumped (``touch_activity``).
    activity_touched = False

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            # People type "Alice" one day and "alice" the next, and a password reset mail
            # must reach exactly one account: both are unique regardless of case.
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_ci_unique",
                violation_error_message="A user with that username already exists.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message="A user with that e-mail address already exists.",
            ),
        ]

    def touch_activity(self) -> None:
        """Bump ``activity_version`` (progress.freshness: this user's cached pages are out
        of date). Call it inside the writing transaction, after the write. This instance
        keeps its old number and is marked instead, so the request that wrote renders
        without the cache."""
        type(self).objects.filter(pk=self.pk).update(
            activity_version=models.F("activity_version") + 1
        )
        self.activity_touched = True

    @property
    def is_instructor(self) -> bool:
        return self.role in (Role.INSTRUCTOR, Role.STAFF) or self.is_staff

    @property
    def display_name(self) -> str:
        """The name rosters show: the full name where one is set, else the username."""
        return self.get_full_name() or self.username

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


TOKEN_PREFIX = "la_"


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the token is shown once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        # The prefix identifies a token to its owner without revealing it.
        return f"{self.prefix}… ({self.user.username})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        # 32 random bytes: unguessable, so a plain SHA-256 (no salt, no slow hash) is
        # enough and lets a request find its token by an indexed lookup on the digest.
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    @classmethod
    def issue(cls, user: User) -> str:
        """Issue a token for `user`, replacing any previous one."""
        token = cls.generate()
        cls.objects.update_or_create(
            user=user, defaults={"digest": cls.hash(token), "prefix": token[:8]}
        )
        return token
