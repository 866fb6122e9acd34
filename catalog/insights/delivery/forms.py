"""Forms of the delivery pages. They parse and present; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from catalog.insights.models import IngestSourceKind
from portal.plugins.api import ServiceErrorsMixin, Team

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ENVIRONMENTS_HELP = "Comma-separated, case-insensitive: deployments to these count as production."


class SourceCreateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. GitHub organisation acme, or Jenkins.")
    kind = forms.ChoiceField(choices=IngestSourceKind.choices, initial=IngestSourceKind.GITHUB)
    production_environments = forms.CharField(
        max_length=200, initial="production,prod", help_text=ENVIRONMENTS_HELP
    )


class SourceEditForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100)
    production_environments = forms.CharField(max_length=200, help_text=ENVIRONMENTS_HELP)
    enabled = forms.BooleanField(
        required=False, help_text="A disabled source answers 404 and stores nothing."
    )


class RepoMappingForm(ServiceErrorsMixin, forms.Form):
    repository = forms.CharField(max_length=200, help_text="owner/name, e.g. acme/payments-api.")
    team = forms.ModelChoiceField(queryset=Team.unscoped.none(), to_field_name="slug")

    def __init__(self, *args: Any, teams, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class BackstageUploadForm(forms.Form):
    catalog_info = forms.FileField(
        label="catalog-info.yaml",
        help_text="Backstage descriptors: each Component's github.com/project-slug maps to its owner group.",
    )

    def clean_catalog_info(self):
        upload = self.cleaned_data["catalog_info"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 5 MiB.")
        return upload
