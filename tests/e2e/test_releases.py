"""Releases and status updates in a real browser: write, publish, filter the changelog, post an incident and
see it reach a subscriber's inbox bell (Celery runs eagerly in the live server, so delivery is immediate)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PageProblems, htmx_settled, log_in, unread_count

NO_RELOAD_MARK = "window.__sameDocument = true"  # survives only while the page is never reloaded


def test_maintainer_publishes_a_breaking_release_with_inline_validation(page, demo):
    log_in(page, "bob")  # maintainer of Streaming Platform, which owns Kafka Topics
    page.goto("/t/acme/catalog/kafka-topics/")
    page.get_by_role("link", name="New release").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New release of Kafka Topics")
    form = page.locator("#release-form")
    expect(form.get_by_label("Capability")).to_have_value("kafka-topics")
    page.evaluate(NO_RELOAD_MARK)
    form.get_by_label("Version").fill("3.0.0")
    form.get_by_label("Title").fill("Topic names must be lowercase")
    form.get_by_label("Kind").select_option(label="Breaking change")
    form.get_by_role("button", name="Publish now").click()

    error = page.locator("#release-form .field.has-error")  # the form is swapped in place with its errors
    expect(error).to_have_count(1)
    expect(error).to_contain_text("upgrade notes")
    expect(page.locator("#release-form").get_by_label("Version")).to_have_value("3.0.0")
    assert page.evaluate("window.__sameDocument") is True

    page.locator("#release-form").get_by_label("Upgrade notes").fill("Rename topics with `kafkactl rename`.")
    page.locator("#release-form").get_by_role("button", name="Publish now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kafka Topics 3.0.0")
    expect(page.locator(".meta .badge").filter(has_text="Published")).to_be_visible()
    expect(page.get_by_label("Release notes")).to_be_visible()
    expect(page.locator(".upgrade-notes")).to_contain_text("kafkactl rename")

    page.goto("/t/acme/catalog/kafka-topics/")  # the capability's releases panel shows it first
    expect(page.locator(".release").first).to_contain_text("3.0.0")
    assert page.problems.errors == []


def test_changelog_filters_by_kind_in_place_and_back_restores(page, demo):
    log_in(page, "carol")
    page.goto("/t/acme/catalog/changelog/")
    releases = page.locator("#changelog-results .release")
    expect(releases.first).to_be_visible()
    total = releases.count()
    page.evaluate(NO_RELOAD_MARK)

    page.get_by_label("Breaking change").check()
    expect(page).to_have_url(re.compile(r"/changelog/\?kind=breaking$"))
    expect(page.locator("#changelog-results")).to_contain_text("of the chosen kinds")
    shown = releases.count()
    assert 0 < shown < total
    for badge in releases.locator(".badge[class*='kind-']").all():
        expect(badge).to_have_text("Breaking change")
    assert page.evaluate("window.__sameDocument") is True

    page.go_back()
    expect(page).to_have_url(re.compile(r"/changelog/$"))
    expect(releases).to_have_count(total)
    assert page.problems.errors == []


def test_status_update_flows_to_the_status_page_catalog_and_a_subscribers_bell(browser, live_server, demo):
    """Carol subscribes to every status update on her settings page; bob reports an incident on Kafka Topics;
    carol's bell count goes up and the incident is in her inbox; then bob resolves it."""
    watcher_context = browser.new_context(base_url=live_server.url)
    watcher = watcher_context.new_page()
    watcher.set_default_timeout(10_000)
    watcher.problems = PageProblems(watcher)
    log_in(watcher, "carol")
    watcher.goto("/t/acme/notifications/")
    watcher.get_by_label("Every status update").check()
    watcher.locator("#channels").get_by_role("button", name="Save").click()  # htmx swaps the section
    htmx_settled(watcher)
    expect(watcher.get_by_label("Every status update")).to_be_checked()  # as saved, re-rendered
    watcher.goto("/t/acme/notifications/inbox/")
    badge = watcher.locator(".inbox-bell .bell-count")
    htmx_settled(watcher)
    unread_before = unread_count(badge.inner_text())

    maintainer_context = browser.new_context(base_url=live_server.url)
    page = maintainer_context.new_page()
    page.set_default_timeout(10_000)
    page.problems = PageProblems(page)
    log_in(page, "bob")
    page.goto("/t/acme/catalog/kafka-topics/status/")
    form = page.locator("#status-form")
    form.get_by_role("button", name="Post").click()  # no message: refused inline
    expect(page.locator("#status-form .field.has-error")).to_contain_text("required")

    page.evaluate(NO_RELOAD_MARK)
    form = page.locator("#status-form")
    form.get_by_label("Status").select_option(label="Degraded")
    form.get_by_label("Message").fill("Produce latency is up in eu-west-1; we are adding brokers.")
    form.get_by_role("button", name="Post").click()
    current = page.get_by_role("status").filter(has_text="Now:")
    expect(current).to_contain_text("Degraded")
    expect(page.locator("#status-board .incident").first).to_contain_text("Ongoing")
    expect(page.locator("#status-form h2")).to_have_text("Post a follow-up")
    assert page.evaluate("window.__sameDocument") is True

    page.goto("/t/acme/catalog/status/")
    incidents = page.get_by_role("region", name="Current incidents")
    expect(incidents).to_contain_text("Kafka Topics")
    expect(incidents).to_contain_text("Produce latency is up in eu-west-1")
    page.goto("/t/acme/catalog/?q=kafka")
    expect(page.locator("#capability-list .capability-card").first).to_contain_text("Degraded")

    watcher.reload()
    expect(badge).to_have_text(re.compile(rf"^\s*{unread_before + 1}\b"))
    expect(watcher.get_by_role("main")).to_contain_text("Produce latency is up in eu-west-1")

    page.goto("/t/acme/catalog/kafka-topics/status/")
    form = page.locator("#status-form")
    form.get_by_label("Message").fill("Brokers added; latency is back to normal.")
    form.get_by_label(re.compile("Resolved")).check()
    form.get_by_role("button", name="Post").click()
    expect(page.get_by_role("status").filter(has_text="Now:")).to_contain_text("Operational")
    expect(page.locator("#status-board .incident").first).to_contain_text("Resolved")

    assert page.problems.errors == []
    assert watcher.problems.errors == []
    maintainer_context.close()
    watcher_context.close()
