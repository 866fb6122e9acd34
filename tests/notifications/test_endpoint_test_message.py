""" "Send a test message" on a team endpoint: the real channel payload through the guarded client.

A local HTTP receiver stands in for Slack/Teams/the webhook, reachable only through the operator settings
an on-premise install uses (the allowlist of tests/integration/conftest.py, LOCAL_RECEIVERS_ENV), never a
bypass. The page shows the status and our own reason, limits tests per endpoint per minute (429), and
audits every attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.accounts.models import AuditEntry
from portal.notifications import services
from portal.notifications.models import ChannelEndpoint, Delivery
from portal.notifications.services.endpoints import TEST_MESSAGES_PER_MINUTE
from portal.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


class Receiver:
    """Records POSTs; answers `status` (200 unless a test changes it) with a body we must never show."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.hits.append((self.path, dict(self.headers), body))
                reply = b"<b>remote text</b>"
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    # The documented on-premise settings (tests/integration/conftest.py, LOCAL_RECEIVERS_ENV).
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.NOTIFY_WEBHOOK_ALLOW_HTTP = True
    settings.NOTIFY_SLACK_HOSTS = ["127.0.0.1"]
    settings.NOTIFY_TEAMS_HOSTS = ["127.0.0.1"]
    state = Receiver()
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


def endpoint(world, kind: str, url: str) -> tuple[ChannelEndpoint, str]:
    with tenant_context(world.tenant):
        return services.endpoint_create(team=world.team, kind=kind, name=f"{kind} test", url=url)


def detail(world, ep) -> str:
    return f"/t/{world.tenant.slug}/notifications/endpoints/{ep.pk}/"


@pytest.mark.parametrize("kind", ["slack", "teams", "webhook"])
def test_a_test_message_goes_through_the_real_channel_payload_and_shows_the_answer(
    world_a, receiver, login, kind
):
    ep, secret = endpoint(world_a, kind, receiver.url(f"/{kind}"))
    page = login(world_a.maintainer).get(detail(world_a, ep)).text
    assert "Send a test message" in page
    answer = login(world_a.maintainer).post(detail(world_a, ep), {"action": "test"})
    assert answer.status_code == 200
    assert "Test message sent: the endpoint answered HTTP 200 OK." in answer.text
    assert "remote text" not in answer.text
    [(path, headers, body)] = receiver.hits
    sent = json.loads(body)
    assert path == f"/{kind}"
    if kind == "slack":
        assert sent["blocks"][0]["text"]["text"].startswith("Test message from Agora")
    elif kind == "teams":
        assert sent["attachments"][0]["content"]["type"] == "AdaptiveCard"
    else:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Agora-Signature"] == expected and headers["X-Agora-Test"] == "1"
        assert sent["notification"]["title"].startswith("Test message from Agora")
    with tenant_context(world_a.tenant):
        entry = AuditEntry.objects.get(action="endpoint.test")
        assert entry.target_id == str(ep.pk) and entry.after["status"] == 200
        assert not Delivery.objects.exists()  # a test is not a notification


def test_a_failing_endpoint_shows_the_status_and_our_reason_only(world_a, receiver, login):
    receiver.status = 403
    ep, _ = endpoint(world_a, "slack", receiver.url("/denied"))
    answer = login(world_a.maintainer).post(detail(world_a, ep), {"action": "test"})
    assert answer.status_code == 200
    assert "not delivered: the endpoint answered HTTP 403 Forbidden" in answer.text
    assert "remote text" not in answer.text


def test_an_internal_destination_is_refused_without_the_allowlist(world_a, receiver, login, settings):
    ep, _ = endpoint(world_a, "webhook", receiver.url("/hook"))
    settings.OUTBOUND_ALLOWED_NETWORKS = []  # the operator took 127.0.0.0/8 off the list
    answer = login(world_a.maintainer).post(detail(world_a, ep), {"action": "test"})
    assert "not delivered" in answer.text and "refused" in answer.text
    assert receiver.hits == []


def test_test_messages_are_rate_limited_per_endpoint(world_a, receiver, login):
    ep, _ = endpoint(world_a, "webhook", receiver.url("/a"))
    other, _ = endpoint(world_a, "slack", receiver.url("/b"))
    client = login(world_a.maintainer)
    for _ in range(TEST_MESSAGES_PER_MINUTE):
        assert client.post(detail(world_a, ep), {"action": "test"}).status_code == 200
    limited = client.post(detail(world_a, ep), {"action": "test"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "test messages a minute" in limited.text
    assert len(receiver.hits) == TEST_MESSAGES_PER_MINUTE
    assert client.post(detail(world_a, other), {"action": "test"}).status_code == 200  # its own budget


def test_only_the_endpoints_maintainers_may_test_it(world_a, world_b, receiver, login):
    ep, _ = endpoint(world_a, "webhook", receiver.url("/x"))
    assert login(world_a.member).post(detail(world_a, ep), {"action": "test"}).status_code == 404
    assert (
        login(world_b.admin).post(f"/t/beta/notifications/endpoints/{ep.pk}/", {"action": "test"}).status_code
        == 404
    )
    assert receiver.hits == []
