"""Pages a new user expects, in a real browser: axe-core finds no serious or critical problem on the main
pages, the header folds into a menu button on a phone, and the status page shows its day history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import new_page
from tests.e2e.axe import axe_script, serious_violations
from tests.e2e.conftest import htmx_settled, log_in

MAIN_PAGES = [
    "/t/acme/",
    "/t/acme/catalog/",
    "/t/acme/catalog/kafka-topics/",
    "/t/acme/requests/",
    "/t/acme/requests/1/",
    "/t/acme/catalog/changelog/",
    "/t/acme/catalog/status/",
    "/t/acme/notifications/",
    "/t/acme/notifications/inbox/",
]


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_serious_or_critical_violation_on_the_main_pages(browser, live_server, demo, width):
    axe_script()  # installs axe-core (npm ci) before the first page, or skips/fails with the reason
    # The page's CSP (nonces) would block the injected axe script; the page's own scripts keep their nonce.
    page = new_page(browser, live_server.url, bypass_csp=True)
    page.set_viewport_size({"width": width, "height": 900})
    try:
        log_in(page, "carol")
        problems = {}
        for path in MAIN_PAGES:
            response = page.goto(path)
            assert response.status == 200, path
            htmx_settled(page)
            found = serious_violations(page)
            if found:
                problems[path] = found
        assert problems == {}
    finally:
        page.context.close()


def test_the_tenant_switcher_is_named_by_what_it_shows(page, demo):
    log_in(page, "carol")
    page.goto("/t/acme/")
    summary = page.locator("details.tenant-switcher summary")
    expect(summary).to_have_text("Acme Corp")
    expect(page.get_by_role("group").or_(summary).first).to_be_visible()
    assert "Acme Corp" in summary.get_attribute("aria-label")


def test_a_menu_button_folds_the_header_on_a_phone(browser, live_server, demo):
    page = new_page(browser, live_server.url)
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        log_in(page, "carol")
        page.goto("/t/acme/catalog/status/")
        button = page.get_by_role("button", name="Menu")
        nav = page.get_by_role("navigation", name="Main")
        expect(button).to_be_visible()
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(nav).to_be_hidden()
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(nav.get_by_role("link", name="Catalog")).to_be_visible()
        page.keyboard.press("Escape")
        expect(nav).to_be_hidden()
        expect(button).to_be_focused()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        page.set_viewport_size({"width": 1280, "height": 900})  # wide: no button, the nav is always there
        expect(button).to_be_hidden()
        expect(nav).to_be_visible()
        assert page.problems.errors == []
    finally:
        page.context.close()


def test_the_status_page_shows_the_banner_rows_of_days_and_subscribe(page, demo):
    log_in(page, "carol")
    page.goto("/t/acme/catalog/status/")
    expect(page.get_by_role("status").first).to_contain_text("operational", ignore_case=True)
    rows = page.locator("ol.uptime")
    assert rows.count() >= 3
    expect(rows.first.locator("li")).to_have_count(90)
    subscribe = page.locator("#subscribe")
    # The demo world is shared by the browser tier: carol may follow the tenant already (another test).
    follow = subscribe.get_by_role("button", name="Follow", exact=True)
    if follow.count():
        follow.click()
    expect(subscribe.get_by_role("button", name="Following", exact=True)).to_be_visible()
    assert page.problems.errors == []
