"""Forms of the board's pages. They parse and present; the services validate and write.

Field names match the services' error keys (`title`, `body`, `tags`, `capability`, `status`, `note`,
`into`, `username`, `official`, `internal`), so a service's per-field ValidationError lands next to the field
it is about. Choice-like fields the services validate themselves (status, merge target) are plain text
fields with a select widget: the services' messages ("a planned request cannot move to new; it can move
to: ...") are more useful than Django's "Select a valid choice".
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet

from catalog.models import Capability
from portal.plugins.api import ServiceErrorsMixin
from requests_app import selectors, workflow
from requests_app.models import FeatureRequest
from requests_app.services.common import MAX_BODY, MAX_COMMENT, MAX_NOTE, MAX_TITLE

SORT_CHOICES = list(selectors.SORT_LABELS.items())


DEFAULT_STATUS = "open"


class BoardFilterForm(forms.Form):
    """The board's query string: search text, filters and sort (all optional, unknown values ignored)."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    capability = forms.CharField(required=False, max_length=100)
    status = forms.CharField(required=False, max_length=20)
    tag = forms.CharField(required=False, max_length=50)
    team = forms.CharField(required=False, max_length=100)
    mine = forms.BooleanField(required=False, label="Filed by me")
    voted = forms.BooleanField(required=False, label="Voted by me")
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)
    page = forms.IntegerField(required=False, min_value=1)

    FILTER_KEYS = ("capability", "status", "tag", "team", "mine", "voted")

    def values(self) -> dict[str, Any]:
        self.is_valid()  # invalid fields are simply left out of cleaned_data
        values = {key: self.cleaned_data.get(key) or "" for key in self.fields}
        values["sort"] = values["sort"] or "top"
        # The board shows open requests unless asked otherwise ("any" shows every status).
        values["status"] = values["status"] or DEFAULT_STATUS
        return values


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class RequestForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(
        max_length=MAX_TITLE,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="What do you need, in a few words?",
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        max_length=MAX_BODY,
        label="Description",
        help_text="Markdown. Why do you need it, and what do you do today instead?",
    )
    capability = forms.ModelChoiceField(
        queryset=Capability.unscoped.none(),
        to_field_name="slug",
        required=False,
        empty_label="The platform in general",
        help_text="Which capability is it about?",
    )
    tags = forms.CharField(
        required=False, max_length=600, help_text="Comma-separated, e.g. quotas, self-service."
    )

    def __init__(self, *args: Any, capabilities: QuerySet, similar_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["capability"].queryset = capabilities.order_by("name")
        if similar_url:
            # While the title is typed, similar requests are suggested below it (vote instead of re-filing).
            self.fields["title"].widget.attrs.update(
                {
                    "hx-get": similar_url,
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#similar-requests",
                    "hx-swap": "innerHTML",
                    "hx-sync": "this:replace",
                    "aria-controls": "similar-requests",
                }
            )

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data["body"],
            "capability": data["capability"],
            "tags": data["tags"],
        }

    @staticmethod
    def initial_for(feature_request: FeatureRequest) -> dict[str, Any]:
        return {
            "title": feature_request.title,
            "body": feature_request.body,
            "capability": feature_request.capability.slug if feature_request.capability else "",
            "tags": ", ".join(t.name for t in feature_request.tags.all()),
        }


class CommentForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_COMMENT,
        label="Comment",
        help_text="Markdown.",
    )
    official = forms.BooleanField(
        required=False,
        label="Official response",
        help_text="On behalf of the owning team; followers are told.",
    )
    internal = forms.BooleanField(
        required=False, label="Internal note", help_text="Only the owning team and tenant admins see it."
    )

    def __init__(self, *args: Any, may_triage: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "comment-form-%s")
        super().__init__(*args, **kwargs)
        if not may_triage:
            # Not offered; a forged value is still refused by the service (it checks the permission).
            del self.fields["official"], self.fields["internal"]


class CommentEditForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_COMMENT,
        label="Comment",
        help_text="Markdown.",
    )


class StatusForm(ServiceErrorsMixin, forms.Form):
    # No max_length: it would render as a `maxlength` attribute, which a <select> does not have.
    status = forms.CharField(label="New status", widget=forms.Select, validators=[MaxLengthValidator(20)])
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=MAX_NOTE,
        label="Public note",
        help_text="Markdown. Shown in the history and sent to followers.",
    )

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "status-%s")
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.choices = [
            (s, workflow.LABELS[s]) for s in workflow.allowed_next(current)
        ]


NUMBER_RE = re.compile(r"^\s*#?\s*(\d{1,9})\s*$")
LEADING_NUMBER_RE = re.compile(r"^\s*#(\d{1,9})\s")


def suggest(field: forms.Field, *, url: str, target: str) -> None:
    """Live suggestions while typing: htmx fills `<datalist id=target-list>` and a count in `#target`.

    A native datalist keeps the field a plain text input: keyboard and screen-reader use come from the
    browser, and without JavaScript the typed text is posted and validated by the server as before.
    """
    field.widget.attrs.update(
        {
            "list": f"{target}-list",
            "autocomplete": "off",
            "hx-get": url,
            "hx-trigger": "input changed delay:250ms, focus once",
            "hx-target": f"#{target}",
            "hx-swap": "innerHTML",
            "hx-sync": "this:replace",
            "aria-controls": target,
        }
    )


class MergeForm(ServiceErrorsMixin, forms.Form):
    into = forms.CharField(
        max_length=200,
        label="Duplicate of request",
        help_text="Its number, e.g. #12. Type words of its title to get suggestions.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=MAX_NOTE,
        label="Note",
        help_text="Markdown. Shown in both requests' history.",
    )

    def __init__(self, *args: Any, suggest_url: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "merge-%s")
        super().__init__(*args, **kwargs)
        if suggest_url:
            suggest(self.fields["into"], url=suggest_url, target="merge-suggest")

    def clean_into(self) -> int:
        # A suggestion reads "#12 Title of it": the number leads.
        found = NUMBER_RE.match(self.cleaned_data["into"]) or LEADING_NUMBER_RE.match(
            self.cleaned_data["into"]
        )
        if found is None:
            raise ValidationError("Write the number of the request it duplicates, e.g. #12.")
        return int(found.group(1))


class VoteRecordForm(ServiceErrorsMixin, forms.Form):
    username = forms.CharField(
        max_length=150,
        label="Colleague",
        help_text="Their username; type part of a name to get suggestions.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    note = forms.CharField(
        required=False, max_length=300, label="Note", help_text="Where you heard it, e.g. 'quarterly review'."
    )

    def __init__(self, *args: Any, suggest_url: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "record-%s")
        super().__init__(*args, **kwargs)
        if suggest_url:
            suggest(self.fields["username"], url=suggest_url, target="colleague-suggest")
