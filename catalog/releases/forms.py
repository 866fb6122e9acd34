"""Forms of the release and status pages. They parse and present; the services validate and write."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from catalog.models import Capability, Status
from catalog.releases.models import Release, ReleaseKind, ReleaseState
from catalog.releases.services import TEXT_FIELDS
from portal.plugins.api import ServiceErrorsMixin

SHIPS_HELP = "Feature requests this release ships, e.g. #12, #15. Their voters and followers hear about it."
PUBLISH_AT_HELP = (
    "Optional, in UTC: the release goes out automatically at that time (Schedule). Empty: it stays a draft "
    "until you publish it."
)
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def publish_at_field(**kwargs: Any) -> forms.DateTimeField:
    """A date and time in UTC (TIME_ZONE is UTC, so a naive browser value is read as UTC, as labelled)."""
    return forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=DATETIME_FORMATS,
        **kwargs,
    )


NUMBER_RE = re.compile(r"#?(\S+)")


def parse_request_numbers(text: str) -> list[int]:
    """`"#12, 15 #3"` -> [3, 12, 15]; anything that is not a positive number is a form error."""
    numbers = []
    for token in NUMBER_RE.findall(text.replace(",", " ")):
        if not token.isdigit() or int(token) <= 0:
            raise ValidationError(f"'{token}' is not a request number; write them like #12, #15.")
        numbers.append(int(token))
    return sorted(set(numbers))


class ReleaseForm(ServiceErrorsMixin, forms.Form):
    service_fields = {"ships_request_numbers": "ships", "scheduled_for": "publish_at"}

    capability = forms.ModelChoiceField(queryset=Capability.unscoped.none(), to_field_name="slug")
    version = forms.CharField(max_length=64, help_text="e.g. 1.4.0, 2025.06 or v3")
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ReleaseKind.choices, initial=ReleaseKind.FEATURE)
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), required=False, max_length=50_000, help_text="Markdown."
    )
    upgrade_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=20_000,
        help_text="Markdown. Required for breaking changes: what must people change?",
    )
    ships = forms.CharField(required=False, max_length=500, label="Ships requests", help_text=SHIPS_HELP)
    publish_at = publish_at_field(required=False, label="Publish at (UTC)", help_text=PUBLISH_AT_HELP)

    def __init__(self, *args: Any, capabilities, release: Release | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["capability"].queryset = capabilities
        if release is not None and release.state == ReleaseState.PUBLISHED:
            # Published: the announcement went out; only the wording may be corrected.
            for name in list(self.fields):
                if name not in TEXT_FIELDS:
                    del self.fields[name]

    def clean_ships(self) -> list[int]:
        return parse_request_numbers(self.cleaned_data.get("ships") or "")

    def service_data(self) -> dict[str, Any]:
        """The release's fields for `release_create`/`release_update` (the publish time is not one)."""
        data = dict(self.cleaned_data)
        data.pop("publish_at", None)
        if "ships" in data:
            data["ships_request_numbers"] = data.pop("ships")
        return data

    @staticmethod
    def initial_for(release: Release) -> dict[str, Any]:
        return {
            "capability": release.capability.slug,
            "version": release.version,
            "title": release.title,
            "kind": release.kind,
            "notes": release.notes,
            "upgrade_notes": release.upgrade_notes,
            "ships": ", ".join(f"#{n}" for n in release.ships_request_numbers),
            "publish_at": release.scheduled_for,
        }


class ScheduleForm(forms.Form):
    scheduled_for = publish_at_field(label="Publish at (UTC)")


class StatusUpdateForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Choose…"), *Status.choices], required=False, help_text="Leave it when resolving."
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5_000,
        help_text="Markdown. What is affected, what people should do, when you will post again.",
    )
    resolved = forms.BooleanField(
        required=False, label="Resolved: the capability is operational again (closes the incident)"
    )
    # One token per rendered form: posting the same form twice (a double click) posts one update.
    submission_key = forms.UUIDField(
        widget=forms.HiddenInput,
        required=False,
        error_messages={"invalid": "This form is out of date: reload the page and post again."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())


class ChangelogFilterForm(forms.Form):
    """The changelog filter; its state lives in the URL (`?kind=breaking&kind=security`)."""

    kind = forms.MultipleChoiceField(
        choices=ReleaseKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    page = forms.IntegerField(required=False, min_value=1)

    def values(self) -> dict[str, Any]:
        """Valid values only: a bad query string filters nothing instead of failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        kinds = [k for k in self.data.getlist("kind") if k in ReleaseKind.values] if self.data else []
        return {"kind": kinds, "page": data.get("page") or 1}
