"""The feature-request board in a real browser: file a request (a duplicate is suggested while typing), a
colleague votes from the board (count updates in place), the owning team plans it; the roadmap shows it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import PageProblems, htmx_settled, log_in

NO_RELOAD_MARK = "window.__sameDocument = true"  # survives only while the page is never reloaded
TITLE = "Schema validation when creating new topics"


def _shoot(page, name: str) -> None:
    """`E2E_SCREENSHOTS=/some/dir` saves a full-page screenshot (for a human look at the UI)."""
    target = os.environ.get("E2E_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def _page_for(browser, live_server, username: str):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.problems = PageProblems(page)
    log_in(page, username)
    return context, page


def test_file_vote_triage_and_see_it_on_the_roadmap(browser, live_server, demo):
    # 1. Carol files a request from the Kafka Topics page; a similar one is suggested while she types.
    carol_context, carol = _page_for(browser, live_server, "carol")
    carol.goto("/t/acme/catalog/kafka-topics/")
    panel = carol.locator('[data-panel="requests"]')
    expect(panel).to_contain_text("Top feature requests")
    panel.get_by_role("link", name="Request a feature").click()
    expect(carol).to_have_url(re.compile(r"/t/acme/requests/new/\?capability=kafka-topics$"))
    form = carol.locator("#request-form")
    expect(form.get_by_label("Capability")).to_have_value("kafka-topics")
    carol.evaluate(NO_RELOAD_MARK)
    form.get_by_label("Title").press_sequentially(TITLE, delay=15)
    similar = carol.locator("#similar-requests")
    expect(similar).to_contain_text("Similar requests — vote instead?")
    expect(
        similar.get_by_role("link", name=re.compile("Validate schemas in the topic request form"))
    ).to_be_visible()
    assert carol.evaluate("window.__sameDocument") is True
    _shoot(carol, "request-new-similar")

    form.get_by_label("Description").fill(
        "Check **compatibility** against the registry before the topic exists."
    )
    form.get_by_label("Tags").fill("schemas, avro")
    form.get_by_role("button", name="File the request").click()
    expect(carol).to_have_url(re.compile(r"/t/acme/requests/\d+/$"))
    number = int(re.search(r"/requests/(\d+)/$", carol.url).group(1))
    expect(carol.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(carol.locator("#messages")).to_contain_text(f"Filed as #{number}")
    expect(carol.locator(f"#vote-count-{number}")).to_have_text("1 vote")
    expect(carol.get_by_label("Description")).to_contain_text("compatibility")
    _shoot(carol, "request-filed")

    # 2. Dan finds it on the board and votes: the count changes in place, in the same live region.
    dan_context, dan = _page_for(browser, live_server, "dan")
    dan.goto("/t/acme/requests/")
    dan.evaluate(NO_RELOAD_MARK)
    dan.get_by_label("Search requests").fill("schema validation topics")
    expect(dan).to_have_url(re.compile(r"/t/acme/requests/\?q=schema\+validation\+topics$"))
    card = dan.locator(f"#request-{number}")
    expect(card).to_contain_text(TITLE)
    count = dan.locator(f"#vote-count-{number}")
    expect(count).to_have_text("1 vote")
    expect(count).to_have_attribute("aria-live", "polite")
    dan.evaluate(f"document.getElementById('vote-count-{number}').dataset.mark = 'kept'")
    card.get_by_role("button", name=f"Vote for #{number}").click()
    expect(count).to_have_text("2 votes")
    voted = card.get_by_role("button", name=re.compile(rf"Voted for #{number}"))
    expect(voted).to_have_attribute("aria-pressed", "true")
    assert dan.evaluate(f"document.getElementById('vote-count-{number}').dataset.mark") == "kept"
    assert dan.evaluate("window.__sameDocument") is True
    _shoot(dan, "board-voted")
    dan.reload()  # stored, not just shown
    expect(dan.locator(f"#vote-count-{number}")).to_have_text("2 votes")

    # 3. Bob (maintainer of Streaming Platform, which owns Kafka Topics) plans it with a note.
    bob_context, bob = _page_for(browser, live_server, "bob")
    bob.goto(f"/t/acme/requests/{number}/")
    bob.evaluate(NO_RELOAD_MARK)
    triage = bob.get_by_role("complementary").locator(".triage")
    triage.get_by_label("New status").select_option(label="Planned")
    triage.get_by_label("Public note").fill("Planned for Q3: the registry check runs in the form.")
    triage.get_by_role("button", name="Change status").click()
    expect(bob.get_by_role("status").filter(has_text=f"#{number} is now planned")).to_be_visible()
    expect(bob.locator(".request-summary .req-status")).to_have_text("Planned")
    history = bob.get_by_role("region", name="History")
    expect(history).to_contain_text("Planned for Q3: the registry check runs in the form.")
    expect(history).to_contain_text("Bob Builder")
    assert bob.evaluate("window.__sameDocument") is True
    _shoot(bob, "request-triaged")

    # 4. Everybody sees it on the roadmap, in the "Planned" column.
    carol.goto("/t/acme/requests/roadmap/")
    planned = carol.get_by_role("region", name=re.compile("^Planned"))
    expect(planned.locator(f"#request-{number}")).to_contain_text(TITLE)
    expect(planned.locator(f"#vote-count-{number}")).to_have_text("2 votes")
    htmx_settled(carol)
    _shoot(carol, "roadmap")

    for who in (carol, dan, bob):
        assert who.problems.errors == []
    for context in (carol_context, dan_context, bob_context):
        context.close()


def test_board_pages_fit_a_phone_screen(browser, live_server, demo):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.problems = PageProblems(page)
    log_in(page, "bob")
    for path in [
        "/t/acme/requests/",
        "/t/acme/requests/roadmap/",
        "/t/acme/requests/4/",
        "/t/acme/requests/new/",
        "/t/acme/catalog/kafka-topics/",
    ]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        htmx_settled(page)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        _shoot(page, "phone-" + path.strip("/").replace("/", "-"))
    assert page.problems.errors == []
    context.close()
