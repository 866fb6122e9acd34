"""The UI shell in a real browser: login, plugin nav, tenant switcher, 404 for foreign tenants, phones."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import log_in


def test_login_lands_on_the_tenant_home_with_plugin_navigation(page, demo):
    log_in(page, "carol")
    expect(page).to_have_url(f"{page.url.split('/t/')[0]}/t/acme/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Catalog")).to_be_visible()
    expect(nav.get_by_role("link", name="Teams")).to_be_visible()
    assert page.problems.errors == []


def test_wrong_password_shows_an_error_and_stays_logged_out(page, demo):
    log_in(page, "carol", password="wrong")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")


def test_tenant_switcher_lists_only_my_tenants_and_switches(page, demo):
    log_in(page, "sam")  # member of acme and globex: the landing page offers both
    page.goto("/t/acme/")
    switcher = page.locator("details.tenant-switcher")
    switcher.locator("summary").click()
    links = switcher.get_by_role("link")
    expect(links).to_have_count(2)
    switcher.get_by_role("link", name="Globex").click()
    expect(page).to_have_url(f"{page.url.split('/t/')[0]}/t/globex/")
    expect(switcher.locator("summary")).to_have_text("Globex")
    assert page.problems.errors == []


def test_a_foreign_tenant_is_a_plain_404(page, demo):
    log_in(page, "carol")
    response = page.goto("/t/globex/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Globex")


def test_logout_ends_the_session(page, demo):
    log_in(page, "carol")
    page.get_by_role("button", name="Log out carol").click()
    page.goto("/t/acme/")
    expect(page).to_have_url(f"{page.url.split('/accounts/')[0]}/accounts/login/?next=/t/acme/")


def test_pages_fit_a_phone_screen(browser, live_server, demo):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 667}, is_mobile=True
    )
    page = context.new_page()
    log_in(page, "bob")
    for path in ["/t/acme/", "/t/acme/catalog/", "/t/acme/catalog/kafka-topics/", "/t/acme/teams/"]:
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        page.get_by_role("button", name="Menu").click()  # the header folds behind a menu button
        expect(
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog")
        ).to_be_visible()
    context.close()
