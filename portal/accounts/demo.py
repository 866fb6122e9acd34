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
