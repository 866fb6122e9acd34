"""The catalog works with the insights plugin switched off: it only ever adds to the catalog.

Run in a fresh interpreter (the app registry cannot drop an app), on an in-memory SQLite database:
migrate, create a capability through the catalog's services, render its page and the API.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()
assert "catalog.insights" not in settings.INSTALLED_APPS, settings.INSTALLED_APPS
call_command("migrate", verbosity=0)
from portal.plugins.registry import plugins
assert "insights" not in plugins() and "catalog" in plugins(), list(plugins())

from tests.catalog.factories import make_capability
from tests.factories import PASSWORD, add_member, make_team, make_tenant, make_user

tenant = make_tenant("solo")
user = make_user("solo-user")
add_member(tenant, user)
team = make_team(tenant, "solo-team", maintainers=[user])
make_capability(tenant, team, name="Kafka", slug="kafka")
client = Client()
assert client.login(username="solo-user", password=PASSWORD)
page = client.get("/t/solo/catalog/kafka/")
assert page.status_code == 200, page.status_code
assert "Kafka" in page.text and "Platform value" not in page.text and "insights/value" not in page.text
assert client.get("/t/solo/insights/").status_code == 404
assert client.get("/t/solo/catalog/").status_code == 200
print("OK")
"""


def test_the_catalog_works_with_insights_disabled():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env |= {
        "DEBUG": "1",
        "DATABASE_URL": "sqlite://:memory:",
        "AGORA_DISABLED_PLUGINS": "insights",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "CELERY_EAGER": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("OK")


def test_disabling_an_unknown_plugin_fails_loudly():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env |= {
        "DEBUG": "1",
        "AGORA_DISABLED_PLUGINS": "no-such-plugin",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "AGORA_DISABLED_PLUGINS names no installed plugin: no-such-plugin" in result.stderr
