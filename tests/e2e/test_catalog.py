"""Catalog in a real browser: instant search without reload, URL kept in sync, back button, detail page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import log_in


def test_instant_search_filters_in_place_and_keeps_the_query_in_the_url(page, demo):
    log_in(page, "carol")
    page.goto("/t/acme/catalog/")
    cards = page.locator("#capability-list .capability-card")
    expect(cards.first).to_be_visible()
    total = cards.count()
    assert total >= 5
    page.evaluate("window.__sameDocument = true")  # survives only if the page never reloads
    page.get_by_label("Search the catalog").fill("kafka")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Kafka Topics")
    expect(page).to_have_url(re.compile(r"/t/acme/catalog/\?.*q=kafka"))
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_label("Lifecycle").select_option("beta")
    expect(page).to_have_url(re.compile(r"lifecycle=beta"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=kafka(?!.*lifecycle=beta)"))
    expect(cards).to_have_count(1)
    assert page.problems.errors == []


def test_open_a_capability_and_find_its_docs_link(page, demo):
    log_in(page, "carol")
    page.goto("/t/acme/catalog/?q=kafka")
    page.get_by_role("link", name="Kafka Topics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kafka Topics")
    docs = page.get_by_role("link", name="Kafka handbook")
    expect(docs).to_have_attribute("href", "https://docs.example.com/kafka")
    expect(page.get_by_text("Streaming Platform")).to_be_visible()
    assert page.problems.errors == []


def test_maintainer_sees_inline_errors_then_creates_a_capability(page, demo):
    log_in(page, "bob")
    page.goto("/t/acme/catalog/new/")
    page.locator("#id_name").fill("Kafka Topics")  # slug taken
    page.locator("#id_owner_team").select_option(label="Streaming Platform")
    page.get_by_label("Title of link 1").fill("Evil")
    page.get_by_label("URL of link 1").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save").click()
    errors = page.locator(".field.has-error")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("already uses the slug")
    expect(errors.nth(1)).to_contain_text("http")
    expect(page).to_have_url(re.compile(r"/catalog/new/$"))
    page.locator("#id_name").fill("Kafka Connect")
    page.get_by_label("Title of link 1").fill("Connect guide")
    page.get_by_label("URL of link 1").fill("https://docs.example.com/connect")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/t/acme/catalog/kafka-connect/$"))
    expect(page.get_by_role("link", name="Connect guide")).to_be_visible()
    assert page.problems.errors == []
