"""The in-app inbox and its header bell in a real browser: marking an item read updates the bell in place."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import htmx_settled, log_in, unread_count


def test_marking_an_item_read_updates_the_bell_without_a_reload(page, demo):
    log_in(page, "alice")
    page.goto("/t/acme/notifications/inbox/")
    htmx_settled(page)
    bell = page.locator(".inbox-bell .bell-count")
    before = unread_count(bell.inner_text())
    assert before >= 2, "the demo gives alice several unread notifications"
    expect(bell).to_have_attribute("aria-live", "polite")

    page.evaluate("window.__sameDocument = true")
    first = page.locator(".inbox-item.unread").first
    item_id = first.get_attribute("id")
    first.get_by_role("button", name="Mark read").click()
    item = page.locator(f"#{item_id}")
    expect(item).not_to_have_class(re.compile(r"\bunread\b"))
    expect(item.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(bell).to_have_text(re.compile(rf"^\s*{before - 1}\b"))  # `inbox-changed` refreshed the bell
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_role("button", name="Mark all read").click()  # a plain form post, answered by a redirect
    expect(page.locator(".inbox-item.unread")).to_have_count(0)
    htmx_settled(page)
    expect(bell).to_have_text(re.compile(r"^\s*$"))
    assert page.problems.errors == []
