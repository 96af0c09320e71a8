from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, RegexValidator

from flashcards.models import ReviewSettings
from flashcards.reviews import TOKEN


class RatingForm(forms.Form):
    """One press of Again/Hard/Good/Easy, as the review card's form posts it."""

    card = forms.IntegerField(
        min_value=1, error_messages={"required": "Which card? Reload the page."}
    )
    rating = forms.TypedChoiceField(
        coerce=int,
        choices=[(1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy")],
        error_messages={
            "required": "Choose Again (1), Hard (2), Good (3) or Easy (4).",
            "invalid_choice": "Choose Again (1), Hard (2), Good (3) or Easy (4).",
        },
    )
    token = forms.CharField(
        validators=[RegexValidator(TOKEN, "This card's form is damaged; reload the page.")],
        error_messages={"required": "This card's form is incomplete; reload the page."},
    )
    reps = forms.IntegerField(min_value=0)
    duration = forms.IntegerField(min_value=0, required=False)


class UndoForm(forms.Form):
    review = forms.IntegerField(min_value=1, error_messages={"required": "Which review? Reload."})


class ReviewSettingsForm(forms.ModelForm):
    """Desired retention is edited as a whole percentage (90), stored as a fraction (0.9)."""

    retention_percent = forms.IntegerField(
        label="Desired retention (%)",
        min_value=round(ReviewSettings.MIN_RETENTION * 100),
        max_value=round(ReviewSettings.MAX_RETENTION * 100),
        help_text=(
            "How likely you want to be to remember a card when it comes due. Higher means "
            "more reviews for each card; 90% is FSRS's default, 80–95% is the useful range."
        ),
    )

    field_order = ["retention_percent", "new_per_day"]

    class Meta:
        model = ReviewSettings
        fields = ["new_per_day"]
        labels = {"new_per_day": "New cards per day"}
        help_texts = {
            "new_per_day": "Cards introduced each day from the challenges you have reached (0–50)."
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["new_per_day"].widget.attrs.update(min=0, max=ReviewSettings.MAX_NEW_PER_DAY)
        self.fields["new_per_day"].validators.append(
            MaxValueValidator(ReviewSettings.MAX_NEW_PER_DAY)
        )
        if not self.is_bound:
            self.initial["retention_percent"] = round(self.instance.desired_retention * 100)

    def save(self, commit: bool = True) -> ReviewSettings:
        self.instance.desired_retention = self.cleaned_data["retention_percent"] / 100
        return super().save(commit=commit)
