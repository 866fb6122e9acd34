"""A real OpenID Connect provider (npm `oidc-provider`, OpenID Certified) as its own process for SSO tests.

`npm ci` installs it from the npm registry into tests/integration/oidc/node_modules (package-lock.json is
committed; node_modules is not). Without node/npm the SSO tests skip, except under REQUIRE_SERVICES=1 (CI),
where they fail: CI must never pass by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

OIDC_DIR = Path(__file__).resolve().parent.parent / "integration" / "oidc"
REQUIRE = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"REQUIRE_SERVICES=1: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def npm_install() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        _missing(
            "needs Node.js 20+ and npm for the OpenID Connect test provider (apt-get install nodejs npm)"
        )
    if not (OIDC_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=OIDC_DIR, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            pytest.fail(
                f"npm ci for the test OpenID provider failed:\n{result.stderr[-2000:]}", pytrace=False
            )
    return node


@dataclass
class OidcProvider:
    issuer: str
    accounts_file: Path
    clients: dict[str, dict] = field(default_factory=dict)

    def set_accounts(self, accounts: dict[str, dict]) -> None:
        """Who can log in and with which groups; read by the provider at every login."""
        self.accounts_file.write_text(json.dumps(accounts))


def start_provider(*, node: str, base_url: str, tenants: dict[str, dict], workdir: Path):
    """Start provider.js with one client per tenant slug; yields (process, OidcProvider)."""
    port = _free_port()
    clients = [
        {
            "client_id": f"agora-{slug}",
            "client_secret": f"secret-{slug}",
            "redirect_uris": [f"{base_url}/accounts/oidc/{slug}/login/callback/"],
            "tamper_id_token": bool(options.get("tamper")),
            "replay_id_token": bool(options.get("replay")),
        }
        for slug, options in tenants.items()
    ]
    accounts_file = workdir / "accounts.json"
    accounts_file.write_text("{}")
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENTS": json.dumps(clients),
        "OIDC_ACCOUNTS_FILE": str(accounts_file),
    }
    process = subprocess.Popen(
        [node, "provider.js"], cwd=OIDC_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the test OpenID provider exited:\n{process.stdout.read()[-2000:]}", pytrace=False)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the test OpenID provider did not start listening within 30 s", pytrace=False)
    provider = OidcProvider(issuer=issuer, accounts_file=accounts_file)
    provider.clients = {c["client_id"]: c for c in clients}
    return process, provider
