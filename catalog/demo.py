"""Realistic demo capabilities, created through the catalog's services."""

from __future__ import annotations

from typing import Any

from catalog import services

ACME = [
    dict(
        name="Kafka Topics",
        slug="kafka-topics",
        team="streaming",
        category="Messaging",
        lifecycle="ga",
        summary="Self-service Kafka topics with schemas, ACLs and retention policies.",
        description="Request a topic through the **topic catalogue**; schemas live in the registry.\n\n"
        "- Retention up to 30 days\n- Avro and Protobuf schemas\n- ACLs per service account",
        support="#platform-streaming",
        tags=["kafka", "messaging", "streaming"],
        links=[
            ("docs", "Kafka handbook", "https://docs.example.com/kafka"),
            ("getting_started", "Your first topic", "https://docs.example.com/kafka/start"),
            ("dashboard", "Cluster health", "https://grafana.example.com/d/kafka"),
        ],
    ),
    dict(
        name="Splunk Indexes",
        slug="splunk-indexes",
        team="observability",
        category="Observability",
        lifecycle="ga",
        summary="Dedicated Splunk indexes with retention and access per team.",
        description="Ship logs with the universal forwarder; indexes are created per team and environment.",
        support="#platform-observability",
        tags=["logging", "splunk"],
        links=[
            ("docs", "Logging guide", "https://docs.example.com/splunk"),
            ("runbook", "Index full runbook", "https://runbooks.example.com/splunk-index-full"),
        ],
    ),
    dict(
        name="Global DNS",
        slug="global-dns",
        team="network",
        category="Networking",
        lifecycle="ga",
        summary="Managed DNS zones and records with GitOps change review.",
        description="Records are managed as code; merges to main are applied within five minutes.",
        support="#platform-network",
        tags=["dns", "networking"],
        links=[("repository", "dns-records repo", "https://git.example.com/network/dns-records")],
    ),
    dict(
        name="Kubernetes Namespaces",
        slug="kubernetes-namespaces",
        team="kubernetes",
        category="Compute",
        lifecycle="ga",
        summary="Namespaces on the shared clusters with quotas, RBAC and network policies.",
        description="Each namespace comes with default quotas, a CI service account and network policies.",
        support="#platform-k8s",
        tags=["kubernetes", "compute"],
        links=[
            ("docs", "Namespaces guide", "https://docs.example.com/k8s/namespaces"),
            ("runbook", "Pod crash-looping", "https://runbooks.example.com/k8s/crashloop"),
        ],
    ),
    dict(
        name="Helm Charts",
        slug="helm-charts",
        team="kubernetes",
        category="Compute",
        lifecycle="beta",
        summary="Golden-path Helm charts for services, jobs and cron jobs.",
        description="Versioned charts with sensible defaults: probes, PodDisruptionBudgets, autoscaling.",
        support="#platform-k8s",
        tags=["kubernetes", "helm", "golden-path"],
        links=[("repository", "charts repo", "https://git.example.com/k8s/charts")],
    ),
    dict(
        name="Secrets Vault",
        slug="secrets-vault",
        team="security",
        category="Security",
        lifecycle="ga",
        summary="Central secrets storage with dynamic database credentials and PKI.",
        description="Use the sidecar injector on Kubernetes or the CLI locally; never commit secrets.",
        support="#platform-security",
        tags=["secrets", "security"],
        links=[
            ("docs", "Vault guide", "https://docs.example.com/vault"),
            ("api_reference", "Vault API", "https://docs.example.com/vault/api"),
        ],
    ),
    dict(
        name="CI Runners",
        slug="ci-runners",
        team="devex",
        category="CI/CD",
        lifecycle="ga",
        summary="Autoscaling CI runners (Linux, ARM, GPU) for every repository.",
        description="Runners scale to zero at night; GPU runners need a label and a budget code.",
        support="#platform-devex",
        tags=["ci", "cicd"],
        links=[
            ("docs", "CI handbook", "https://docs.example.com/ci"),
            ("dashboard", "Queue times", "https://grafana.example.com/d/ci-queue"),
        ],
    ),
    dict(
        name="Terraform App Module",
        slug="terraform-app-module",
        team="devex",
        category="Infrastructure",
        lifecycle="beta",
        summary="One Terraform module for an app: database, cache, queue, DNS and alerts.",
        description="Compose the infrastructure of a service from one module with safe defaults.",
        support="#platform-devex",
        tags=["terraform", "golden-path", "infrastructure"],
        links=[("repository", "terraform-app module", "https://git.example.com/devex/terraform-app")],
    ),
    dict(
        name="Datadog Monitors",
        slug="datadog-monitors",
        team="observability",
        category="Observability",
        lifecycle="experimental",
        summary="Monitors and SLOs as code, with paging routed to your rota.",
        description="Define monitors in YAML next to your service; the pipeline syncs them to Datadog.",
        support="#platform-observability",
        tags=["monitoring", "slo", "datadog"],
        links=[("docs", "Monitors as code", "https://docs.example.com/datadog")],
    ),
    dict(
        name="Edge Load Balancers",
        slug="edge-load-balancers",
        team="network",
        category="Networking",
        lifecycle="ga",
        summary="Global anycast load balancers with TLS termination, WAF rules and rate limits.",
        description="Expose a service to the internet with one manifest:\n\n"
        "```yaml\nedge:\n  host: shop.acme.example\n  backend: checkout-web:8080\n  waf: standard\n```\n\n"
        "Certificates are issued and renewed automatically. Custom WAF rules need a review by Security.",
        support="#platform-network",
        tags=["networking", "tls", "waf"],
        links=[
            ("docs", "Edge guide", "https://docs.example.com/edge"),
            ("runbook", "TLS handshake failures", "https://runbooks.example.com/edge/tls"),
            ("dashboard", "Edge traffic", "https://grafana.example.com/d/edge"),
        ],
    ),
    dict(
        name="Jenkins Shared Library",
        slug="jenkins-shared-library",
        team="devex",
        category="CI/CD",
        lifecycle="deprecated",
        summary="Legacy Jenkins pipeline steps; migrate to CI Runners before 31 March.",
        description="**Deprecated.** New pipelines must use CI Runners. The migration guide converts the "
        "common `buildAndPush()` and `deployTo()` steps; ask in the support channel for the rest.\n\n"
        "1. Run `ci-migrate` in your repository\n2. Review the generated workflow\n3. Delete the Jenkinsfile",
        support="#platform-devex",
        tags=["ci", "jenkins", "legacy"],
        links=[
            ("getting_started", "Migration guide", "https://docs.example.com/ci/migrate-from-jenkins"),
            ("repository", "pipeline-library repo", "https://git.example.com/devex/pipeline-library"),
        ],
    ),
]

