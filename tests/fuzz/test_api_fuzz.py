"""Fuzz every `/api/v1/` operation with schemathesis, in-process, against the project's own OpenAPI schema.

The promise under test (DESIGN.md): bad input gets a clear 4xx, never a 5xx. Each operation is one test.
Its cases come from the document drf-spectacular generates (the one `/api/schema/` serves): schemathesis'
coverage phase (boundary and invalid values) plus a capped number of random valid and invalid cases. They go
through the whole WSGI stack (`portal.wsgi.application`) with a bearer token of `alice`, the demo tenant admin
of `acme` who also maintains a team, so the maintainer- and admin-only write paths run too.

Checks: no 5xx, and a documented response carries the documented content type and body schema. (Not the
documented status codes: most operations document only their success status, not their 4xx.)

Objects exist: the demo data is seeded once for this module, and requests name them, so detail routes and
writes get past the first 404 / "no such team" to the code behind. Coverage cases, which vary one part of a
request at a time, name a demo object (a capability slug, a request number, ...) in every part they do not
vary. The path, query and body of a random case are each, with equal odds, as generated, aimed at demo
objects (path parameters and references such as `owner_team`), or that made hostile: a NUL character after
every string and integers past 64 bits, which random generation almost never produces. And systematically,
each path parameter, query parameter and body property of an operation is sent once made hostile alone.

Known bad input, once per operation (Agora issue #9, which answered 500): every list with a `cursor` parameter
gets a cursor decoding to a NUL and one with a text position on a numeric ordering, and every operation with a
JSON body gets one nested 20,000 levels deep. Each must answer 4xx and change no row (a list ordered by text
answers the text position with a page: there it is a legitimate one).

Isolation: the seeding runs in a transaction of this module that is rolled back after its last test; each
operation's test runs in a savepoint inside it (pytest-django's `django_db`), and the in-process WSGI calls
share the test's connection, so nothing one operation writes is seen by the next or by any other test.
Generation is derandomized and capped: CI replays the same cases on every run.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import hypothesis
import pytest
import schemathesis
import yaml
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.settings import spectacular_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.media_types import YAML_MEDIA_TYPES
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from portal.wsgi import application

MAX_EXAMPLES = 15  # random cases per operation, on top of the deterministic coverage cases
API_PREFIX = "/api/v1/"
FUZZ_USER, FUZZ_TENANT = "alice", "acme"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Known bad input (Agora issue #9): base64 of "p=%00" (a NUL position) and of "r=1&p=x" (text where the list
# is ordered by a number or a timestamp), and a JSON body deeper than any decoder's recursion limit.
NUL_CURSOR, TEXT_POSITION_CURSOR = "cD0lMDA=", "cj0xJnA9eA=="
DEEP_JSON = ("[" * 20_000 + "]" * 20_000).encode()


def _openapi_document() -> dict[str, Any]:
    """The document `/api/schema/` serves, built in-process (the generator needs no request or database)."""
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    document = generator.get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


schema = schemathesis.openapi.from_dict(_openapi_document()).include(path_regex=f"^{API_PREFIX}")
schema.app = application  # as `schemathesis.openapi.from_wsgi` sets it: cases are sent to the app in-process

# Filled by the `fuzz_token` fixture once the demo data exists; read by the hooks below while cases are drawn.
# paths: resource key -> path parameter sets naming existing objects; refs: body field -> existing values.
KNOWN: dict[str, dict[str, list[Any]]] = {"paths": {}, "refs": {}}


def _resource_key(path: str, path_parameters: dict[str, Any]) -> str:
    resource = path.removeprefix(API_PREFIX).split("/", 1)[0]
    return f"{resource}/comments" if "comment_pk" in path_parameters else resource


def _hostile(value: Any) -> Any:
    """`value` with a NUL character after every string and 2**64 added to every integer: input random
    generation hardly ever produces, and that PostgreSQL refuses (NUL, even as a query parameter) or cannot
    store (integers past 64 bits)."""
    if isinstance(value, str):
        return f"{value}\x00"
    if isinstance(value, int) and not isinstance(value, bool):
        return value + 2**64 if value >= 0 else value - 2**64
    if isinstance(value, list):
        return [_hostile(item) for item in value]
    if isinstance(value, dict):
        return {key: _hostile(item) for key, item in value.items()}
    return value


def _alternatives(generated: Any, aimed: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """As generated, or (as likely) aimed at demo objects, or that made hostile."""
    aimed = aimed if aimed is not None else st.just(generated)
    return st.one_of(st.just(generated), aimed, aimed.map(_hostile))


@schema.hook
def flatmap_path_parameters(ctx, path_parameters: dict[str, Any] | None):
    if not path_parameters:
        return st.just(path_parameters)
    known = [
        values
        for values in KNOWN["paths"].get(_resource_key(ctx.operation.path, path_parameters), [])
        if values.keys() == path_parameters.keys()
    ]
    return _alternatives(path_parameters, st.sampled_from(known) if known else None)


@schema.hook
def flatmap_query(ctx, query: dict[str, Any] | None):
    return _alternatives(query) if query else st.just(query)


@schema.hook
def flatmap_body(ctx, body: Any):
    refs = {}
    if isinstance(body, dict):
        refs = {name: st.sampled_from(pool) for name, pool in KNOWN["refs"].items() if name in body and pool}
    aimed = st.fixed_dictionaries(refs).map(lambda chosen: {**body, **chosen}) if refs else None
    return _alternatives(body, aimed)


@schema.hook
def filter_case(ctx, case) -> bool:
    """Coverage cases come once per media type a body accepts. With no file in it, a multipart body parses to
    the same QueryDict as a form-encoded one, so coverage sends those cases once; random cases use all."""
    return not (
        case.meta is not None
        and case.meta.phase.name == "coverage"
        and case.media_type == "multipart/form-data"
        and FORM in ctx.operation.schema.get_request_payload_content_types(ctx.operation)
    )


_turn = itertools.count()


def _aim_coverage_case_at_demo_objects(case) -> None:
    """A coverage case varies one parameter or body property and fills the rest with placeholder values
    (`0` for a path id, `"AAA"` for a team); point those placeholders at demo objects instead."""
    if case.meta is None or case.meta.phase.name != "coverage":
        return
    varied = case.meta.phase.data
    if case.path_parameters and varied.parameter_location != "path":
        key = _resource_key(case.operation.path, case.path_parameters)
        known = [v for v in KNOWN["paths"].get(key, []) if v.keys() == case.path_parameters.keys()]
        if known:
            case.path_parameters.update(known[next(_turn) % len(known)])
    if isinstance(case.body, dict):
        pointer = (varied.location or "") if varied.parameter_location == "body" else ""
        for name, values in KNOWN["refs"].items():
            if name in case.body and values and not pointer.startswith(f"/properties/{name}/"):
                case.body[name] = values[next(_turn) % len(values)]


_probed: set[tuple[str, ...]] = set()


def _hostile_probes(case) -> Iterator[Any]:
    """The first valid coverage case that carries a path parameter, query parameter or body property of its
    operation, once more with that one value made hostile: each reaches its own code, where a random case
    makes every value hostile at once (and the first one validated answers 400 for all)."""
    if case.meta is None or case.meta.phase.name != "coverage" or case.meta.generation.mode != "positive":
        return
    for location in ("path_parameters", "query", "body"):
        values = getattr(case, location)
        for name in sorted(values) if isinstance(values, dict) else ():
            probe = (case.operation.label, location, name)  # not per media type: all parse to the same
            if probe not in _probed:
                _probed.add(probe)
                hostile = case.derive()
                getattr(hostile, location)[name] = _hostile(values[name])
                yield hostile


_bad_input_sent: set[str] = set()


def _bad_input_probes(case) -> Iterator[tuple[Any, dict[str, Any], set[int]]]:
    """Once per operation (on its first case, whatever it is): the known bad input of issue #9 as
    (request, transport arguments, the statuses it may answer). Only the cursor is sent to a list, so its
    default ordering applies; a deep body goes to a route naming a demo object, so it reaches the parser."""
    operation = case.operation
    if operation.label in _bad_input_sent:
        return
    _bad_input_sent.add(operation.label)

    def probe(**query: Any) -> Any:
        derived = case.derive(query=query)
        derived.method = operation.method.upper()  # the coverage phase also tries methods the route lacks
        return derived

    if any(parameter.name == "cursor" for parameter in operation.query):
        yield probe(cursor=NUL_CURSOR), {}, set(range(400, 500))
        # A 400 where the list is ordered by a number or a timestamp; where it is ordered by text, "x" is a
        # position like any other, answered with a page (tests/security/test_bad_input.py tells them apart).
        yield probe(cursor=TEXT_POSITION_CURSOR), {}, {200, *range(400, 500)}
    if JSON in operation.schema.get_request_payload_content_types(operation):
        deep = probe()
        if deep.path_parameters:
            key = _resource_key(operation.path, deep.path_parameters)
            known = [v for v in KNOWN["paths"].get(key, []) if v.keys() == deep.path_parameters.keys()]
            if known:
                deep.path_parameters.update(known[0])
        deep.media_type = JSON
        deep.body = []  # a body the transport then replaces with the raw bytes below
        yield deep, {"data": DEEP_JSON}, set(range(400, 500))


def _tenant_rows() -> str:
    """Every row of the fuzzed tenant, API tokens aside (authenticating stamps `last_used_at`)."""
    from portal.accounts.models import ApiToken
    from portal.tenancy.context import tenant_context
    from portal.tenancy.models import Tenant
    from tests.isolation.urlvalues import tenant_models

    with tenant_context(Tenant.objects.get(slug=FUZZ_TENANT)):
        rows = {
            model._meta.label: list(model.objects.order_by("pk").values())
            for model in tenant_models()
            if model is not ApiToken
        }
    return json.dumps(rows, default=str, sort_keys=True)


@schemathesis.deserializer(*YAML_MEDIA_TYPES)
def _yaml_stream(ctx, response) -> str:
    """The Backstage export is a multi-document YAML stream, documented as one `string`: check that the
    stream parses, then validate its text against that schema (the built-in deserializer reads one document,
    and this API has no other YAML response)."""
    text = response.content.decode(response.encoding or "utf-8")
    list(yaml.safe_load_all(text))
    return text


def _known_objects(user) -> dict[str, dict[str, list[Any]]]:
    from catalog.models import Capability
    from catalog.releases.models import Release, StatusUpdate
    from portal.accounts.models import Team
    from portal.notifications.models import ChannelEndpoint, ChannelRoute, InboxItem, Subscription
    from portal.notifications.services.subscriptions import personal_channels
    from requests_app.models import Comment, FeatureRequest

    def ids(model, **filters) -> list[int]:
        return list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))

    capabilities = list(Capability.objects.order_by("pk").values_list("slug", flat=True))
    teams = list(Team.objects.order_by("pk").values_list("slug", flat=True))
    numbers = list(FeatureRequest.objects.order_by("number").values_list("number", flat=True))
    comments = Comment.objects.order_by("pk").values_list("request__number", "pk")
    endpoints = ids(ChannelEndpoint)
    paths = {
        "capabilities": [{"slug": slug} for slug in capabilities],
        "teams": [{"slug": slug} for slug in teams],
        "channel-endpoints": [{"id": pk} for pk in endpoints],
        "channel-routes": [{"id": pk} for pk in ids(ChannelRoute)],
        "channel-preferences": [{"channel": key} for key, _label in personal_channels()],
        "inbox": [{"id": pk} for pk in ids(InboxItem, user=user)],
        "subscriptions": [{"id": pk} for pk in ids(Subscription, user=user)],
        "releases": [{"release_pk": str(pk)} for pk in ids(Release)],
        "status-updates": [{"status_update_pk": str(pk)} for pk in ids(StatusUpdate)],
        "requests": [{"number": str(number)} for number in numbers],
        "requests/comments": [{"number": str(number), "comment_pk": pk} for number, pk in comments],
    }
    refs = {
        "owner_team": teams,
        "team": teams,
        "visible_to_teams": [teams[:1], teams[1:3]],
        "capability": capabilities,
        "dependencies": [capabilities[:1], capabilities[2:4]],
        "endpoint": endpoints,
        "into": numbers,
        "ships_request_numbers": [numbers[:1], numbers[1:3]],
        "username": ["bob", "carol", "vera", "gina"],
    }
    return {"paths": paths, "refs": refs}


@contextmanager
def _test_connection_kept_open() -> Iterator[None]:
    """A WSGI request closes "old" database connections when it starts and ends; here the only connection is
    the test's own, inside its transaction (PostgreSQL would answer every later query with "the connection is
    closed"). Django's test client keeps it open the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture(scope="module")
