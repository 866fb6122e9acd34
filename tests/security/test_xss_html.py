"""Stored XSS, checked on the HTML the server sends (fast, no browser): every payload of the corpus in every
field users can write, on every page that shows it. The browser twin (test_xss_browser.py) proves that
nothing executes; this one names the page and the markup when something slips through.

The check reads the HTML the way a browser's tokenizer does (Python's html.parser, entities decoded in
attribute values) and refuses what could run script: a <script> that is not one of the site's own static
files, any `on*` event-handler or `hx-on` attribute, a URL attribute whose scheme (after the whitespace
and control characters browsers ignore) is `javascript:`, `vbscript:` or `data:`, and the elements that
embed documents or script (iframe, object, embed, svg, math, base, ...), none of which the site emits.
"""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest

from portal.ui.markdown import ALLOWED_TAGS, render_markdown
from tests.factories import PASSWORD
from tests.security.conftest import PAYLOADS, build_xss_world

MIN_PAYLOADS = 100
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "background", "poster", "xlink:href", "ping", "cite",
    "srcset", "lowsrc", "dynsrc", "codebase", "manifest", "icon",
}  # fmt: skip
NEVER_EMITTED = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "base", "portal", "isindex",
    "keygen", "xmp", "plaintext", "noembed", "dialog", "video", "audio", "source", "template",
    "style", "marquee", "animate", "set", "foreignobject", "xss", "image",
}  # fmt: skip
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):")
BAD_STYLE = re.compile(r"expression|javascript|vbscript|url\(|behavior|@import", re.IGNORECASE)
# What browsers drop from a URL before reading its scheme (WHATWG URL parsing): leading and trailing C0
# controls and spaces, and every tab and newline anywhere ("java\tscript:" is "javascript:").
C0_OR_SPACE = "".join(map(chr, range(0x21)))
TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")


def url_as_browsers_read_it(value: str) -> str:
    return TAB_OR_NEWLINE.sub("", value.strip(C0_OR_SPACE)).lower()


class ScriptFinder(HTMLParser):
    """Collects every construct of a document that could run script, with a short description."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        shown = self.get_starttag_text() or tag
        if tag == "script" and not values.get("src", "").startswith("/static/"):
            self.found.append(f"script element: {shown}")
        if tag in NEVER_EMITTED:
            self.found.append(f"<{tag}> element: {shown}")
        if tag == "meta" and "http-equiv" in values:
            self.found.append(f"meta refresh: {shown}")
        if tag == "link" and not values.get("href", "").startswith("/static/"):
            self.found.append(f"foreign link element: {shown}")
        for name, value in values.items():
            if name.startswith("on") or name.startswith("hx-on") or name in {"srcdoc", "formaction"}:
                self.found.append(f"{name} attribute: {shown}")
            if name in URL_ATTRIBUTES and BAD_SCHEME.match(url_as_browsers_read_it(value)):
                self.found.append(f"{name} with a script scheme: {shown}")
            if name == "style" and BAD_STYLE.search(value):
                self.found.append(f"style that loads or runs code: {shown}")

    handle_startendtag = handle_starttag


def script_in(html: str) -> list[str]:
    finder = ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def test_the_corpus_is_big_enough_and_distinct():
    assert len(PAYLOADS) >= MIN_PAYLOADS
    assert len(set(PAYLOADS)) == len(PAYLOADS), "a payload is listed twice"


def test_the_checker_sees_what_a_browser_would_run():
    """The detector itself: each of these runs script in a browser, so each must be reported."""
    for html in [
        "<script>top.__xss=1</script>",
        '<img src=x onerror="top.__xss=1">',
        '<a href="  java&#x09;script:top.__xss=1">x</a>',
        '<a href="\x00 JavaScript:top.__xss=1">x</a>',
        "<svg><a xlink:href='javascript:top.__xss=1'>x</a></svg>",
        '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
        '<meta http-equiv="refresh" content="0;url=javascript:top.__xss=1">',
        '<div style="background:url(javascript:top.__xss=1)">x</div>',
    ]:
        assert script_in(html), html
    assert not script_in('<script src="/static/django-htmx/htmx.min.js" defer></script><a href="/x">x</a>')


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_markdown_renders_no_script(payload):
    """Every payload alone through the one renderer all Markdown fields share (emails and feeds too)."""
    html = str(render_markdown(payload))
    assert script_in(html) == [], html
    assert {tag.lower() for tag in re.findall(r"<([a-zA-Z][\w-]*)", html)} <= ALLOWED_TAGS, html


def test_no_page_shows_a_payload_as_markup(client, db, django_capture_on_commit_callbacks):
    """Every payload in every field, through the services, on every page that shows it (as a tenant admin,
    who sees the most: drafts, internal notes, every team's endpoints) and in the readers' inboxes."""
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):  # events fan out: releases reach the inboxes
        world = build_xss_world()
    built = time.monotonic()
    assert world.refused.get("links.url", 0) < len(PAYLOADS), "no payload reached a link's href"
    problems: dict[str, list[str]] = {}
    pages_seen = 0

    def check(path: str) -> None:
        nonlocal pages_seen
        response = client.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"
        found = script_in(response.content.decode())
        if found:
            problems[path] = found[:3]
        pages_seen += 1

    assert client.login(username=world.admin.username, password=PASSWORD)
    for path in world.pages + world.extra_pages:
        check(path)
    for reader in world.readers:
        assert client.login(username=reader.username, password=PASSWORD)
        for path in world.reader_pages:
            check(path)
    print(f"build {built - started:.1f}s, {pages_seen} pages {time.monotonic() - built:.1f}s")
    assert problems == {}
    assert pages_seen > len(world.pages)