GLOBEX = [
    dict(
        name="Managed PostgreSQL",
        slug="managed-postgresql",
        team="platform",
        category="Data",
        lifecycle="ga",
        summary="PostgreSQL clusters with backups, failover and read replicas.",
        description="Ask for a cluster in the platform channel; backups are kept for 35 days.",
        support="#globex-platform",
        tags=["database", "postgresql"],
        links=[("docs", "Database guide", "https://docs.globex.example/postgres")],
    ),
    dict(
        name="Feature Flags",
        slug="feature-flags",
        team="platform",
        category="Delivery",
        lifecycle="beta",
        summary="Server- and client-side feature flags with gradual rollouts.",
        description="SDKs for Python, Go and TypeScript.",
        support="#globex-platform",
        tags=["flags", "delivery"],
        links=[("getting_started", "First flag", "https://docs.globex.example/flags/start")],
    ),
    dict(
        name="Data Lake",
        slug="data-lake",
        team="data",
        category="Data",
        lifecycle="ga",
        summary="Object-storage data lake with a catalogue and SQL query engine.",
        description="Land data as Parquet; tables appear in the catalogue within the hour.",
        support="#globex-data",
        tags=["data", "analytics"],
        links=[
            ("docs", "Data lake handbook", "https://docs.globex.example/lake"),
            ("chat", "#globex-data", "https://chat.globex.example/channels/globex-data"),
        ],
    ),
    dict(
        name="SFTP Drop Zone",
        slug="sftp-drop-zone",
        team="data",
        category="Data",
        lifecycle="retired",
        summary="Partner file drops over SFTP (retired: use the data lake's signed upload URLs).",
        description="Switched off. Partners upload through signed URLs into the data lake landing zone.",
        support="#globex-data",
        tags=["data", "legacy"],
        links=[("docs", "Signed uploads", "https://docs.globex.example/lake/uploads")],
    ),
]


