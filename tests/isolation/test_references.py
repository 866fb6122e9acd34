"""Tenant B's objects named in a request *body* by tenant A (an owner team, a dependency, a capability):
refused, and no row of A ever ends up pointing at a row of B.

The URL matrix covers objects addressed by the path; this covers references a client sends. It needs no
list of fields: it reads A's own API representations and A's own HTML forms, finds values that identify
A's rows (a team slug in `owner_team`, capability slugs in `dependencies`), swaps in B's values of the same
model and sends them. Whatever the answer, the database invariant below must hold afterwards.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import models
from django.test import Client

from portal.tenancy.context import tenant_context
from portal.tenancy.models import Tenant, TenantOwnedModel
from tests.isolation.test_matrix import classify, snapshot
from tests.isolation.urlvalues import _column, _norm, combos, fill, object_kwargs, tenant_models
from tests.isolation.urlwalk import all_endpoints
from tests.isolation.worlds import Worlds, build_worlds

pytestmark = pytest.mark.django_db


@pytest.fixture
def worlds() -> Worlds:
    return build_worlds()


# --- the invariant -----------------------------------------------------------------------------------------
def cross_tenant_links(tenant: Tenant) -> list[str]:
    """Rows of `tenant` whose foreign key (or many-to-many pair) targets a row outside `tenant`.

    Read inside the tenant: a target of another tenant is simply absent from the tenant's own pks, which
    also works under row-level security (where it is invisible).
    """
    found = []
    with tenant_context(tenant):
        for model in tenant_models():
            for field in model._meta.concrete_fields:
                target = field.related_model
                if not field.many_to_one or target is None or not issubclass(target, TenantOwnedModel):
                    continue
                own = target.objects.values("pk")
                bad = model.objects.filter(**{f"{field.attname}__isnull": False}).exclude(
                    **{f"{field.attname}__in": own}
                )
                if bad.exists():
                    found.append(f"{model._meta.label}.{field.name} -> {target._meta.label}")
            for field in model._meta.many_to_many:
                through = field.remote_field.through
                if not through._meta.auto_created:
                    continue  # an explicit through model is a tenant model itself: checked above
                source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
                pairs = through.objects.filter(**{f"{source}__in": model.objects.values("pk")})
                if pairs.exclude(**{f"{target}__in": field.related_model.objects.values("pk")}).exists():
                    found.append(f"{model._meta.label}.{field.name} (m2m)")
    return found


def test_demo_data_has_no_cross_tenant_links(worlds):
    assert cross_tenant_links(worlds.a) == [] and cross_tenant_links(worlds.b) == []


# --- finding identifiers -----------------------------------------------------------------------------------
def models_for_key(key: str) -> set[type[models.Model]]:
    """Models a body key may refer to: relations of that name on any tenant model, or a model so named."""
    name = _norm(key)
    found = set()
    for model in tenant_models():
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
            target = field.related_model
            if field.name == key and target is not None and issubclass(target, TenantOwnedModel):
                found.add(target)
        if model._meta.model_name in {name, name.removesuffix("s"), name.removesuffix("es")}:
            found.add(model)
    return found


def values_of(tenant: Tenant, model: type[models.Model], field: str) -> list:
    column = _column(model, field)
    if column is None:
        return []
    with tenant_context(tenant):
        return list(model.objects.order_by("pk").values_list(column, flat=True))


def foreign_value(a: Tenant, b: Tenant, key: str, value: Any) -> Any:
    """B's identifier of the same model as A's `value` under `key` (slug, or pk for integers), or None."""
    if isinstance(value, bool) or key in {"id", "pk", "slug"} or value in ("", None):
        return None
    field = "pk" if isinstance(value, int) else "slug"
    for model in models_for_key(key):
        mine = values_of(a, model, field)
        if value in mine:
            theirs = [v for v in values_of(b, model, field) if v not in mine]
            if theirs:
                return theirs[0]
    return None


def swapped(a: Tenant, b: Tenant, key: str, value: Any) -> Any:
    """The value with A's identifiers replaced by B's (a list keeps A's others and gains one of B's)."""
    if isinstance(value, list):
        for item in value:
            other = foreign_value(a, b, key, item)
            if other is not None:
                return [*value, other]
        return None
    return foreign_value(a, b, key, value)


# --- attacks -----------------------------------------------------------------------------------------------
def test_api_bodies_naming_tenant_b_objects_link_nothing(worlds):
    a, b = worlds.a, worlds.b
    before = snapshot(b)
    client = Client(headers={"Authorization": f"Bearer {worlds.tokens['alice']}"})
    _pages, api, _ = classify(all_endpoints())
    tried = []
    for endpoint in api:
        if not object_kwargs(endpoint):
            continue
        for values in combos(a, endpoint, {})[:1]:
            url = fill(endpoint, a, values)
            response = client.get(url)
            if response.status_code != 200 or not isinstance(body := response.json(), dict):
                continue
            for key, value in body.items():
                other = swapped(a, b, key, value)
                if other is None:
                    continue
                status = client.patch(url, {key: other}, content_type="application/json").status_code
                tried.append(f"PATCH {url} {key}={other!r}: {status}")
                # The same reference in a new object, through the collection (router name `x-list`).
                collection = endpoint.name.removesuffix("-detail") + "-list" if endpoint.name else ""
                new = {k: v for k, v in body.items() if k not in {"id", "pk"}} | {key: other}
                new |= {k: f"iso-probe-{len(tried)}" for k in ("slug", "name", "title") if k in new}
                for list_endpoint in [e for e in api if e.name == collection]:
                    list_url = fill(list_endpoint, a, {})
                    status = client.post(list_url, new, content_type="application/json").status_code
                    tried.append(f"POST {list_url} {key}={other!r}: {status}")
    assert len(tried) >= 3, f"too few references found to try: {tried}"
    assert not [t for t in tried if t.endswith(tuple(f": {code}" for code in range(500, 600)))], tried
    assert cross_tenant_links(a) == [], tried
    assert snapshot(b) == before


class FormParser(HTMLParser):
    """POST forms of a page: action and fields as {name: {"values": [...], "options": [...]}}."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def _field(self, name: str) -> dict:
        return self.forms[-1]["fields"].setdefault(name, {"values": [], "options": []})

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {"action": attr.get("action", ""), "method": attr.get("method", "get"), "fields": {}}
            )
            return
        if not self.forms or (not attr.get("name") and tag != "option"):
            return
        if tag == "input" and attr.get("type") not in {"submit", "button", "file", "image"}:
            field = self._field(attr["name"])
            if attr.get("type") in {"checkbox", "radio"}:
                field["options"].append(attr.get("value", "on"))
                if "checked" in attr:
                    field["values"].append(attr.get("value", "on"))
            else:
                field["values"].append(attr.get("value", ""))
        elif tag == "select":
            self._select = attr["name"]
            self._field(self._select)
        elif tag == "option" and self._select:
            field = self._field(self._select)
            field["options"].append(attr.get("value", ""))
            if "selected" in attr:
                field["values"].append(attr.get("value", ""))
        elif tag == "textarea":
            self._textarea = attr["name"]
            self._field(self._textarea)["values"].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self._field(self._textarea)["values"][-1] += data


