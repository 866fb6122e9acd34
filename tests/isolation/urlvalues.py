"""Values for the keyword arguments of any URL pattern, found in a tenant's rows without knowing the feature.

Naming convention (see the shared context): `slug` → a slug field, `pk`/`id` → a primary key, `number` → a
`number` field, `<model>_<field>` → that field of that model (`capability_slug`, `release_pk`). A bare
`pk` takes its model from the path segment before it when one matches (`subscriptions/<int:pk>/`). A
pattern with several kwargs (`<slug>/releases/<release_pk>/`) gets consistent tuples read from one model
and its foreign keys (the release's own pk with its capability's slug), so the nested object is really
found; otherwise the matrix would only ever see 404s and prove nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.apps import apps
from django.db import models
from django.urls import NoReverseMatch, reverse

from portal.tenancy.context import tenant_context
from portal.tenancy.models import Tenant, TenantOwnedModel
from tests.isolation.urlwalk import Endpoint

# Kwargs whose values are a vocabulary shared by all tenants, not row identities: the same word addresses the
# caller's own row in every tenant, so there is no value of B to try under A. (Leaks through those routes
# are still caught by the marker test: B's text never shows up for A.)
SHARED_VOCABULARY = {"channel": "notification channel names (email, webhook...) are the same in every tenant"}
PER_MODEL = 3  # candidate values per model and kwarg, to bound the run time
SCAN = 50  # rows read per model when B's values must differ from A's
BOGUS = {"slug": "no-such-thing-zz", "int": 987654321}


def tenant_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if issubclass(m, TenantOwnedModel) and m._meta.managed and not m._meta.proxy
    ]


def _norm(name: str) -> str:
    return name.replace("-", "").replace("_", "").lower()


def _field_for(kwarg: str) -> tuple[str | None, str]:
    """`slug` -> (None, "slug"); `capability_slug` -> ("capability", "slug"); `pk`/`id` -> (None, "pk")."""
    base = kwarg
    model_hint = None
    for suffix in ("slug", "pk", "id", "number", "uuid", "token", "key"):
        if kwarg == suffix:
            base = suffix
            break
        if kwarg.endswith("_" + suffix):
            model_hint, base = kwarg[: -len(suffix) - 1], suffix
            break
    return (_norm(model_hint) if model_hint else None), {"id": "pk"}.get(base, base)


def _route_hint(endpoint: Endpoint, kwarg: str, field: str) -> str | None:
    """A bare `pk`/`slug` names its model by the path segment before it: `subscriptions/<int:pk>/`,
    `endpoints/<int:pk>/` (ChannelEndpoint), `inbox/<int:pk>/` (InboxItem), `teams/<slug:slug>/`; of
    several matching models, the one in the view's own app (`tokens/` in accounts: ApiToken). None when no
    single model matches (`catalog/<slug>/`): then every model is a candidate.

    Without it, B's candidates are pks of *every* model, and only those that are no pk of A in any model
    can be tried safely, which leaves few or none of the addressed model's own rows.
    """
    route = endpoint.route
    match = re.search(rf"([A-Za-z_-]+)/(?:<(?:[^>:]+:)?{kwarg}>|\(\?P<{kwarg}>)", route)
    if match is None:
        return None
    plural = _norm(match.group(1))
    names = {plural, plural.removesuffix("s"), plural.removesuffix("es")}
    if plural.endswith("ies"):
        names.add(plural[:-3] + "y")  # capabilities
    models_ = [m for m in tenant_models() if _column(m, field)]
    for test in (str.__eq__, str.endswith, str.startswith):
        found = [m for m in models_ if any(test(m._meta.model_name, name) for name in names)]
        if len(found) > 1:
            found = [m for m in found if m._meta.app_label == endpoint.app_label]
        if len(found) == 1:
            return found[0]._meta.model_name
        if found:
            return None
    return None


def _hint(kwarg: str, endpoint: Endpoint | None) -> tuple[str | None, str]:
    model_hint, field = _field_for(kwarg)
    if model_hint is None and field in ("pk", "slug") and endpoint is not None:
        model_hint = _route_hint(endpoint, kwarg, field)
    return model_hint, field


def _column(model: type[models.Model], field: str) -> str | None:
    if field == "pk":
        return "pk"
    if field in {f.name for f in model._meta.concrete_fields}:
        return field
    if field == "slug":
        slugs = [f.name for f in model._meta.concrete_fields if isinstance(f, models.SlugField)]
        return slugs[0] if slugs else None
    return None


def candidates(
    tenant: Tenant,
    kwarg: str,
    endpoint: Endpoint | None = None,
    *,
    limit: int | None = PER_MODEL,
    exclude: Iterable = (),
) -> list:
    """Values of `kwarg` taken from `tenant`'s rows, `limit` per model (None: all), skipping `exclude`."""
    exclude = list(exclude)
    model_hint, field = _hint(kwarg, endpoint)
    values: list = []
    with tenant_context(tenant):
        for model in tenant_models():
            if model_hint and model._meta.model_name != model_hint:
                continue
            column = _column(model, field)
            if column is None:
                continue
            rows = model.objects.order_by("pk").values_list(column, flat=True)
            if exclude:
                rows = rows.exclude(**{f"{column}__in": exclude})
            values.extend(v for v in rows[:limit] if v not in ("", None))
    return list(dict.fromkeys(values))


