"""Browser tier: real headless Chromium (Debian's package) driven by Playwright against a live server.

The browser fixtures and helpers live in tests/browser.py (the security tier drives the same browser);
they are re-exported here so the e2e tests keep importing them from this conftest.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.browser import (  # noqa: F401  (fixtures and helpers the e2e tests use)
    CSP_LISTENER,
    PageProblems,
    browser,
    htmx_settled,
    log_in,
    page,
    unread_count,
)


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", verbosity=0)
