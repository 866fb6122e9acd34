"""Forms of the survey pages. They parse and present; the services validate and write."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from catalog.insights.surveys.services import MAX_TEXT, QUESTIONS
from portal.plugins.api import ServiceErrorsMixin

SCORE_LABELS = {0: "0 - not at all likely", 10: "10 - extremely likely"}
SCORE_CHOICES = [(str(n), SCORE_LABELS.get(n, str(n))) for n in range(11)]
DEFAULT_DURATION = timedelta(days=14)


class OpenRoundForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(max_length=200, help_text="e.g. “Q3 2025”: shown to the people you invite.")
    closes_at = forms.DateTimeField(
        label="Closes at (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Between an hour and 92 days from now. One reminder goes out halfway.",
    )

    @classmethod
    def blank(cls) -> OpenRoundForm:
        closes = (timezone.now() + DEFAULT_DURATION).replace(second=0, microsecond=0)
        return cls(initial={"closes_at": closes})


class AnswerForm(ServiceErrorsMixin, forms.Form):
    """The NPS question (0-10 radio buttons, rendered in a fieldset) and the four open questions."""

    score = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect)
    experience = forms.CharField(
        required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    likes = forms.CharField(required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    dislikes = forms.CharField(required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    improve = forms.CharField(required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, capability_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.label = QUESTIONS[name].format(name=capability_name)
        self.fields["score"].error_messages["required"] = "Choose a score from 0 to 10."

    @staticmethod
    def initial_for(answer: Any) -> dict[str, Any]:
        if answer is None:
            return {}
        return {f: getattr(answer, f) for f in ("score", "experience", "likes", "dislikes", "improve")}
