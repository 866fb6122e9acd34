"""Query-string filters of `/api/v1/capabilities/` (django-filter); `search`, `ordering` live in the view."""

from __future__ import annotations

import django_filters

from catalog import selectors
from catalog.models import Capability, Lifecycle, Status


class CapabilityFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category", lookup_expr="iexact")
    lifecycle = django_filters.MultipleChoiceFilter(choices=Lifecycle.choices)
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    team = django_filters.CharFilter(field_name="owner_team__slug", label="Owner team slug")
    tag = django_filters.CharFilter(method="filter_tag", label="Tag name")

    class Meta:
        model = Capability
        fields = ["category", "lifecycle", "status", "team", "tag"]

    def filter_tag(self, queryset, name, value):
        return selectors.with_tag(queryset, value)
