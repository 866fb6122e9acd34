"""Forms of the team endpoint pages (the preferences page reads its few fields directly)."""

from __future__ import annotations

from django import forms

from portal.notifications import topics
from portal.notifications.models import EndpointKind, TopicKind
from portal.ui.forms import ServiceErrorsMixin


class EndpointCreateForm(ServiceErrorsMixin, forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None)
    kind = forms.ChoiceField(choices=EndpointKind.choices)
    name = forms.CharField(max_length=100)
    url = forms.CharField(
        max_length=2000,
        label="Webhook URL",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Kept encrypted and never shown again.",
    )

    def __init__(self, *args, teams=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class EndpointUpdateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.CharField(
        max_length=2000,
        required=False,
        label="New webhook URL",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave empty to keep the current one. A new URL switches a disabled endpoint back on.",
    )


class RouteForm(ServiceErrorsMixin, forms.Form):
    topic_kind = forms.ChoiceField(
        choices=[(TopicKind.CAPABILITY, "One capability"), (TopicKind.TENANT, "Every capability")],
        label="Announcements of",
    )
    topic_id = forms.IntegerField(required=False, min_value=1, label="Capability")
    topic_label = forms.CharField(max_length=200, required=False, label="Label")
    releases = forms.BooleanField(required=False, initial=True)
    status = forms.BooleanField(required=False, initial=True, label="Status updates")

    def __init__(self, *args, membership=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = topics.choices_for(TopicKind.CAPABILITY, membership)
        if choices is not None:  # the catalog registered a picker: only what this member may see
            # Still an integer field: the posted id is checked by the service (`require_visible`), so a
            # hidden or foreign id answers 404 "No such capability." like the API, not "invalid choice".
            field = self.fields["topic_id"]
            field.widget = forms.Select(choices=[("", "Choose a capability…"), *choices])
            field.help_text = "Grouped by the owning team; type a name's first letters to jump to it."
            del self.fields["topic_label"]

    def clean(self):
        data = super().clean()
        if data.get("topic_kind") == TopicKind.CAPABILITY and not data.get("topic_id"):
            self.add_error("topic_id", "Choose the capability.")
        if not (data.get("releases") or data.get("status")):
            self.add_error("releases", "Choose releases, status updates or both.")
        return data
