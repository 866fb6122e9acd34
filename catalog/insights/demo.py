"""Demo data for insights, so `make run` shows the panels and the isolation matrix finds rows.

Each concern may add `catalog/insights/<concern>/demo.py` with `load(tenant=, teams=, users=)`; they run in
this order (delivery first: adoption may be inferred from its deployments).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

ORDER = ("delivery", "adoption", "surveys")


def load(*, tenant: Any, teams: Any, users: Any) -> None:
    for concern in ORDER:
        try:
            module = import_module(f"catalog.insights.{concern}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"catalog.insights.{concern}.demo":
                raise
            continue
        module.load(tenant=tenant, teams=teams, users=users)
