"""Forms of the catalog pages. They parse and present; the services validate and write.

Links are edited as rows (a formset: kind, title, URL; "Add a link" posts the form back with one more empty
row, "Remove" drops a row on save), so it works without JavaScript. The category is chosen from those in use
or created explicitly ("New category…" plus its name). Tags are comma-separated.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict

from catalog import services
from catalog.models import Capability, Lifecycle, LinkKind, Visibility
from catalog.services import LinkSpec
from portal.plugins.api import Membership, ServiceErrorsMixin, Team, is_tenant_admin, maintained_team_ids

NEW_CATEGORY = "__new__"
LINK_PREFIX = "links"
ADD_LINK = "links-add"  # the name of the "Add a link" submit button


class LinkForm(forms.Form):
    """One row of the link editor. An untouched empty row is skipped; a half-filled one is an error."""

    kind = forms.ChoiceField(choices=LinkKind.choices, initial=LinkKind.DOCS)
    title = forms.CharField(max_length=200, required=False)
    url = forms.CharField(
        max_length=500, required=False, label="URL", widget=forms.URLInput(attrs={"placeholder": "https://"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        title, url = (data.get("title") or "").strip(), (data.get("url") or "").strip()
        if self.cleaned_data.get("DELETE"):
            return data
        if url and not title:
            self.add_error("title", "Give the link a title.")
        if title and not url:
            self.add_error("url", "Enter the link's URL (https://...).")
        if url:
            try:
                services.validate_http_url(url, "url")
            except ValidationError as exc:
                self.add_error("url", exc.message_dict["url"])
        return data


LinkFormSet = forms.formset_factory(
    LinkForm, extra=1, can_delete=True, max_num=services.MAX_LINKS, validate_max=True,
    absolute_max=services.MAX_LINKS + 10,
)  # fmt: skip


def category_choices(membership: Membership, current: str = "") -> list[tuple[str, str]]:
    """The categories in use on capabilities the member sees (and the capability's own), then "New"."""
    from catalog.selectors import visible_capabilities

    names = set(
        visible_capabilities(membership, include_archived=True)
        .exclude(category="")
        .values_list("category", flat=True)
        .distinct()
    )
    if current:
        names.add(current)
    return [
        ("", "No category"),
        *((name, name) for name in sorted(names, key=str.casefold)),
        (NEW_CATEGORY, "New category…"),
    ]


class CapabilityForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=100, required=False, help_text="Leave empty to derive it from the name."
    )
    summary = forms.CharField(max_length=300, required=False, help_text="One line.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), required=False, help_text="Markdown."
    )
    category = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "Choose a category from the list, or “New category…”."},
    )
    new_category = forms.CharField(
        max_length=100,
        required=False,
        label="New category",
        help_text="Only when “New category…” is chosen above.",
    )
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
        self.fields["category"].choices = category_choices(
            membership, capability.category if capability is not None else ""
        )
        data = self.data if self.is_bound else None
        total = f"{LINK_PREFIX}-TOTAL_FORMS"
        if data is not None and total not in data:  # a post without link rows (a script): no links
            data = data.copy()
            data[total], data[f"{LINK_PREFIX}-INITIAL_FORMS"] = "0", "0"
        self.adding_link = bool(data is not None and ADD_LINK in data)
        if self.adding_link:  # "Add a link": the same form back with one more empty row, nothing saved
            data = data.copy()
            try:
                data[total] = str(min(int(data.get(total, 0)) + 1, services.MAX_LINKS))
            except ValueError:
                data[total] = "1"
        self.links = LinkFormSet(data, prefix=LINK_PREFIX, initial=self.initial.get("links") or None)
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

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        choice, new = data.get("category"), (data.get("new_category") or "").strip()
        if choice == NEW_CATEGORY:
            if not new:
                self.add_error("new_category", "Name the new category (or choose one from the list).")
            else:
                existing = {c.casefold(): c for c, _ in self.fields["category"].choices if c != NEW_CATEGORY}
                data["category"] = existing.get(new.casefold(), new)  # "messaging" joins "Messaging"
        elif new:
            self.add_error("new_category", "Choose “New category…” above to create one, or clear this field.")
        return data

    def is_valid(self) -> bool:
        """The form and its link rows (`is_valid` of both, so each shows its own errors)."""
        main = super().is_valid()
        rows = self.links.is_valid()
        return main and rows

    def links_data(self) -> list[LinkSpec]:
        """The rows to keep, in order: not removed, not left empty."""
        specs = []
        for row in self.links.forms:
            data = getattr(row, "cleaned_data", None) or {}
            if data.get("DELETE") or not (data.get("title") or data.get("url")):
                continue
            specs.append(LinkSpec(data["kind"], data["title"].strip(), data["url"].strip()))
        return specs

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("new_category", None)
        data["links"] = self.links_data()
        return data

    def apply_service_errors(self, error: ValidationError) -> None:
        """Link errors go above the link rows (the service numbers them: "Link 2: ...")."""
        if hasattr(error, "error_dict") and "links" in error.error_dict:
            self.links._non_form_errors = self.links.error_class(
                error.message_dict["links"], renderer=self.links.renderer
            )
            rest = {k: v for k, v in error.message_dict.items() if k != "links"}
            if not rest:
                return
            error = ValidationError(rest)
        super().apply_service_errors(error)

    def without_errors(self) -> CapabilityForm:
        """Shown again after "Add a link": the posted values, no error messages (nothing was submitted)."""
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.links._errors, self.links._non_form_errors = [], self.links.error_class()
        for row in self.links.forms:
            row._errors = ErrorDict()
        return self

    def check_parsed_fields(self) -> None:
        """When the form itself refused something the services never ran; ask them about the fields
        that did parse, so one round shows every problem (a bad URL next to a missing name)."""
        data = {key: value for key, value in self.cleaned_data.items() if key not in self.errors}
        data.pop("new_category", None)
        if data.get("category") == NEW_CATEGORY:
            data.pop("category")
        if self.links.is_valid():
            data["links"] = self.links_data()
        try:
            services.capability_validate(data=data, capability=self.capability)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field == "links" and self.links.is_valid():
                    self.links._non_form_errors = self.links.error_class(
                        messages, renderer=self.links.renderer
                    )
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
            "links": [{"kind": x.kind, "title": x.title, "url": x.url} for x in capability.links.all()],
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
