"""axe-core for the browser tier, from the npm registry through the lock file beside it (tests/e2e/axe/).

`axe_script()` returns the path of `axe.min.js`, running `npm ci` once when node_modules is missing; the
tests inject that file with `page.add_script_tag(path=...)`, so nothing is downloaded while a page runs.
Without npm the accessibility tests skip, and under REQUIRE_SERVICES=1 (CI) they fail loudly instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "axe"
SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
# label-content-name-mismatch is "experimental" in axe and off by default; the tenant switcher once failed it.
RUN_OPTIONS = {"rules": {"label-content-name-mismatch": {"enabled": True}}}


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but axe-core cannot be installed: {reason}", pytrace=False)
    pytest.skip(f"needs axe-core: {reason}")


def axe_script() -> Path:
    if SCRIPT.exists():
        return SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("no npm on PATH (apt-get install npm)")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0 or not SCRIPT.exists():
        _unavailable(f"npm ci in {HERE} failed: {(result.stderr or result.stdout)[-800:]}")
    return SCRIPT


def serious_violations(page) -> list[str]:
    """Run axe on the page as it is; describe each serious or critical violation (empty when none)."""
    page.add_script_tag(path=str(axe_script()))
    found = page.evaluate("options => axe.run(document, options)", RUN_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found["violations"]
        if v["impact"] in ("serious", "critical")
    ]