def fuzz_token(django_db_setup, django_db_blocker):
    """Seed the demo tenants for this module only (rolled back at its end); a bearer token of `alice`."""
    from portal.accounts import services as account_services
    from portal.tenancy.context import tenant_context
    from portal.tenancy.models import Membership, Tenant

    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)  # not a warning per 4xx (thousands); a 5xx still logs its traceback
    try:
        with django_db_blocker.unblock(), _test_connection_kept_open(), transaction.atomic():
            call_command("seed_demo", verbosity=0)
            with tenant_context(Tenant.objects.get(slug=FUZZ_TENANT)):
                membership = Membership.objects.select_related("user").get(user__username=FUZZ_USER)
                token = account_services.api_token_create(membership=membership, name="fuzz").text
                KNOWN.update(_known_objects(membership.user))
            yield token
            transaction.set_rollback(True)
    finally:
        KNOWN.update(paths={}, refs={})
        _probed.clear()
        _bad_input_sent.clear()
        request_log.setLevel(level)


@pytest.mark.django_db
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # Cases share one database state per operation on purpose (created objects stay for the next case),
    # and some operations' schemas filter a lot; neither is a reason to fail the run.
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_answers_bad_input_with_4xx_never_5xx(case, fuzz_token):
    headers = {"Authorization": f"Bearer {fuzz_token}"}
    checks = [not_a_server_error, content_type_conformance, response_schema_conformance]
    for request, transport, expected in _bad_input_probes(case):
        before = _tenant_rows()
        response = request.call_and_validate(headers=headers, checks=checks, **transport)
        assert response.status_code in expected, (request.operation.label, request.query, response.text[:300])
        assert _tenant_rows() == before, f"{request.operation.label} wrote on bad input"
    _aim_coverage_case_at_demo_objects(case)
    for request in (case, *_hostile_probes(case)):
        request.call_and_validate(headers=headers, checks=checks)
