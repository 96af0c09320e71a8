from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from accounts.models import User

# The IANA areas people live in; the aliases outside them (US/Eastern, Etc/GMT+5, EST…)
# still validate but are not offered.
_AREAS = (
    "Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian",
    "Pacific",
)  # fmt: skip

ChoiceGroups = list[tuple[str, Any]]


@cache
def timezone_choices() -> ChoiceGroups:
    """UTC first, then the zones grouped by area: "Europe" → "Europe/Berlin" shown as "Berlin"."""
    groups: dict[str, list[tuple[str, str]]] = {area: [] for area in _AREAS}
    for name in sorted(zoneinfo.available_timezones()):
        area, _, place = name.partition("/")
        if area in groups and place:
            groups[area].append((name, place.replace("_", " ").replace("/", " / ")))
    return [("UTC", "UTC"), *((area, zones) for area, zones in groups.items())]


class TimezoneField(forms.ChoiceField):
    """A select of the common zones that accepts every zone Python knows."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", timezone_choices)
        kwargs.setdefault("initial", "UTC")
        kwargs.setdefault("label", "Time zone")
        kwargs.setdefault(
            "help_text", "Your day (streaks, what is due today) starts at midnight here."
        )
        super().__init__(**kwargs)

    def valid_value(self, value: Any) -> bool:
        return value in zoneinfo.available_timezones() or super().valid_value(value)

    def with_current(self, current: str) -> None:
        # An account created with an alias (by the admin, say) keeps it selectable.
        if current and not super().valid_value(current):
            self.choices = [(current, current), *timezone_choices()]


class SignupForm(UserCreationForm):  # type: ignore[type-arg]
    timezone = TimezoneField()

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "timezone")

    field_order = ["username", "email", "password1", "password2", "timezone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = "For password resets only; never shown to others."
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        if not self.is_bound:
            # static/js/timezone-guess.js preselects the browser's zone on a fresh form only,
            # never over a choice the visitor made before a validation error.
            self.fields["timezone"].widget.attrs["data-guess-timezone"] = "true"

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                "That username is taken. Please choose another one.", code="unique"
            )
        return username

    def clean_email(self) -> str:
        email = BaseUserManager.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail address already exists. "
                "Log in, or reset your password if you have forgotten it.",
                code="unique",
            )
        return email


class LoginForm(AuthenticationForm):
    """Log in with the username or the e-mail address, in any letter case."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username or e-mail"

    def clean(self) -> dict[str, Any]:
        identifier = (self.cleaned_data.get("username") or "").strip()
        if identifier:
            lookup = "email__iexact" if "@" in identifier else "username__iexact"
            username = (
                User.objects.filter(**{lookup: identifier})
                .values_list("username", flat=True)
                .first()
            )
            # Unknown identifiers pass through unchanged and fail like a wrong password.
            self.cleaned_data["username"] = username or identifier
        return super().clean()


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    timezone = TimezoneField()

    class Meta:
        model = User
        fields = ("email", "timezone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        timezone_field = self.fields["timezone"]
        assert isinstance(timezone_field, TimezoneField)
        timezone_field.with_current(self.instance.timezone)

    def clean_email(self) -> str:
        email = BaseUserManager.normalize_email(self.cleaned_data["email"])
        others = User.objects.exclude(pk=self.instance.pk)
        if others.filter(email__iexact=email).exists():
            raise forms.ValidationError("Another account uses this e-mail address.", code="unique")
        return email
