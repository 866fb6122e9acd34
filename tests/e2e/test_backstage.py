"""Backstage import through the page in a real browser: preview, confirm, find the result; a broken file is
named with its document and field, and writes nothing."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import log_in

CATALOG_INFO = b"""\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: search-platform
  title: Search Platform
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: opensearch-clusters
  title: OpenSearch Clusters
  description: Managed OpenSearch clusters with index lifecycle policies.
  tags: [search, opensearch]
  links:
    - url: https://docs.example.com/opensearch
      title: OpenSearch guide
spec:
  type: service
  lifecycle: production
  owner: group:default/search-platform
"""

BROKEN = b"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  title: No name here
spec:
  type: service
  lifecycle: production
  owner: search-platform
"""


def upload(page, name: str, content: bytes, *, dry_run: bool) -> None:
    form = page.locator("#backstage-upload")
    form.get_by_label("Backstage YAML files").set_input_files(
        files=[{"name": name, "mimeType": "application/yaml", "buffer": content}]
    )
    form.get_by_label(re.compile("Preview only")).set_checked(dry_run)
    form.get_by_role("button", name="Upload").click()


def test_admin_previews_then_imports_a_backstage_file(page, demo):
    log_in(page, "alice")  # tenant admin
    page.goto("/t/acme/catalog/import/")
    page.evaluate("window.__sameDocument = true")
    upload(page, "catalog-info.yaml", CATALOG_INFO, dry_run=True)
    result = page.locator("#import-result")
    changes = result.locator("table.backstage-changes tbody tr")
    expect(changes.filter(has_text="opensearch-clusters")).to_have_count(1)
    expect(changes.filter(has_text="search-platform").first).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True

    result.get_by_role("button", name="Import now").click()
    expect(result.locator(".message-success")).to_be_visible()
    result.get_by_role("link", name="Open the catalog").click()
    page.get_by_label("Search the catalog").fill("opensearch")
    cards = page.locator("#capability-list .capability-card")
    expect(cards).to_have_count(1)
    cards.get_by_role("link", name="OpenSearch Clusters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("OpenSearch Clusters")
    expect(page.get_by_role("link", name="OpenSearch guide")).to_have_attribute(
        "href", "https://docs.example.com/opensearch"
    )
    expect(
        page.get_by_role("link", name="Search Platform")
    ).to_be_visible()  # the Group became the owner team
    assert page.problems.errors == []


def test_a_broken_file_is_named_and_nothing_is_written(page, demo):
    log_in(page, "alice")
    page.goto("/t/acme/catalog/import/")
    upload(page, "broken.yaml", CATALOG_INFO + b"---\n" + BROKEN, dry_run=False)
    problem = page.locator("#import-result [role=alert]")
    expect(problem).to_contain_text("broken.yaml")
    expect(problem).to_contain_text("document 3")
    expect(problem).to_contain_text("metadata.name")
    page.goto("/t/acme/catalog/?q=opensearch")
    expect(page.locator("#capability-list .capability-card")).to_have_count(0)
    assert page.problems.errors == []
