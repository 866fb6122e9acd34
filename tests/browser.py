"""Browser tier helpers shared by tests/e2e and tests/security: real headless Chromium (Debian's package)
driven by Playwright against a live server.

Playwright never downloads a browser here: `CHROMIUM_PATH` (its `executable_path`) points at the system
Chromium (tests/suite.py finds it). Playwright's sync API keeps an event loop in the test thread, so Django's
async-safety guard is relaxed for these tests only; the server itself runs in its own thread.

A conftest makes the fixtures available with `from tests.browser import browser, page`; tests import the
helpers (`log_in`, `PageProblems`, ...) from here.
"""

from __future__ import annotations

import os
import re

import pytest

# One Playwright and one Chromium for the whole run, however many conftests import the fixture: pytest
# makes a separate session fixture per conftest, and Playwright's sync API cannot be started twice.
_running: dict = {}


def _close() -> None:
    if "browser" in _running:
        _running.pop("browser").close()
        _running.pop("playwright").stop()


@pytest.fixture(scope="session")
def browser():
    path = os.environ.get("CHROMIUM_PATH")
    if not path:
        pytest.skip("needs Chromium (CHROMIUM_PATH)")
    # Playwright's loop stays alive for the browser's lifetime (the session; browser tests run last, see
    # tests/conftest.py), and Django refuses sync ORM calls while a loop runs in the thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if "browser" not in _running:
        from playwright.sync_api import sync_playwright

        _running["playwright"] = sync_playwright().start()
        _running["browser"] = _running["playwright"].chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox"]
        )
    yield _running["browser"]
    _close()


# Chromium reports a blocked inline script/style as a `securitypolicyviolation` DOM event (and usually a
# console error). The listener is an init script: Playwright injects it through the DevTools protocol, so the
# page's own CSP does not block it, and it also catches violations after load (e.g. inside an htmx swap).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__agoraCspViolation(`CSP ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


class PageProblems:
    """Console errors and CSP violations seen by a page; every e2e test asserts there are none."""

    # A form answered with its validation errors (400/409/422) is expected; Chromium still logs it.
    EXPECTED = ("status of 400", "status of 409", "status of 422", "status of 429")

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.context.expose_binding("__agoraCspViolation", lambda _source, text: self.errors.append(text))
        page.context.add_init_script(CSP_LISTENER)

    def _console(self, message) -> None:
        if message.type == "error" and not any(e in message.text for e in self.EXPECTED):
            self.errors.append(message.text)


def new_page(browser, base_url: str, **context_options):
    """A page in a fresh context (its own cookies) with `page.problems` listening; close its context."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, **context_options
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.problems = PageProblems(page)
    return page


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server.url)
    yield page
    page.context.close()


def log_in(page, username: str, password: str = "agora-demo") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():  # the answer is a redirect home, or the form again with its error
        page.get_by_role("button", name="Log in").click()


def unread_count(bell_text: str) -> int:
    """The header bell's badge reads e.g. "12 unread"; no badge at all means none."""
    found = re.search(r"\d+", bell_text)
    return int(found.group()) if found else 0


def htmx_settled(page) -> None:
    """Wait until no htmx request is in flight (htmx marks the requesting element with `htmx-request`).

    Much faster than Playwright's "networkidle" (which always waits 500 ms of silence), and it is what the
    tests mean: the page's own htmx `load` triggers (e.g. the inbox bell) have been answered and swapped.
    """
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
