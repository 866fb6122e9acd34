"""No remote images in Agora's emails: an `<img src="https://...">` in release notes would be a tracking pixel
in every subscriber's mailbox (the mail client fetches it, telling its host who opened the mail and when).

Emails turn images into links (`![diagram](https://x/y.png)` → `<a href="https://x/y.png">diagram</a>`, the
URL as text when there is no alt text); `data:` and relative images are dropped (their alt text stays as
text). Pages keep images: the CSP already restricts where they load from.

The end-to-end tests publish a release through the real services and send it over SMTP to the aiosmtpd sink
of tests/integration, immediately and as a daily digest, then read the MIME parts the server received.
"""

from __future__ import annotations

import email.message
import re
from html.parser import HTMLParser

import pytest

from portal.envconfig import parse_email_url
from portal.notifications.engine import digest
from portal.notifications.models import ChannelPreference
from portal.tenancy.context import tenant_context
from portal.ui import markdown
from tests.catalog.releases.factories import capability_of, make_release
from tests.integration.conftest import Sink, smtp_sink  # noqa: F401  (the aiosmtpd sink of the integration tier)
from tests.notifications.helpers import subscribers

DIAGRAM = "https://assets.example.com/kafka/diagram.png"
PIXEL = "https://tracker.example.com/open.gif"
RAW = "https://tracker.example.com/raw.gif"
NOTES = (
    "Partitions now rebalance on their own.\n\n"
    f"![Architecture diagram]({DIAGRAM})\n\n"
    f"Bare image: ![]({PIXEL})\n\n"
    f'<img src="{RAW}" width="1" height="1">\n\n'
    "Inline: ![inline pixel](data:image/gif;base64,R0lGODlhAQABAAAAACw=) and relative: "
    "![local chart](/static/chart.png)"
)
IMG = re.compile(r"<\s*img\b", re.IGNORECASE)


def render(text: str) -> str:
    return str(markdown.render_markdown_email(text))


# --- the renderer -----------------------------------------------------------------------------------
def test_a_remote_image_becomes_a_link_named_by_its_alt_text():
    html = render("See ![diagram](https://x.example/y.png) here.")
    assert not IMG.search(html)
    assert re.search(r'<a href="https://x\.example/y\.png"[^>]*>diagram</a>', html), html
    assert html.startswith("<p>See ") and html.endswith(" here.</p>")


def test_an_image_without_alt_text_becomes_a_link_showing_its_url():
    html = render("![](https://x.example/p.gif)")
    assert not IMG.search(html)
    assert re.search(r'<a href="https://x\.example/p\.gif"[^>]*>https://x\.example/p\.gif</a>', html), html


def test_raw_html_images_are_linked_too_whatever_their_case():
    html = render('<IMG SRC="https://x.example/raw.gif" alt="raw" width=1 height=1 title="t">')
    assert not IMG.search(html)
    assert re.search(r'<a href="https://x\.example/raw\.gif"[^>]*>raw</a>', html), html


@pytest.mark.parametrize(
    "source",
    [
        "![inline pixel](data:image/gif;base64,R0lGODlhAQABAAAAACw=)",
        "![inline pixel](/static/chart.png)",
        "![inline pixel](chart.png)",
        "![inline pixel](//tracker.example.com/p.gif)",
        "![inline pixel](javascript:alert(1))",
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="inline pixel">',
    ],
)
def test_data_relative_and_scriptable_images_are_dropped_keeping_their_alt_text(source):
    html = render(source)
    assert not IMG.search(html)
    assert "<a" not in html and "data:" not in html and "chart.png" not in html and "tracker" not in html
    assert "inline pixel" in html


def test_an_image_inside_a_link_leaves_one_link_and_no_nested_anchor():
    html = render("[![logo](https://x.example/logo.png)](https://x.example/home)")
    assert not IMG.search(html)
    assert html.count("<a ") == 1 and 'href="https://x.example/home"' in html and ">logo</a>" in html


