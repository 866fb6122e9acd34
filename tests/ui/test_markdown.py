"""The shared Markdown renderer is the one gate every user text passes before reaching a page."""

import pytest
from django.template import Context, Template

from portal.ui.markdown import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "![img](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<details open ontoggle=alert(1)>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_classic_xss_payloads_are_neutralised(payload):
    html = str(render_markdown(payload)).lower()
    for needle in (
        "<script",
        "javascript:",
        "vbscript:",
        "data:",
        "onerror",
        "onload",
        "ontoggle",
        "<iframe",
        "<svg",
        "style=",
    ):
        assert needle not in html, (payload, html)


def test_markdown_still_renders_what_people_write():
    html = str(
        render_markdown("## Usage\n\n**Bold** and [docs](https://docs.example.com/x)\n\n```\ncode\n```")
    )
    assert "<h2>Usage</h2>" in html
    assert "<strong>Bold</strong>" in html
    assert 'href="https://docs.example.com/x"' in html and 'rel="noopener noreferrer nofollow ugc"' in html
    assert "<pre><code>code" in html


def test_template_filter_outputs_sanitised_html_unescaped():
    out = Template("{{ text|markdown }}").render(Context({"text": "*hi* <script>x</script>"}))
    assert "<em>hi</em>" in out and "<script" not in out


def test_a_text_is_rendered_once_and_every_text_as_itself():
    """Rendering is remembered per text (request bodies render on every vote's answer and page view);
    the key is the whole text, so an edited text never gets the HTML of its earlier version."""
    first = render_markdown("Needs **Avro** schemas.")
    assert render_markdown("Needs **Avro** schemas.") is first
    edited = render_markdown("Needs **Protobuf** schemas.")
    assert "<strong>Protobuf</strong>" in edited and "Avro" not in edited
    assert "<strong>Avro</strong>" in first
