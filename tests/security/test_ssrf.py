"""Server-side request forgery: chat and webhook endpoints can never make the worker reach inside.

Real listeners on the loopback interface stand in for the internal services an attacker would aim at. Every
address form is tried at registration (service, API, page) and at send (an endpoint row written directly,
as if the rules tightened or DNS changed after registration). Forms that do not mean loopback (10.0.0.1,
169.254.169.254, ...) have no listener here: a connection recorder refuses to open any socket outside
127.0.0.0/8 and ::1, so even a broken guard sends no packet off this machine, and the test sees the attempt.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from portal.notifications.models import ChannelEndpoint, Delivery
from portal.notifications.services import endpoints as services
from portal.notifications.tasks import send_batch
from portal.security import outbound
from portal.tenancy.context import tenant_context
from tests.notifications.helpers import publish

pytestmark = pytest.mark.django_db

SECRET_BODY = "root:x:0:0:SECRET-INTERNAL-DATA"


class Listener:
    """A real HTTP server on a loopback address that records every hit and answers as scripted."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.hits: list[dict] = []
        self.answer: tuple[int, dict[str, str], str] = (200, {}, "ok")
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                listener.hits.append(
                    {"path": self.path, "host": self.headers.get("Host"), "body": self.rfile.read(length)}
                )
                status, headers, body = listener.answer
                self.send_response(status, "LEAKED-REASON-PHRASE")
                for name, value in headers.items():
                    self.send_header(name, value)
                data = body.encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        server_class = ThreadingHTTPServer
        if ":" in host:
            server_class = type("V6Server", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
        self.server = server_class((host, port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def connections(monkeypatch):
    """Every socket the guarded client opens; anything outside loopback is refused before it is opened."""
    opened: list[str] = []
    real = socket.create_connection

    def recording(address, *args, **kwargs):
        opened.append(address[0])
        ip = ipaddress.ip_address(address[0].split("%")[0])
        if not ip.is_loopback and not (ip.version == 6 and ip.ipv4_mapped and ip.ipv4_mapped.is_loopback):
            raise ConnectionRefusedError(f"test safety net: no traffic to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(outbound.socket, "create_connection", recording)
    return opened


@pytest.fixture(autouse=True)
def _plain_http_allowed(settings):
    """Local listeners speak plain http; the https rule has its own test below."""
    settings.NOTIFY_WEBHOOK_ALLOW_HTTP = True
    settings.OUTBOUND_ALLOWED_NETWORKS = []


# Forms that mean this machine: each reaches the loopback listener if the guard lets it through.
LOOPBACK_FORMS = [
    "127.0.0.1",
    "127.0.0.2",  # the whole 127/8 is loopback
    "2130706433",  # 127.0.0.1 as one integer
    "0x7f000001",  # ... in hex
    "0177.0.0.1",  # ... in octal
    "127.1",  # ... in short form
    "localhost",
    "0.0.0.0",  # the unspecified address connects to this host on Linux
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
]
# Forms of internal networks elsewhere: never connected to (the safety net would record it).
INTERNAL_FORMS = [
    "169.254.169.254",  # cloud metadata
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # CGNAT shared space
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "198.18.0.1",  # benchmarking range
    "[fd00::1]",  # RFC 4193 unique local
    "[fe80::1]",  # link-local
    "[ff02::1]",  # multicast
    "[::]",  # unspecified
    "[::ffff:10.0.0.1]",  # IPv4-mapped private
    "[::ffff:169.254.169.254]",
    "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
]


def endpoint_row(team, *, kind: str, url: str) -> ChannelEndpoint:
    """An endpoint as it may sit in the database after the rules changed: no registration check."""
    endpoint = ChannelEndpoint(team=team, kind=kind, name=f"raw-{ChannelEndpoint.objects.count()}")
    endpoint.set_url(url)
    endpoint.set_secret("s3cret")
    endpoint.save()
    return endpoint


def send_to(world, endpoint: ChannelEndpoint) -> Delivery:
    """Send one notification to `endpoint` through the real channel code, in this process."""
    notification = publish(world.tenant)
    with tenant_context(world.tenant):
        delivery = Delivery.objects.create(
            notification=notification,
            channel=endpoint.kind,
            endpoint=endpoint,
            next_attempt_at=timezone.now(),
        )
    send_batch(tenant_id=world.tenant.pk, channel=endpoint.kind, delivery_ids=[delivery.pk])
    with tenant_context(world.tenant):
        return Delivery.objects.get(pk=delivery.pk)


# --- registration -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", LOOPBACK_FORMS + INTERNAL_FORMS)
def test_every_internal_form_is_refused_at_registration(world_a, listener, connections, host):
    url = f"http://{host}:{listener.port}/hook"
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError) as refused:
            services.endpoint_create(team=world_a.team, kind="webhook", name="x", url=url)
        assert "internal networks" in str(refused.value)
        assert not ChannelEndpoint.objects.exists()
    assert listener.hits == [] and connections == []


def test_registration_through_the_api_and_the_page_answers_400_and_stores_nothing(
    world_a, listener, connections, login
):
    url = f"http://2130706433:{listener.port}/latest/meta-data/"
    api = Client(headers={"Authorization": f"Bearer {world_a.tokens['maintainer']}"})
    answer = api.post(
        "/api/v1/channel-endpoints/",
        {"team": world_a.team.slug, "kind": "webhook", "name": "x", "url": url},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "internal networks" in answer.json()["error"]["fields"]["url"][0]
    page = login(world_a.maintainer).post(
        f"/t/{world_a.tenant.slug}/notifications/endpoints/",
        {"team": world_a.team.pk, "kind": "webhook", "name": "x", "url": url},
    )
    assert page.status_code == 400 and "internal networks" in page.content.decode()
    with tenant_context(world_a.tenant):
        assert not ChannelEndpoint.objects.exists()
    assert listener.hits == [] and connections == []


def test_a_name_that_does_not_resolve_is_accepted_and_checked_again_at_send(world_a, connections):
    with tenant_context(world_a.tenant):
        endpoint, _ = services.endpoint_create(
            team=world_a.team, kind="webhook", name="later", url="https://hooks.invalid/x"
        )
    delivery = send_to(world_a, endpoint)
    assert delivery.state == "pending" and delivery.last_error == "the host name does not resolve"
    assert connections == []


# --- send time ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", LOOPBACK_FORMS + INTERNAL_FORMS)
def test_every_internal_form_is_refused_at_send(world_a, listener, connections, host):
    with tenant_context(world_a.tenant):
        endpoint = endpoint_row(world_a.team, kind="webhook", url=f"http://{host}:{listener.port}/hook")
    delivery = send_to(world_a, endpoint)
    assert delivery.state == "failed" and delivery.last_error.startswith("refused: The address is")
    with tenant_context(world_a.tenant):
        endpoint.refresh_from_db()
    assert endpoint.last_error.startswith("refused:")
    assert listener.hits == [] and connections == []


def test_ipv6_loopback_is_refused_and_allowed_only_by_its_own_network(world_a, connections, settings):
    if not ipv6_loopback_available():
        pytest.skip("this machine has no IPv6 loopback")
    server = Listener("::1")
    try:
        with tenant_context(world_a.tenant):
            endpoint = endpoint_row(world_a.team, kind="webhook", url=f"http://[::1]:{server.port}/hook")
        assert send_to(world_a, endpoint).state == "failed"
        settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # an IPv4 allowance does not open ::1
        assert send_to(world_a, endpoint).state == "failed"
        assert server.hits == [] and connections == []
        settings.OUTBOUND_ALLOWED_NETWORKS = ["::1/128"]
        assert send_to(world_a, endpoint).state == "sent"
        assert len(server.hits) == 1
    finally:
        server.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "127.1", "localhost"])
def test_an_allowlisted_network_is_delivered_to(world_a, listener, connections, settings, host):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    url = f"http://{host}:{listener.port}/hook"
    with tenant_context(world_a.tenant):
        endpoint, _ = services.endpoint_create(team=world_a.team, kind="webhook", name="on-prem", url=url)
    delivery = send_to(world_a, endpoint)
    assert delivery.state == "sent", delivery.last_error
    assert len(listener.hits) == 1 and listener.hits[0]["path"] == "/hook"
    assert set(connections) == {"127.0.0.1"}


def test_the_allowlist_opens_only_the_networks_it_names(world_a, listener, connections, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    with tenant_context(world_a.tenant):
        endpoint = endpoint_row(world_a.team, kind="webhook", url=f"http://127.0.0.1:{listener.port}/")
    assert send_to(world_a, endpoint).state == "failed"
    assert listener.hits == []


def test_dns_rebinding_connects_to_the_address_that_was_checked(world_a, connections, settings, monkeypatch):
    """A name answers an allowed address to the check and an internal one afterwards: one lookup only, and
    the connection goes to the checked address (the second listener would see a hit otherwise)."""
    allowed, internal = Listener("127.0.0.2"), Listener("127.0.0.1", 0)
    internal.close()
    internal = Listener("127.0.0.1", allowed.port)  # same port, other address
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    answers = iter(["127.0.0.2"] + ["127.0.0.1"] * 10)
    lookups: list[str] = []

    def rebinding(host, port, *args, **kwargs):
        lookups.append(host)
        address = next(answers) if host == "rebind.test" else host
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", rebinding)
    try:
        with tenant_context(world_a.tenant):
            endpoint = endpoint_row(world_a.team, kind="webhook", url=f"http://rebind.test:{allowed.port}/x")
        delivery = send_to(world_a, endpoint)
        assert delivery.state == "sent", delivery.last_error
        assert lookups.count("rebind.test") == 1  # the socket layer then only parses the checked literal
        assert set(lookups) == {"rebind.test", "127.0.0.2"}
        assert len(allowed.hits) == 1 and internal.hits == []
        assert allowed.hits[0]["host"] == f"rebind.test:{allowed.port}"  # Host names the host, not the IP
    finally:
        allowed.close()
        internal.close()


def test_a_name_with_one_internal_answer_is_refused(world_a, connections, monkeypatch):
    def mixed(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port)),
        ]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", mixed)
    with tenant_context(world_a.tenant), pytest.raises(ValidationError):
        services.endpoint_create(team=world_a.team, kind="webhook", name="x", url="https://mixed.test/")
    assert connections == []


def test_redirects_are_never_followed(world_a, listener, connections, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    listener.answer = (302, {"Location": f"http://127.0.0.1:{listener.port}/elsewhere"}, "")
    with tenant_context(world_a.tenant):
        endpoint, _ = services.endpoint_create(
            team=world_a.team, kind="webhook", name="r", url=f"http://127.0.0.1:{listener.port}/hook"
        )
    delivery = send_to(world_a, endpoint)
    assert delivery.state == "failed" and delivery.last_error == "HTTP 302 Found"
    assert [hit["path"] for hit in listener.hits] == ["/hook"]


def test_failed_sends_keep_the_status_and_a_fixed_reason_never_the_body(
    world_a, listener, connections, settings
):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    listener.answer = (403, {}, SECRET_BODY)
    with tenant_context(world_a.tenant):
        endpoint, _ = services.endpoint_create(
            team=world_a.team, kind="webhook", name="leaky", url=f"http://127.0.0.1:{listener.port}/hook"
        )
    delivery = send_to(world_a, endpoint)
    with tenant_context(world_a.tenant):
        endpoint.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.last_error == endpoint.last_error == "HTTP 403 Forbidden"
    api = Client(headers={"Authorization": f"Bearer {world_a.tokens['maintainer']}"})
    shown = api.get(f"/api/v1/channel-endpoints/{endpoint.pk}/").content.decode()
    assert "HTTP 403 Forbidden" in shown
    for text in (shown, endpoint.last_error, delivery.last_error):
        assert "SECRET-INTERNAL" not in text and "LEAKED" not in text


# --- per-kind hosts and schemes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "url", "accepted"),
    [
        ("slack", "https://hooks.slack.com/services/T0/B0/x", True),
        ("slack", "https://hooks.slack.com.evil.example/services/T0/B0/x", False),
        ("slack", "https://evil.example/services/T0/B0/x", False),
        ("slack", "https://example.com/hooks.slack.com/services/x", False),
        (
            "teams",
            "https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke",
            True,
        ),
        (
            "teams",
            "https://default1.environment.api.powerplatform.com/powerautomate/automations/direct/x",
            True,
        ),
        ("teams", "https://logic.azure.com/workflows/x", False),  # a subdomain is required
        ("teams", "https://contoso.webhook.office.com/webhookb2/x", False),  # retired connectors
        ("teams", "https://evil-logic.azure.com.example/x", False),
        ("webhook", "https://ci.example.com/hook", True),
    ],
)
def test_chat_endpoints_only_on_their_services_hosts(world_a, kind, url, accepted):
    with tenant_context(world_a.tenant):
        if accepted:
            services.endpoint_create(team=world_a.team, kind=kind, name="x", url=url)
        else:
            with pytest.raises(ValidationError):
                services.endpoint_create(team=world_a.team, kind=kind, name="x", url=url)
            assert not ChannelEndpoint.objects.exists()


def test_a_slack_compatible_on_premise_server_is_allowed_by_the_operator(world_a, listener, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    url = f"http://127.0.0.1:{listener.port}/hooks/abc"
    with tenant_context(world_a.tenant), pytest.raises(ValidationError):
        services.endpoint_create(team=world_a.team, kind="slack", name="mm", url=url)
    settings.NOTIFY_SLACK_HOSTS = ["127.0.0.1"]
    with tenant_context(world_a.tenant):
        endpoint, _ = services.endpoint_create(team=world_a.team, kind="slack", name="mm", url=url)
    assert send_to(world_a, endpoint).state == "sent"
    assert len(listener.hits) == 1


def test_host_rules_are_checked_again_at_send(world_a, connections):
    with tenant_context(world_a.tenant):
        endpoint = endpoint_row(world_a.team, kind="slack", url="https://evil.example/services/x")
    delivery = send_to(world_a, endpoint)
    assert delivery.state == "failed" and "hooks.slack.com" in delivery.last_error
    assert connections == []


def test_plain_http_needs_the_operator_switch_also_for_allowlisted_networks(world_a, listener, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.NOTIFY_WEBHOOK_ALLOW_HTTP = False
    with tenant_context(world_a.tenant), pytest.raises(ValidationError, match="https"):
        services.endpoint_create(
            team=world_a.team, kind="webhook", name="x", url=f"http://127.0.0.1:{listener.port}/"
        )
    with tenant_context(world_a.tenant):
        endpoint = endpoint_row(world_a.team, kind="webhook", url=f"http://127.0.0.1:{listener.port}/")
    assert send_to(world_a, endpoint).state == "failed"
    assert listener.hits == []


# --- the guard itself ---------------------------------------------------------------------------------------
def test_the_allowlist_is_off_by_default_also_in_debug():
    """What a fresh `make run` gets: DEBUG on, nothing allowed (read from the settings module itself)."""
    env = {k: v for k, v in os.environ.items() if k != "OUTBOUND_ALLOWED_NETWORKS"}
    env.update(DEBUG="1", DATABASE_URL="sqlite://:memory:", DJANGO_SETTINGS_MODULE="portal.settings")
    code = "from django.conf import settings; print(repr(settings.OUTBOUND_ALLOWED_NETWORKS))"
    shown = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.strip()
    assert shown == "[]"


def test_a_malformed_allowlist_refuses_to_start():
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": "sqlite://:memory:",
        "OUTBOUND_ALLOWED_NETWORKS": "intranet",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode != 0 and "OUTBOUND_ALLOWED_NETWORKS" in result.stderr


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"],
)
def test_public_addresses_pass(address):
    assert outbound.why_internal(ipaddress.ip_address(address)) is None
