"""Stored XSS in a real browser: every payload of the corpus in every field users can write, on every page
that shows it, rendered by headless Chromium. 0 executed.

What counts as executed: a dialog (`alert`/`confirm`/`prompt`, from any frame), the `__xss` flag the
payloads set, an uncaught page error, or a Content-Security-Policy violation of anything but an image
(a blocked inline handler or script means the markup got through). The probe also hovers, focuses and
clicks what a user would: every element gets mouse and focus events (for `onmouseover=`-style handlers)
and every link whose scheme is not http(s)/mailto is clicked (for `javascript:` links).

The site's CSP blocks inline script by itself, so a broken sanitiser could hide behind it: every page is
visited twice, once as served and once with the CSP switched off (`bypass_csp=True`), where only the
sanitiser and the template escaping stand between a payload and the page.
"""

from __future__ import annotations

import pytest

from tests.browser import log_in, new_page
from tests.factories import PASSWORD
from tests.security.conftest import build_xss_world

pytestmark = pytest.mark.e2e

# Runs before any page script: dialogs also raise the flag (a frame's dialog raises its own `top`'s).
SINK = """
for (const name of ["alert", "confirm", "prompt"]) {
  const original = window[name];
  window[name] = function (...args) {
    try { top.__xss = 1; } catch (e) {}
    return original.apply(this, args);
  };
}
"""
PROBE = """() => {
  const safe = new Set(["http:", "https:", "mailto:", ""]);
  const clicked = [];
  for (const el of document.querySelectorAll("body *")) {
    for (const type of ["mouseover", "mouseenter", "pointerover", "pointerenter", "focus"]) {
      el.dispatchEvent(new Event(type, {bubbles: type.endsWith("over")}));
    }
  }
  for (const a of document.querySelectorAll("a[href], area[href]")) {
    if (!safe.has(a.protocol)) { clicked.push(a.outerHTML.slice(0, 160)); a.click(); }
  }
  for (const el of document.querySelectorAll("svg a, math [href]")) {
    clicked.push(el.outerHTML.slice(0, 160));
  }
  return clicked;
}"""


class Executions:
    """What a page ran (or tried to run) that it should not have."""

    def __init__(self, page) -> None:
        self.seen: list[str] = []
        page.on("dialog", self._dialog)
        page.add_init_script(SINK)
        page.on("pageerror", lambda e: self.seen.append(f"page error: {e}"))

    def _dialog(self, dialog) -> None:
        self.seen.append(f"{dialog.type} dialog: {dialog.message}")
        dialog.dismiss()


def visit(page, executions: Executions, path: str) -> list[str]:
    executions.seen.clear()
    page.problems.errors.clear()
    response = page.goto(path, wait_until="load")
    assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
    suspicious = [f"non-http link: {html}" for html in page.evaluate(PROBE)]
    page.wait_for_timeout(20)  # let a clicked javascript: link, a timer or a blur/focus handler run
    if page.evaluate("() => window.__xss === 1"):
        suspicious.append("window.__xss was set")
    csp = [e for e in page.problems.errors if e.startswith("CSP ") and "img-src" not in e]
    return suspicious + executions.seen + csp


def test_no_payload_executes_in_chromium(browser, live_server, transactional_db):
    world = build_xss_world()
    executed: dict[str, list[str]] = {}
    visited = 0
    for bypass_csp in (False, True):
        for user, paths in [(world.admin, world.pages)] + [(r, world.reader_pages) for r in world.readers]:
            page = new_page(browser, live_server.url, bypass_csp=bypass_csp)
            executions = Executions(page)
            try:
                log_in(page, user.username, PASSWORD)
                for path in paths:
                    found = visit(page, executions, path)
                    visited += 1
                    if found:
                        executed[f"{path} (CSP {'off' if bypass_csp else 'on'})"] = found[:3]
            finally:
                page.context.close()
    assert executed == {}
    assert visited == 2 * (len(world.pages) + len(world.readers) * len(world.reader_pages))
