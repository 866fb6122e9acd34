"""What a new user meets first, in a real browser under the site's CSP: the API docs render their
operations (Swagger UI and Redoc, served offline), and htmx actions log no CSP violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import htmx_settled, log_in


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug_or_not(request, settings):
    """`make run` serves with DEBUG=1, which adds django-htmx's debug script; production does not."""
    settings.DEBUG = request.param
    return request.param


def test_voting_with_htmx_breaks_no_content_security_policy(page, demo, debug_or_not):
    log_in(page, "dan")
    page.goto("/t/acme/requests/")
    htmx_settled(page)
    button = page.get_by_role("button", name=re.compile(r"^Vote for #\d+")).first
    number = re.search(r"#(\d+)", button.get_attribute("aria-label") or button.inner_text()).group(1)
    count = page.locator(f"#vote-count-{number}")
    before = int(re.search(r"\d+", count.inner_text()).group())
    button.click()
    expect(count).to_have_text(f"{before + 1} votes")
    htmx_settled(page)
    # htmx would inject its indicator <style> on load (blocked by style-src 'self'); the indicator rules
    # live in agora.css instead.
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    opacity = page.evaluate(
        "() => { const s = document.createElement('span'); s.className = 'htmx-indicator';"
        " document.body.append(s); const o = getComputedStyle(s).opacity; s.remove(); return o; }"
    )
    assert opacity == "0"
    assert page.problems.errors == []


def _same_origin_only(page, origin: str) -> list[str]:
    """Every request the page makes that leaves the site (web fonts, CDN images...); there must be none."""
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith((origin, "blob:", "data:")) else outside.append(request.url)
        ),
    )
    return outside


def test_swagger_ui_renders_the_operations(page, live_server):
    outside = _same_origin_only(page, live_server.url)
    response = page.goto("/api/docs/")
    assert response is not None and response.status == 200
    operation = page.locator(
        ".opblock", has=page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/capabilities/$"))
    )
    expect(operation.first).to_be_visible(timeout=30_000)  # after the schema is generated
    operation.first.locator(".opblock-summary").first.click()  # expands: the parameters render
    expect(operation.first.locator(".opblock-body")).to_be_visible()
    assert outside == []
    assert page.problems.errors == []


def test_redoc_renders_the_operations(page, live_server):
    outside = _same_origin_only(page, live_server.url)
    response = page.goto("/api/redoc/")
    assert response is not None and response.status == 200
    expect(page.locator(".api-content")).to_be_visible(timeout=30_000)  # after the schema is generated
    operation = page.locator("[id='operation/v1_capabilities_list']")
    operation.scroll_into_view_if_needed()
    expect(operation).to_be_visible()
    expect(operation.get_by_role("heading", level=2)).to_be_visible()
    expect(operation.get_by_text("/api/v1/capabilities/", exact=True).first).to_be_attached()
    assert page.locator("text=Something went wrong").count() == 0
    assert outside == []
    assert page.problems.errors == []
