"""The start-date form of the learning plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.formats import date_format

from progress.models import LearningPlan
from progress.plan import start_date_bounds


class PlanForm(forms.Form):
    start_date = forms.DateField(
        label="Start date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The day you begin day 1 of the path.",
        error_messages={
            "required": "Choose the date you start (or started) the path.",
            "invalid": "Enter a date as YYYY-MM-DD, for example 2026-01-05.",
        },
    )
    study_days = forms.ChoiceField(
        label="Study days",
        choices=LearningPlan.StudyDays.choices,
        initial=LearningPlan.StudyDays.WEEKDAYS,
        help_text="Monday to Friday keeps weekends free; every day finishes sooner.",
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        earliest, latest = start_date_bounds(today)
        self.fields["start_date"].widget.attrs.update(
            {"min": earliest.isoformat(), "max": latest.isoformat()}
        )

    def clean_start_date(self) -> date:
        value: date = self.cleaned_data["start_date"]
        earliest, latest = start_date_bounds(self.today)
        if not earliest <= value <= latest:
            raise forms.ValidationError(
                "Choose a start date within a year of today: between %(earliest)s and %(latest)s.",
                code="out_of_range",
                params={
                    "earliest": date_format(earliest, "j F Y"),
                    "latest": date_format(latest, "j F Y"),
                },
            )
        return value
