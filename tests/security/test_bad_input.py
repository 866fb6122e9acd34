"""Bad input that used to reach the database or the JSON decoder as is, and answered 500 (Agora issue #9).

- Cursors: `?cursor=` is base64 of a query string the client can forge. A position that decodes to a NUL
  (PostgreSQL refuses it in text) or that does not fit the type of the list's ordering field (text where a
  vote count or a timestamp is expected) is a 400 naming the `cursor` parameter, as is a cursor that does
  not decode at all (DRF's own answer there was a 404). One behaviour for every list that paginates.
- JSON bodies: one nested 20,000 levels deep overflowed the decoder's recursion (RecursionError, a 500);
  any body nested deeper than the parser's cap is a 400 that says so, and nothing is written.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

import pytest
from django.test import Client

from portal.accounts.models import ApiToken
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.catalog.releases.factories import make_release
from tests.factories import TenantWorld
from tests.isolation.urlvalues import tenant_models
from tests.requests_app.factories import make_request

pytestmark = pytest.mark.django_db

NUL_CURSOR = "cD0lMDA="  # "p=%00": a position holding a NUL character
TEXT_ON_NUMBER_CURSOR = "cj0xJnA9eA=="  # "r=1&p=x": a text position, reversed
INVALID_CURSOR = ["Invalid cursor."]
DEEP_BODY = "[" * 20_000 + "]" * 20_000
MAX_JSON_DEPTH = 64  # the cap of portal.accounts.api.parsers.DepthLimitedJSONParser

# Every paginated list, with each ordering a client can choose: a text, an integer, a float (vote trend,
# search rank) and a timestamp field. Admin tokens see every one of them.
LISTS = [
    "/api/v1/capabilities/",  # name (text)
    "/api/v1/capabilities/?ordering=-created",  # created_at (timestamp)
    "/api/v1/capabilities/?search=kafka",  # search rank (float annotation)
    "/api/v1/requests/",  # vote_count (integer)
    "/api/v1/requests/?ordering=trending",  # trend_score (float)
    "/api/v1/requests/?ordering=newest",  # created_at (timestamp)
    "/api/v1/releases/",
    "/api/v1/status-updates/",
    "/api/v1/teams/",
    "/api/v1/subscriptions/",
    "/api/v1/inbox/",
    "/api/v1/channel-endpoints/",
    "/api/v1/channel-routes/",
]
NON_TEXT_LISTS = [url for url in LISTS if url not in {"/api/v1/capabilities/", "/api/v1/teams/"}]


def encode(query: str) -> str:
    return base64.b64encode(query.encode()).decode("ascii")


def with_cursor(url: str, cursor: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}cursor={cursor}"


def api(world: TenantWorld, role: str = "admin") -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens[role]}"})


def snapshot(world: TenantWorld) -> str:
    """Every tenant-owned row of the world's tenant: equal digests mean nothing was written. API tokens are
    left out: authenticating a request stamps its token's `last_used_at`, whatever the request asks."""
    digest = hashlib.sha256()
    with tenant_context(world.tenant):
        for model in sorted(tenant_models(), key=lambda m: m._meta.label):
            if model is ApiToken:
                continue
            rows = list(model.objects.order_by("pk").values())
            digest.update(json.dumps([model._meta.label, rows], default=str, sort_keys=True).encode())
    return digest.hexdigest()


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]


def assert_invalid_cursor(response) -> None:
    assert response.status_code == 400, response.content[:300]
    error = error_of(response)
    assert error["status"] == 400 and error["fields"] == {"cursor": INVALID_CURSOR}


@pytest.fixture
def filled(world_a: TenantWorld) -> TenantWorld:
    """A capability with a release, and two requests: every list has rows, so a page query really runs."""
    capability = make_capability(world_a.tenant, world_a.team, name="Kafka Topics")
    make_release(world_a.tenant, capability, publish=True)
    make_request(world_a.tenant, world_a.member, title="Kafka topic quotas please")
    make_request(world_a.tenant, world_a.member, title="Faster topic provisioning")
    return world_a


# -- cursors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", LISTS)
def test_a_cursor_decoding_to_a_nul_is_a_400_on_every_list(filled, url):
    assert_invalid_cursor(api(filled).get(with_cursor(url, NUL_CURSOR)))


@pytest.mark.parametrize("url", NON_TEXT_LISTS)
def test_a_text_position_on_a_numeric_or_timestamp_ordering_is_a_400(filled, url):
    assert_invalid_cursor(api(filled).get(with_cursor(url, TEXT_ON_NUMBER_CURSOR)))


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!not-base64",
        "w6k=",  # base64 of non-ASCII bytes
        encode("o=x"),  # offset not a number
        encode("o=-1&p=1"),  # negative offset
        encode("r=yes&p=1"),  # reverse flag not a number
        encode("p=1%00"),  # a NUL after a valid number
        encode("p=" + "9" * 30),  # past any integer column
        encode("p=" + "9" * 5_000),  # more digits than Python converts
        encode("p="),  # an empty position
    ],
    ids=[
        "garbage",
        "non-ascii",
        "offset",
        "negative-offset",
        "reverse",
        "nul-after",
        "overflow",
        "digits",
        "empty",
    ],
)
def test_every_undecodable_or_unusable_cursor_is_the_same_400(filled, cursor):
    """DRF answers an undecodable cursor with 404; here every bad cursor is one 400, whatever went wrong."""
    assert_invalid_cursor(api(filled).get(with_cursor("/api/v1/requests/", cursor)))


