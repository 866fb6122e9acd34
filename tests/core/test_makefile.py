"""`make run PORT=8231` serves on 8231, so the links in its emails, chat messages and feeds must say 8231.

`make -n` prints the recipe without running it: the runserver line carries the base URL it exports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(*args: str, **env: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("needs make")
    environ = {k: v for k, v in os.environ.items() if k not in ("AGORA_BASE_URL", "HOST", "PORT")}
    environ.update(env)
    done = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env=environ, capture_output=True, text=True, check=True
    )
    [line] = [line for line in done.stdout.splitlines() if "manage.py runserver" in line]
    return line


def test_run_derives_the_base_url_from_the_served_address() -> None:
    line = _dry_run("PORT=8231")
    assert line.startswith('AGORA_BASE_URL="http://127.0.0.1:8231" ')
    assert line.endswith("manage.py runserver 127.0.0.1:8231")
    line = _dry_run("PORT=8231", "HOST=agora.local")
    assert line.startswith('AGORA_BASE_URL="http://agora.local:8231" ')


def test_listening_everywhere_links_to_the_loopback_address() -> None:
    line = _dry_run("PORT=8231", "HOST=0.0.0.0")
    assert line.startswith('AGORA_BASE_URL="http://127.0.0.1:8231" ')
    assert line.endswith("manage.py runserver 0.0.0.0:8231")


def test_run_keeps_a_base_url_given_in_the_environment() -> None:
    line = _dry_run("PORT=8231", AGORA_BASE_URL="https://agora.example.com")
    assert line.startswith('AGORA_BASE_URL="https://agora.example.com" ')
