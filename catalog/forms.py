"""Forms of the catalog pages. They parse and present; the services validate and write.

Links are edited as text, one per line (`kind | title | URL`): quick to type, easy to paste from a wiki,
and it works without JavaScript. Tags are comma-separated.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import Capability, Lifecycle, LinkKind, Visibility
from catalog.services import LinkSpec
from portal.plugins.api import Membership, ServiceErrorsMixin, Team, is_tenant_admin, maintained_team_ids

LINK_HELP = "One link per line: kind | title | URL. Kinds: " + ", ".join(LinkKind.values) + "."


class CapabilityForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=100, required=False, help_text="Leave empty to derive it from the name."
    )
    summary = forms.CharField(max_length=300, required=False, help_text="One line.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), required=False, help_text="Markdown."
    )
    category = forms.CharField(max_length=100, required=False)
    lifecycle = forms.ChoiceField(choices=Lifecycle.choices, initial=Lifecycle.GA)
    owner_team = forms.ModelChoiceField(queryset=Team.unscoped.none(), to_field_name="slug")
    support_channel = forms.CharField(max_length=200, required=False, help_text="e.g. #platform-k8s")
    oncall_url = forms.CharField(max_length=500, required=False, label="On-call rota URL")
    contact_email = forms.CharField(max_length=254, required=False)
    slo_text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="SLO / SLA")
    slo_target = forms.DecimalField(
        required=False, max_digits=6, decimal_places=3, label="SLO target (%)", min_value=0, max_value=100
    )
    tags = forms.CharField(required=False, help_text="Comma-separated.")
    links = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text=LINK_HELP)
    dependencies = forms.ModelMultipleChoiceField(
        queryset=Capability.unscoped.none(), required=False, to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    visibility = forms.ChoiceField(
        choices=Visibility.choices, initial=Visibility.TENANT, widget=forms.RadioSelect
    )
    visible_to_teams = forms.ModelMultipleChoiceField(
        queryset=Team.unscoped.none(), required=False, to_field_name="slug",
        widget=forms.CheckboxSelectMultiple, label="Teams that may see it",
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        capability: Capability | None = None,
        visible=None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.capability = capability
        teams = Team.objects.order_by("name")
        if not is_tenant_admin(membership):
            owned = maintained_team_ids(membership)
            if capability is not None:
                owned.add(capability.owner_team_id)
            teams = teams.filter(pk__in=owned)
        self.fields["owner_team"].queryset = teams
        self.fields["visible_to_teams"].queryset = Team.objects.order_by("name")
        deps = visible if visible is not None else Capability.unscoped.none()
        if capability is not None:
            deps = deps.exclude(pk=capability.pk)
        self.fields["dependencies"].queryset = deps.order_by("name")

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]

    def clean_links(self) -> list[LinkSpec]:
        links = []
        for number, line in enumerate(self.cleaned_data["links"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3:
                raise ValidationError(f"Line {number}: write it as kind | title | URL.")
            links.append(LinkSpec(*parts))
        return links

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def check_parsed_fields(self) -> None:
        """When the form itself refused something the services never ran; ask them about the fields
        that did parse, so one round shows every problem (a bad URL next to a missing name)."""
        data = {key: value for key, value in self.cleaned_data.items() if key not in self.errors}
        try:
            services.capability_validate(data=data, capability=self.capability)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                derived = field == "slug" and ("name" in self.errors or "slug" in self.errors)
                if field in self.fields and field not in self.errors and not derived:
                    self.add_error(field, messages)

    @staticmethod
    def initial_for(capability: Capability) -> dict[str, Any]:
        return {
            "name": capability.name,
            "slug": capability.slug,
            "summary": capability.summary,
            "description": capability.description,
            "category": capability.category,
            "lifecycle": capability.lifecycle,
            "owner_team": capability.owner_team.slug,
            "support_channel": capability.support_channel,
            "oncall_url": capability.oncall_url,
            "contact_email": capability.contact_email,
            "slo_text": capability.slo_text,
            "slo_target": capability.slo_target,
            "tags": ", ".join(t.name for t in capability.tags.all()),
            "links": "\n".join(f"{l.kind} | {l.title} | {l.url}" for l in capability.links.all()),  # noqa: E741
            "dependencies": [d.slug for d in capability.dependencies.all()],
            "visibility": capability.visibility,
            "visible_to_teams": [t.slug for t in capability.visible_to_teams.all()],
        }


class CapabilityFilterForm(forms.Form):
    """The list's query string: search text, filters and sort (all optional, unknown values ignored)."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    category = forms.CharField(required=False, max_length=100)
    lifecycle = forms.ChoiceField(required=False, choices=[("", "Any lifecycle"), *Lifecycle.choices])
    status = forms.CharField(required=False, max_length=20)
    team = forms.CharField(required=False, max_length=100)
    tag = forms.CharField(required=False, max_length=50)
    sort = forms.ChoiceField(
        required=False,
        choices=[("", "Relevance / name"), ("name", "Name"), ("-updated", "Recently updated"),
                 ("lifecycle", "Lifecycle"), ("status", "Status")],
    )  # fmt: skip
    page = forms.IntegerField(required=False, min_value=1)

    def values(self) -> dict[str, Any]:
        self.is_valid()  # invalid fields are simply left out of cleaned_data
        return {key: self.cleaned_data.get(key) or "" for key in self.fields}
