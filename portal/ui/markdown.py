"""Markdown to safe HTML, for every user-written text in Agora (descriptions, requests, comments, notes).

Markdown is rendered first, then the HTML is sanitised with nh3 against an allowlist: raw HTML in the input,
event-handler attributes, and links or images with schemes other than http(s)/mailto (`javascript:`,
`data:`, `vbscript:`) never reach the page. The result is marked safe only after sanitising.

Emails use `render_markdown_email`: the same HTML without any `<img>`. A remote image in a mail is fetched
by the recipient's mail client when the mail is opened, so it works as a tracking pixel for whoever hosts it
(and a release note goes to every subscriber). Pages keep images; their CSP limits where images load from.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["fenced_code", "tables", "sane_lists"]


EMAIL_TAGS = ALLOWED_TAGS - {"img"}
REMOTE_IMAGE_SCHEMES = {"http", "https"}


def _clean(html: str, tags: set[str]) -> str:
    """nh3 with Agora's attributes, schemes and link `rel`, allowing `tags` (a subset of ALLOWED_TAGS)."""
    return nh3.clean(
        html,
        tags=tags,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes={tag: names for tag, names in ALLOWED_ATTRIBUTES.items() if tag in tags},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
    )


def sanitize_html(html: str) -> str:
    """The allowlist of pages (images included)."""
    return _clean(html, ALLOWED_TAGS)


def sanitize_email_html(html: str) -> str:
    """The allowlist of emails: that of pages without `img`."""
    return _clean(html, EMAIL_TAGS)


def render_markdown(text: str | None) -> SafeString:
    """Render user Markdown to sanitised HTML that templates may output as is."""
    if not text:
        return SafeString("")
    return _rendered(text)


@lru_cache(maxsize=256)
def _rendered(text: str) -> SafeString:
    """The HTML of `text`, remembered per process for the most recent texts: it depends on the text alone,
    and the same bodies render again and again (a request on its page, in the API's answers, after every
    vote: ~0.7 ms each for a few paragraphs). Bounded: 256 texts of at most a few tens of kB."""
    html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
    # nh3 just above removed every tag, attribute and URL scheme outside the allowlist (tests/security).
    return mark_safe(sanitize_html(html))  # nosec B308 B703


def _is_remote(src: str) -> bool:
    """An absolute http(s) URL: the only image worth a link (relative ones mean nothing in a mailbox)."""
    try:
        parts = urlsplit(src)
        return parts.scheme.lower() in REMOTE_IMAGE_SCHEMES and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket: not a URL a link could point to
        return False


class _ImagesToLinks(HTMLParser):
    """Re-serialise nh3's output with every `<img>` replaced by a link to it, or by its alt text.

    Works on already sanitised, well-formed HTML (nh3 output), so it only needs to copy tags, attributes and
    text faithfully; its result is sanitised again without `img` in the allowlist, so no mistake here can
    let an image or markup through. An image inside a link becomes text: anchors cannot nest.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links_open = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self._image(dict(attrs))
            return
        if tag == "a":
            self.links_open += 1
        rendered = "".join(f' {name}="{escape(value or "", quote=True)}"' for name, value in attrs)
        self.out.append(f"<{tag}{rendered}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # nh3 writes void elements without "/>"; either way no end tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.links_open = max(0, self.links_open - 1)
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))

    def _image(self, attrs: dict[str, str | None]) -> None:
        src = (attrs.get("src") or "").strip()
        alt = " ".join((attrs.get("alt") or "").split())
        remote = _is_remote(src)
        text = alt or (src if remote else "")
        if remote and not self.links_open:
            title = attrs.get("title")
            title_attr = f' title="{escape(title, quote=True)}"' if title else ""
            self.out.append(
                f'<a href="{escape(src, quote=True)}"{title_attr}>{escape(text, quote=False)}</a>'
            )
        else:  # data:, relative, or already inside a link: the words only
            self.out.append(escape(text, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out)


def render_markdown_email(text: str | None) -> SafeString:
    """`render_markdown` for the HTML part of an email: remote images become links, others their alt text.

    `![diagram](https://x/y.png)` gives `<a href="https://x/y.png">diagram</a>` (the URL is the link text
    when there is no alt text); `data:` and relative images leave only their alt text. Raw `<img>` tags in
    the Markdown are treated alike. The output contains no `<img>` at all (the final pass forbids the tag).
    """
    if not text:
        return SafeString("")
    html = _clean(md.markdown(text, extensions=EXTENSIONS, output_format="html"), ALLOWED_TAGS)
    if "<img" in html:  # nh3 writes tag names in lower case
        parser = _ImagesToLinks()
        parser.feed(html)
        html = parser.result()
    # The final nh3 pass (img not allowed) is what reaches the email (tests/security/test_email_images.py).
    return mark_safe(sanitize_email_html(html))  # nosec B308 B703