def test_html_forms_naming_tenant_b_objects_link_nothing(worlds):
    a, b = worlds.a, worlds.b
    before = snapshot(b)
    browser = Client()
    assert browser.login(username="alice", password="agora-demo")
    pages, _api, _ = classify(all_endpoints())
    tried = []
    for endpoint in pages:
        for values in [{}] if not object_kwargs(endpoint) else combos(a, endpoint, {})[:1]:
            url = fill(endpoint, a, values)
            response = browser.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            parser = FormParser()
            parser.feed(response.content.decode())
            for form in parser.forms:
                action = form["action"] or url
                if form["method"].lower() != "post" or not action.startswith(f"/t/{a.slug}/"):
                    continue
                data = {name: field["values"] for name, field in form["fields"].items()}
                for name, field in form["fields"].items():
                    sample = (field["values"] or field["options"] or [None])[0]
                    if isinstance(sample, str) and sample.isdigit():
                        sample = int(sample)
                    other = foreign_value(a, b, name, sample)
                    if other is None:
                        continue
                    status = browser.post(action, {**data, name: [*field["values"], str(other)]}).status_code
                    tried.append(f"POST {action} {name}+={other!r}: {status}")
    assert len(tried) >= 3, f"too few references found to try: {tried}"
    assert not [t for t in tried if t.endswith(tuple(f": {code}" for code in range(500, 600)))], tried
    assert cross_tenant_links(a) == [], tried
    assert snapshot(b) == before