class Elements(HTMLParser):
    """Every (tag, attribute names) in a piece of HTML, as a browser's tokenizer sees them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, set[str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name for name, _ in attrs}))


def test_hostile_alt_text_and_urls_stay_inert_text():
    html = render(
        '![x" onerror="alert(1)](https://x.example/a.png) '
        "![<script>alert(1)</script>](https://x.example/b.png) "
        '<img src="https://x.example/c.png" alt="&lt;b onclick=alert(1)&gt;" onerror="alert(1)">'
    )
    assert Elements(html).found == [("p", set())] + [("a", {"href", "rel"})] * 3, html
    assert 'x" onerror="alert(1)</a>' in html and "&lt;b onclick=alert(1)&gt;</a>" in html
    assert markdown.sanitize_email_html(html) == html  # already clean


def test_everything_else_renders_as_on_pages_and_pages_keep_their_images():
    text = (
        "# Title\n\n**bold** `code` [docs](https://x.example/docs)\n\n| a |\n|---|\n| 1 |\n\n```\n<b>&\n```"
    )
    page = str(markdown.render_markdown(text))
    assert render(text) == page
    assert IMG.search(str(markdown.render_markdown("![d](https://x.example/y.png)")))
    assert render("") == "" and render(None) == ""


# --- the emails, over SMTP --------------------------------------------------------------------------
def parts(message: email.message.Message, content_type: str) -> list[str]:
    return [
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in message.walk()
        if part.get_content_type() == content_type
    ]


@pytest.fixture
def smtp_mailer(settings, smtp_sink):  # noqa: F811  (the fixture imported above)
    """Django's SMTP backend pointed at the sink, as production configures it from EMAIL_URL."""
    sink, port = smtp_sink
    sink.clear()
    settings.MAILERS = parse_email_url(f"smtp://127.0.0.1:{port}")
    return sink


@pytest.mark.django_db
def test_release_emails_link_remote_images_instead_of_loading_them(
    world_a, smtp_mailer: Sink, django_capture_on_commit_callbacks
):
    cap = capability_of(world_a, name="Kafka Topics", slug="kafka")
    immediate, digested = subscribers(world_a.tenant, 2, topic_id=cap.pk)
    with tenant_context(world_a.tenant):
        ChannelPreference.objects.create(user=digested, channel="email", frequency="daily")
    with django_capture_on_commit_callbacks(execute=True):  # event → notification → fan-out → send (eager)
        make_release(
            world_a.tenant, cap, version="3.0.0", title="Self-balancing", notes=NOTES,
            upgrade_notes=f"Compare with ![the old layout]({DIAGRAM}?v=2).", publish=True,
        )  # fmt: skip
    assert digest.queue_digests("daily") == 1
    messages = {m["To"]: m for m in smtp_mailer.parsed()}
    assert set(messages) == {immediate.email, digested.email}
    for address, message in messages.items():
        [html] = parts(message, "text/html")
        assert not IMG.search(html), f"an <img> in the email to {address}"
        assert re.search(rf'<a href="{re.escape(DIAGRAM)}"[^>]*>Architecture diagram</a>', html)
        assert re.search(rf'<a href="{re.escape(DIAGRAM)}\?v=2"[^>]*>the old layout</a>', html)
        assert re.search(rf'<a href="{re.escape(PIXEL)}"[^>]*>{re.escape(PIXEL)}</a>', html)
        assert re.search(rf'<a href="{re.escape(RAW)}"[^>]*>{re.escape(RAW)}</a>', html)
        assert "data:" not in html and "/static/chart.png" not in html
        assert "inline pixel" in html and "local chart" in html
    # The plain-text part of the immediate email shows the image's URL (the digest's lists titles only).
    [text] = parts(messages[immediate.email], "text/plain")
    assert DIAGRAM in text
    assert "Your daily digest" in messages[digested.email]["Subject"]