# Extra facts per slug: contacts, SLOs, statuses, dependencies and an early-access capability.
EXTRA: dict[str, dict[str, Any]] = {
    "kafka-topics": {
        "oncall_url": "https://oncall.example.com/rota/streaming",
        "contact_email": "streaming@example.com",
        "slo_text": "Produce latency p99 under 50 ms; 99.95% monthly availability of the brokers.",
        "slo_target": "99.95",
    },
    "kubernetes-namespaces": {
        "slo_text": "API server availability 99.9% per month.",
        "slo_target": "99.9",
        "oncall_url": "https://oncall.example.com/rota/k8s",
    },
    "helm-charts": {"dependencies": ["kubernetes-namespaces"]},
    "edge-load-balancers": {
        "dependencies": ["global-dns"],
        "slo_text": "99.99% of requests served at the edge per month; TLS handshake p99 under 80 ms.",
        "slo_target": "99.99",
        "oncall_url": "https://oncall.example.com/rota/network",
        "contact_email": "network@example.com",
    },
    "jenkins-shared-library": {"dependencies": ["secrets-vault"]},
    "secrets-vault": {
        "slo_text": "Secret reads: 99.95% availability; dynamic credentials issued within 2 s (p99).",
        "slo_target": "99.95",
        "oncall_url": "https://oncall.example.com/rota/security",
        "contact_email": "security@example.com",
    },
    "managed-postgresql": {
        "slo_text": "99.95% monthly availability per cluster; RPO 5 minutes, RTO 30 minutes.",
        "slo_target": "99.95",
        "contact_email": "platform@globex.example",
    },
    "ci-runners": {"dependencies": ["kubernetes-namespaces", "secrets-vault"]},
    "terraform-app-module": {"dependencies": ["global-dns", "secrets-vault"]},
    "datadog-monitors": {"visibility": "teams", "visible_to_teams": ["observability", "payments"]},
    "data-lake": {
        "dependencies": ["managed-postgresql"],
        "visibility": "teams",
        "visible_to_teams": ["data"],
    },
    "feature-flags": {"dependencies": ["managed-postgresql"]},
}
STATUS = {
    "ci-runners": (
        "degraded",
        "Queue times up to 10 minutes on the arm64 pool; extra runners are coming up.",
    ),
    "feature-flags": ("maintenance", "Read-only for the database upgrade, 02:00-03:00 UTC."),
    "edge-load-balancers": (
        "partial_outage",
        "The eu-west edge drops about 2% of TLS handshakes; traffic is shifting to other regions.",
    ),
}


def load(*, tenant: Any, teams: dict[str, Any]) -> None:
    specs = ACME if tenant.slug == "acme" else GLOBEX if tenant.slug == "globex" else []
    created = {}
    for spec in specs:
        extra = dict(EXTRA.get(spec["slug"], {}))
        extra.pop("dependencies", None)
        if "visible_to_teams" in extra:
            extra["visible_to_teams"] = [teams[t] for t in extra["visible_to_teams"] if t in teams]
            if not extra["visible_to_teams"]:
                extra.pop("visible_to_teams")
                extra.pop("visibility")
        created[spec["slug"]] = services.capability_create(
            name=spec["name"],
            slug=spec["slug"],
            owner_team=teams[spec["team"]],
            summary=spec["summary"],
            description=spec["description"],
            category=spec["category"],
            lifecycle=spec["lifecycle"],
            support_channel=spec["support"],
            tags=spec["tags"],
            links=spec["links"],
            **extra,
        )
    for slug, capability in created.items():
        deps = [created[d] for d in EXTRA.get(slug, {}).get("dependencies", []) if d in created]
        if deps:
            services.capability_update(capability=capability, dependencies=deps)
        if slug in STATUS:
            status, message = STATUS[slug]
            services.capability_set_status(capability=capability, status=status, message=message)