@pytest.mark.parametrize(
    ("url", "position"),
    [
        ("/api/v1/capabilities/?ordering=-updated", "2024-13-45 99:00:00"),
        ("/api/v1/capabilities/?ordering=-updated", "yesterday"),
        ("/api/v1/releases/", "1"),
        ("/api/v1/inbox/", "1.5"),
        ("/api/v1/requests/?ordering=trending", "fast"),
    ],
)
def test_a_position_that_does_not_fit_the_ordering_field_is_a_400(filled, url, position):
    assert_invalid_cursor(api(filled).get(with_cursor(url, encode(f"p={position}"))))


def test_a_bad_cursor_changes_nothing(filled):
    before = snapshot(filled)
    for url in LISTS:
        api(filled).get(with_cursor(url, NUL_CURSOR))
        api(filled).get(with_cursor(url, TEXT_ON_NUMBER_CURSOR))
    assert snapshot(filled) == before


@pytest.mark.parametrize("url", ["/api/v1/capabilities/", "/api/v1/requests/", "/api/v1/releases/"])
def test_cursors_the_api_hands_out_still_page_through_every_row(filled, url):
    """The positive control: validation accepts the positions pagination itself encodes (text, integers,
    timestamps with their time zone), forwards and backwards."""
    client = api(filled)
    page = client.get(f"{url}?page_size=1").json()
    seen = [page["results"][0]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += page["results"]
    assert len(seen) == client.get(url).json()["results"].__len__() >= 1
    if len(seen) > 1:
        back = client.get(page["previous"])
        assert back.status_code == 200 and back.json()["results"] == seen[-2:-1]


def test_any_text_without_nul_is_a_usable_position_on_a_text_ordering(filled):
    response = api(filled).get(with_cursor("/api/v1/capabilities/", encode("p=Kafka")))
    assert response.status_code == 200 and [c["name"] for c in response.json()["results"]] == ["Kafka Topics"]


# -- deeply nested JSON --------------------------------------------------------------------------------


def nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def json_routes(world: TenantWorld) -> list[tuple[str, str]]:
    with tenant_context(world.tenant):
        capability = make_capability(world.tenant, world.team, name="Deep Capability")
        release = make_release(world.tenant, capability)
    number = make_request(world.tenant, world.member, title="Deep nesting request").number
    return [
        ("post", "/api/v1/capabilities/"),
        ("put", f"/api/v1/capabilities/{capability.slug}/"),
        ("patch", f"/api/v1/capabilities/{capability.slug}/"),
        ("post", f"/api/v1/capabilities/{capability.slug}/status/"),
        ("post", f"/api/v1/capabilities/{capability.slug}/archive/"),
        ("post", "/api/v1/releases/"),
        ("patch", f"/api/v1/releases/{release.pk}/"),
        ("post", "/api/v1/requests/"),
        ("patch", f"/api/v1/requests/{number}/"),
        ("post", f"/api/v1/requests/{number}/comments/"),
        ("post", f"/api/v1/requests/{number}/status/"),
        ("post", "/api/v1/subscriptions/"),
        ("post", "/api/v1/channel-endpoints/"),
        ("put", "/api/v1/channel-preferences/email/"),
    ]


def send(client: Client, method: str, url: str, body: str):
    call: Callable = getattr(client, method)
    return call(url, body, content_type="application/json")


def test_a_json_body_nested_20000_levels_is_a_400_on_every_json_route_and_writes_nothing(world_a):
    routes = json_routes(world_a)
    before = snapshot(world_a)
    for method, url in routes:
        response = send(api(world_a), method, url, DEEP_BODY)
        assert response.status_code == 400, (method, url, response.content[:300])
        error = error_of(response)
        assert error["code"] == "parse_error" and "nested deeper" in json.dumps(error), (method, url, error)
    assert snapshot(world_a) == before


@pytest.mark.parametrize("nested", [nested_list, nested_object], ids=["arrays", "objects"])
def test_json_nesting_is_capped_at_the_parsers_depth(world_a, nested):
    """Just past the cap is refused by the parser; at the cap the body reaches the serializer (which says
    the body is not what it expects), so the cap, not the interpreter's recursion limit, draws the line."""
    client = api(world_a)
    refused = send(client, "post", "/api/v1/capabilities/", nested(MAX_JSON_DEPTH + 1))
    assert refused.status_code == 400 and f"nested deeper than {MAX_JSON_DEPTH}" in json.dumps(
        error_of(refused)
    )
    parsed = send(client, "post", "/api/v1/capabilities/", nested(MAX_JSON_DEPTH))
    assert parsed.status_code == 400 and "nested deeper" not in json.dumps(error_of(parsed))


def test_brackets_inside_json_strings_do_not_count_as_nesting(world_a):
    name = "[{" * 40 + " brackets"
    body = json.dumps({"name": name, "owner_team": world_a.team.slug, "summary": "}]" * 100})
    created = send(api(world_a, "maintainer"), "post", "/api/v1/capabilities/", body)
    assert created.status_code == 201, created.content[:300]
    assert created.json()["name"] == name
