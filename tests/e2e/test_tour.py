"""A walk through every main page in a real browser: each renders, htmx runs under the CSP, and nothing
breaks the policy or logs an error (`page.problems` collects both, see conftest.py).

Set `E2E_SCREENSHOTS=/some/dir` to save one full-page screenshot per page (for a human look at the UI).
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import htmx_settled, log_in

# (name, path, heading text) seen by alice, tenant admin of acme and maintainer of Developer Experience.
ADMIN_PAGES = [
    ("home", "/t/acme/", "Acme"),
    ("catalog", "/t/acme/catalog/", "Catalog"),
    ("catalog-mine", "/t/acme/catalog/mine/", None),
    ("capability", "/t/acme/catalog/kafka-topics/", "Kafka Topics"),
    ("capability-new", "/t/acme/catalog/new/", None),
    ("capability-edit", "/t/acme/catalog/kafka-topics/edit/", None),
    ("backstage-import", "/t/acme/catalog/import/", None),
    ("changelog", "/t/acme/catalog/changelog/", "Changelog"),
    ("capability-changelog", "/t/acme/catalog/kafka-topics/changelog/", "Kafka Topics"),
    ("release-new", "/t/acme/catalog/releases/new/", "New release"),
    ("status", "/t/acme/catalog/status/", "Status"),
    ("capability-status", "/t/acme/catalog/kafka-topics/status/", "Kafka Topics"),
    ("feed-link", "/t/acme/catalog/feeds/", None),
    ("teams", "/t/acme/teams/", "Teams"),
    ("team", "/t/acme/teams/streaming/", "Streaming Platform"),
    ("tokens", "/t/acme/tokens/", None),
    ("notification-preferences", "/t/acme/notifications/", None),
    ("inbox", "/t/acme/notifications/inbox/", None),
    ("notification-endpoints", "/t/acme/notifications/endpoints/", None),
]


def _shoot(page, name: str) -> None:
    target = os.environ.get("E2E_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def test_every_main_page_renders_with_htmx_and_without_csp_violations(page, demo):
    log_in(page, "alice")
    for name, path, heading in ADMIN_PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path} answered {response.status}"
        htmx_settled(page)  # htmx `load` triggers (the inbox bell) have been answered
        h1 = page.get_by_role("heading", level=1)
        expect(h1).to_be_visible()
        if heading:
            expect(h1).to_contain_text(heading)
        assert page.evaluate("typeof window.htmx === 'object' && typeof htmx.version === 'string'"), (
            f"htmx did not load on {path}"
        )
        _shoot(page, name)
    assert page.problems.errors == []


def test_pages_outside_a_tenant_render_cleanly(page, demo):
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    _shoot(page, "login")
    log_in(page, "sam")  # member of two tenants: lands on the chooser
    expect(page.get_by_role("link", name="Globex").first).to_be_visible()
    _shoot(page, "choose-tenant")
    assert page.problems.errors == []
    response = page.goto("/t/acme/catalog/no-such-capability/")  # Chromium logs the 404 itself
    assert response.status == 404
    _shoot(page, "not-found")


def test_every_main_page_fits_a_phone_screen(browser, live_server, demo):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "alice")
    nav = page.get_by_role("navigation", name="Main")
    for name, path, _heading in ADMIN_PAGES:
        page.goto(path)
        htmx_settled(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        for link in nav.get_by_role("link").all():  # every nav entry reachable, none pushed off-screen
            expect(link).to_be_in_viewport()
        _shoot(page, f"phone-{name}")
    context.close()
