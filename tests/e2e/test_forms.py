"""Forms that used to ask for ids or free text, in a real browser: pickers, row editors, idempotent posts."""

from __future__ import annotations

import contextlib

from playwright.sync_api import expect

from catalog.releases.models import StatusUpdate
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Tenant
from tests.browser import new_page
from tests.e2e.conftest import htmx_settled, log_in

MESSAGE = "Double-clicked: produce latency is up."


def _updates() -> int:
    with tenant_context(Tenant.objects.get(slug="acme")):
        return StatusUpdate.objects.filter(message=MESSAGE).count()


def _fill_status_form(page) -> None:
    log_in(page, "bob")  # maintainer of Streaming Platform, which owns Kafka Topics
    page.goto("/t/acme/catalog/kafka-topics/status/")
    form = page.locator("#status-form")
    form.get_by_label("Status").select_option(label="Degraded")
    form.get_by_label("Message").fill(MESSAGE)


def test_double_clicking_post_without_javascript_posts_one_status_update(browser, live_server, demo):
    """The plain form on a slow connection: the second click comes before the first answer arrived, so
    the browser sends the form again (dropping the first answer). The server answers both with one update.

    "Slow" is made deterministic by holding back the first answer in the browser (the server has handled
    it already: `route.fetch` sent it); the second POST then goes out from the same, still shown, form.
    """
    page = new_page(browser, live_server.url, java_script_enabled=False)
    held: list = []

    def late_first_answer(route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)  # the server handles the POST now
        if not held:
            held.append(route)  # ...but its answer never reaches the browser
            return
        route.fulfill(response=answer)

    try:
        _fill_status_form(page)
        page.route("**/kafka-topics/status/", late_first_answer)
        box = page.locator("#status-form").get_by_role("button", name="Post").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.click(x, y)  # raw mouse presses: they do not wait for the navigation to finish
        while not held:  # until the first POST has been handled by the server (not a timed assertion)
            page.wait_for_timeout(50)
        page.mouse.click(x, y)  # the double click's second press, on the same, still shown, form
        expect(page.get_by_text("Posted.", exact=True)).to_be_visible()
        assert _updates() == 1
        expect(page.locator("#status-board .incident").filter(has_text=MESSAGE)).to_have_count(1)
    finally:
        for route in held:
            with contextlib.suppress(Exception):  # the browser cancelled that navigation itself
                route.abort()
        page.context.close()


def test_double_clicking_post_with_htmx_posts_one_update_and_says_posted_in_place(page, demo):
    _fill_status_form(page)
    page.locator("#status-form").get_by_role("button", name="Post").dblclick()
    expect(page.locator("#status-board").get_by_role("status").filter(has_text="Posted.")).to_be_visible()
    htmx_settled(page)
    assert _updates() == 1
    expect(page.locator("#status-board .incident").filter(has_text=MESSAGE)).to_have_count(1)
    assert page.problems.errors == []


def test_link_rows_and_category_picker_on_the_capability_form(page, demo):
    log_in(page, "bob")
    page.goto("/t/acme/catalog/new/")
    page.locator("#id_name").fill("Kafka Connect")
    page.locator("#id_owner_team").select_option(label="Streaming Platform")
    page.locator("#id_category").select_option(label="New category…")
    page.locator("#id_new_category").fill("Data Integration")
    page.get_by_label("Kind of link 1").select_option(label="Runbook")
    page.get_by_label("Title of link 1").fill("Connect runbook")
    page.get_by_label("URL of link 1").fill("https://docs.example.com/connect-runbook")
    page.get_by_role("button", name="Add a link").click()  # htmx posts the form back with one more row
    expect(page.get_by_label("Title of link 2")).to_be_visible()
    expect(page.get_by_label("Title of link 1")).to_have_value("Connect runbook")
    page.get_by_label("Title of link 2").fill("Connect guide")
    page.get_by_label("URL of link 2").fill("https://docs.example.com/connect")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kafka Connect")
    expect(page.get_by_role("link", name="Connect runbook")).to_be_visible()
    expect(page.get_by_role("link", name="Connect guide")).to_be_visible()
    expect(page.get_by_text("Data Integration").first).to_be_visible()
    assert page.problems.errors == []


def test_merge_target_is_suggested_while_typing(page, demo):
    from requests_app.models import FeatureRequest

    with tenant_context(Tenant.objects.get(slug="acme")):
        source, target = FeatureRequest.objects.filter(
            status__in=["new", "under_review", "planned"]
        ).order_by("number")[:2]
    log_in(page, "alice")  # a tenant admin triages every request
    page.goto(f"/t/acme/requests/{source.number}/")
    page.get_by_text("Merge into another request").click()
    field = page.get_by_label("Duplicate of request")
    field.fill(target.title.split()[0])
    suggestions = page.locator("#merge-suggest")
    expect(suggestions).to_contain_text(f"#{target.number}")
    expect(page.locator(f'#merge-suggest-list option[value="#{target.number}"]')).to_have_count(1)
    expect(page.locator(f'#merge-suggest-list option[value="#{source.number}"]')).to_have_count(0)
    assert page.problems.errors == []
