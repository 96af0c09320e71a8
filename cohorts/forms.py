from __future__ import annotations

from django import forms

from cohorts.membership import NAME_MAX_LENGTH


class CohortForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="Learners see this name when they join, e.g. “LLMs from scratch — spring 2026”.",
    )
    # One-time token of this form: the same token twice creates one cohort, not two.
    creation_token = forms.UUIDField(widget=forms.HiddenInput)


class JoinForm(forms.Form):
    code = forms.CharField(
        label="Join code",
        max_length=64,
        help_text="The 8-character code from your instructor; case and dashes don’t matter.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class CodeActionForm(forms.Form):
    """Revoke or regenerate: carries the code the instructor saw, to spot replays."""

    code = forms.CharField(max_length=64, widget=forms.HiddenInput)


class AddInstructorForm(forms.Form):
    username = forms.CharField(
        label="Co-instructor’s username",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