def _path_on(model: type[models.Model], kwarg: str, endpoint: Endpoint) -> str | None:
    """Where `kwarg` lives on `model`: its own field, or a field of a model it points to (not the tenant)."""
    # A bare pk is the row's own: every model is tried as the innermost object, whatever the path says.
    model_hint, field = _field_for(kwarg) if kwarg in ("pk", "id") else _hint(kwarg, endpoint)
    targets = [("", model)] + [
        (f"{f.name}__", f.related_model)
        for f in model._meta.concrete_fields
        if f.many_to_one and f.related_model is not Tenant and issubclass(f.related_model, TenantOwnedModel)
    ]
    for prefix, target in targets:
        if model_hint and target._meta.model_name != model_hint:
            continue
        if not model_hint and field == "pk" and prefix:
            continue
        column = _column(target, field)
        if column:
            return prefix + column
    return None


def related_combos(tenant: Tenant, keys: list[str], endpoint: Endpoint, avoid: dict[str, set]) -> list[dict]:
    """Consistent tuples for several kwargs, each read from one row of one model (and its foreign keys).

    A tuple with any value that is also one of `avoid`'s (A's values) is skipped: half of it might address
    A's own row, and a view that trusts that half alone would look like a leak.
    """
    found: list[dict] = []
    with tenant_context(tenant):
        for model in tenant_models():
            paths = [_path_on(model, k, endpoint) for k in keys]
            if None in paths or len(set(paths)) < len(paths):
                continue
            rows = model.objects.order_by("pk").values_list(*paths)[: SCAN if avoid else PER_MODEL]
            kept = [
                dict(zip(keys, row, strict=True))
                for row in rows
                if None not in row and not any(v in avoid.get(k, ()) for k, v in zip(keys, row, strict=True))
            ]
            found.extend(kept[:PER_MODEL])
    return found


def fill(endpoint: Endpoint, tenant: Tenant, values: dict) -> str | None:
    kwargs = {"tenant_slug": tenant.slug} if "tenant_slug" in endpoint.kwargs else {}
    kwargs |= {k: v for k, v in values.items() if k in endpoint.kwargs}
    try:
        return reverse(endpoint.name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def object_kwargs(endpoint: Endpoint) -> list[str]:
    return [k for k in endpoint.kwargs if k not in {"tenant_slug", "format"}]


def combos(tenant: Tenant, endpoint: Endpoint, exclude: dict[str, set]) -> list[dict]:
    """Kwarg values from `tenant`'s rows that reverse to a URL of the endpoint (none: no kwargs)."""
    keys = object_kwargs(endpoint)
    if not keys:
        return []
    found: list[dict] = []
    if len(keys) > 1:
        found = related_combos(tenant, keys, endpoint, exclude)
    # Independent values too (kwargs beyond the first take their first candidate): a fallback when no model
    # links the kwargs, and for a single kwarg the whole answer.
    pools = {k: candidates(tenant, k, endpoint, exclude=exclude.get(k, ())) for k in keys}
    if all(pools.values()):
        first, rest = keys[0], keys[1:]
        found += [{first: value} | {k: pools[k][0] for k in rest} for value in pools[first]]
    unique = {tuple(sorted(c.items(), key=str)): c for c in found}.values()
    return [c for c in unique if fill(endpoint, tenant, c) is not None]


def foreign_combos(a: Tenant, b: Tenant, endpoint: Endpoint, failures: list[str]) -> list[dict]:
    """B's values for the endpoint's kwargs that are not also A's (those would address A's own rows).

    An endpoint with kwargs but no such value would pass without a single cross-tenant attempt, so that is
    a failure, unless every kwarg is a vocabulary word shared by all tenants (SHARED_VOCABULARY).
    """
    keys = object_kwargs(endpoint)
    exclude = {k: set(candidates(a, k, endpoint, limit=None)) for k in keys}
    found = combos(b, endpoint, exclude)
    if keys and not found and not set(keys) <= set(SHARED_VOCABULARY):
        failures.append(
            f"{endpoint.route}: no value of tenant B that A does not also have; cannot try a cross-tenant "
            "request (give B distinct demo rows, or list a shared-vocabulary kwarg in SHARED_VOCABULARY)"
        )
    return found


def bogus(sample: dict) -> dict:
    """Values of the same shape that match no row: what a missing object answers is the reference."""
    return {k: BOGUS["int"] if isinstance(v, int) else BOGUS["slug"] for k, v in sample.items()}
