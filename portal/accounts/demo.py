"""The demo world: two tenants, their teams and users. Plugins add their own rows via `demo_data`."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_PASSWORD = "agora-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str  # tenant role
    teams: dict[str, str] = field(default_factory=dict)  # team slug -> team role


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    teams: list[tuple[str, str, str]]  # slug, name, chat channel
    users: list[DemoUser]


DEMO_TENANTS = [
    DemoTenant(
        slug="acme",
        name="Acme Corp",
        teams=[
            ("streaming", "Streaming Platform", "#platform-streaming"),
            ("observability", "Observability", "#platform-observability"),
            ("network", "Network Engineering", "#platform-network"),
            ("kubernetes", "Kubernetes Platform", "#platform-k8s"),
            ("security", "Security Engineering", "#platform-security"),
            ("devex", "Developer Experience", "#platform-devex"),
            ("payments", "Payments", "#team-payments"),
            ("checkout", "Checkout", "#team-checkout"),
        ],
        users=[
            DemoUser("alice", "Alice Admin", "admin", {"devex": "maintainer"}),
            DemoUser("bob", "Bob Builder", "member", {"kubernetes": "maintainer", "streaming": "maintainer"}),
            DemoUser(
                "olga", "Olga Observer", "member", {"observability": "maintainer", "network": "maintainer"}
            ),
            DemoUser("sven", "Sven Secure", "member", {"security": "maintainer"}),
            DemoUser("carol", "Carol Coder", "member", {"payments": "member"}),
            DemoUser("dan", "Dan Developer", "member", {"checkout": "member"}),
            DemoUser("vera", "Vera Viewer", "viewer", {}),
            DemoUser("sam", "Sam Shared", "member", {"payments": "member"}),
        ],
    ),
    DemoTenant(
        slug="globex",
        name="Globex",
        teams=[
            ("platform", "Platform Team", "#globex-platform"),
            ("data", "Data Engineering", "#globex-data"),
            ("web", "Web Storefront", "#globex-web"),
        ],
        users=[
            DemoUser("gina", "Gina Globex", "admin", {"platform": "maintainer"}),
            DemoUser("hank", "Hank Hacker", "member", {"web": "member"}),
            DemoUser("sam", "Sam Shared", "member", {"data": "member"}),
        ],
    ),
]


def load(*, tenant, teams, users) -> None:
    """Administrative history for the demo (and the isolation matrix, which needs rows of every model):
    a renamed team and a changed role by the tenant admin, a pending and a revoked invitation. Runs in the
    tenant's context after teams and memberships exist; emails go to the configured mail backend."""
    from portal.accounts import services
    from portal.tenancy.models import Membership, Role

    admin = Membership.objects.select_related("user").filter(role=Role.ADMIN).order_by("pk").first()
    if admin is None:
        return
    first_team = next(iter(teams.values()))
    services.team_update(team=first_team, actor=admin, description=f"{first_team.name} at {tenant.name}.")
    team = list(teams.values())[-1]
    services.invitation_create(
        email=f"new-hire@{tenant.slug}.example", actor=admin, role=Role.MEMBER, team=team, team_role="member"
    )
    revoked, _token = services.invitation_create(email=f"contractor@{tenant.slug}.example", actor=admin)
    services.invitation_revoke(invitation=revoked, actor=admin)
