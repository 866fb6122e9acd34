"""Forms of the adoption page. They parse and present; the services check rights, moves and dates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms

from catalog.insights.adoption.services import MAX_NOTE, MAX_RULE_TEXT
from catalog.insights.models import AdoptionRule, AdoptionState
from portal.plugins.api import ServiceErrorsMixin, Team


class MoveForm(ServiceErrorsMixin, forms.Form):
    """Record a team's move. `teams` are the ones this member may record for."""

    team = forms.ModelChoiceField(queryset=Team.unscoped.none(), to_field_name="slug")
    state = forms.ChoiceField(choices=AdoptionState.choices, label="New state")
    effective_at = forms.DateTimeField(
        required=False,
        label="Effective (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="Leave empty for now; a past date records what already happened.",
    )
    note = forms.CharField(required=False, max_length=MAX_NOTE)

    def __init__(self, *args: Any, teams, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean_effective_at(self) -> datetime | None:
        value = self.cleaned_data.get("effective_at")
        if value is None:
            return None
        # The page says UTC: the widget sends no offset, whatever the server's time zone is.
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class RuleForm(ServiceErrorsMixin, forms.Form):
    eligibility = forms.ChoiceField(
        choices=AdoptionRule.Eligibility.choices, widget=forms.RadioSelect, label="Eligible teams"
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.unscoped.none(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Listed teams",
        help_text="Used when only the listed teams are eligible.",
    )
    environment = forms.CharField(
        required=False,
        max_length=MAX_RULE_TEXT,
        label="Infer from deployments to environment",
        help_text="A successful deployment to this environment onboards the deploying team (any case).",
    )
    repo_topic = forms.CharField(
        required=False,
        max_length=MAX_RULE_TEXT,
        label="Infer from repository topic",
        help_text="A production deployment of a repository with this topic onboards its team.",
    )

    def __init__(self, *args: Any, teams, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = teams
