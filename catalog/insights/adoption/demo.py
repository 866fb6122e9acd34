"""Demo adoption: a year of teams evaluating, onboarding and (one) leaving, through the services.

Dates are whole weeks before today (10:00 UTC), so the weekly series looks the same whenever the demo is
loaded. If the delivery demo declares when some teams' delivery improved (`IMPROVES_FROM_WEEKS_AGO` and the
improving team slugs), those teams onboard the Kubernetes capability then, so the before/after comparison has
a story to tell.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from catalog.insights.adoption import services
from catalog.selectors import visible_capability
from portal.plugins.api import Membership, Role

Plan = dict[str, dict[str, list[tuple[str, int]]]]  # capability slug -> team slug -> [(state, weeks ago)]

PLANS: dict[str, Plan] = {
    "acme": {
        "kubernetes-namespaces": {
            "payments": [("evaluating", 50), ("onboarded", 46)],
            "streaming": [("onboarded", 44)],
            "devex": [("onboarded", 35), ("offboarded", 10)],
            "checkout": [("evaluating", 40), ("onboarded", 30)],
            "observability": [("evaluating", 20), ("onboarded", 16)],
            "security": [("evaluating", 3)],
        },
        "ci-runners": {
            "payments": [("onboarded", 48)],
            "checkout": [("onboarded", 38)],
            "kubernetes": [("evaluating", 12), ("onboarded", 8)],
            "network": [("evaluating", 2)],
        },
        "kafka-topics": {
            "payments": [("evaluating", 30), ("onboarded", 26)],
            "checkout": [("evaluating", 6)],
        },
    },
    "globex": {
        "managed-postgresql": {
            "data": [("evaluating", 30), ("onboarded", 26)],
            "web": [("onboarded", 40), ("offboarded", 5)],
        },
        "data-lake": {"web": [("evaluating", 4)]},
    },
}
RULES: dict[str, dict[str, dict[str, Any]]] = {
    "acme": {
        "kubernetes-namespaces": {
            "eligibility": "all",
            "environment": "k8s-shared",
            "repo_topic": "kubernetes",
        },
        "kafka-topics": {"eligibility": "listed", "teams": ["payments", "checkout", "observability"]},
    },
    "globex": {
        "managed-postgresql": {"eligibility": "all", "environment": "pg-managed"},
        "data-lake": {"eligibility": "listed", "teams": ["web", "platform"]},
    },
}
IMPROVED_CAPABILITY = "ci-runners"  # its adopters are the delivery demo's improving teams


def _delivery_story(tenant_slug: str) -> tuple[int, list[str]] | None:
    """(weeks ago, team slugs) whose delivery the delivery demo improves, so the Value panel has a story."""
    from catalog.insights.delivery import demo as delivery_demo

    teams = list(delivery_demo.IMPROVING_TEAMS.get(tenant_slug, ()))
    return (delivery_demo.IMPROVES_FROM_WEEKS_AGO, teams) if teams else None


def _plan(tenant_slug: str) -> Plan:
    plan = {cap: dict(teams) for cap, teams in PLANS.get(tenant_slug, {}).items()}
    story = _delivery_story(tenant_slug)
    if story is not None and IMPROVED_CAPABILITY in plan:
        weeks, teams = story
        for team in teams:
            plan[IMPROVED_CAPABILITY][team] = [("onboarded", weeks)]
    return plan


def load(*, tenant: Any, teams: dict[str, Any], users: dict[str, Any]) -> None:
    admin = Membership.objects.filter(role=Role.ADMIN).select_related("user").order_by("pk").first()
    if admin is None:
        return
    # Yesterday 10:00 UTC: whole weeks before it, and never in the future whatever the hour of the run.
    today = (datetime.now(UTC) - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    for cap_slug, rule in RULES.get(tenant.slug, {}).items():
        capability = visible_capability(admin, slug=cap_slug)
        if capability is None:
            continue
        services.adoption_rule_set(
            membership=admin,
            capability=capability,
            eligibility=rule["eligibility"],
            teams=[teams[t] for t in rule.get("teams", []) if t in teams],
            environment=rule.get("environment", ""),
            repo_topic=rule.get("repo_topic", ""),
        )
    for cap_slug, per_team in _plan(tenant.slug).items():
        capability = visible_capability(admin, slug=cap_slug)
        if capability is None:
            continue
        for team_slug, moves in per_team.items():
            team = teams.get(team_slug)
            if team is None or team.pk == capability.owner_team_id:
                continue
            for state, weeks_ago in moves:
                services.adoption_set(
                    membership=admin,
                    capability=capability,
                    team=team,
                    state=state,
                    effective_at=today - timedelta(weeks=weeks_ago),
                    note="Demo data.",
                )
