"""docker/k8s is a kustomize base written for operators; validated by parsing (no cluster, no kubectl here).

Every manifest is checked against the Kubernetes JSON schemas that kubernetes-validate bundles (offline,
strict: unknown fields are errors), then for the properties the README promises: probes, non-root, resources,
autoscaling, one beat, and every variable the app needs provided by the ConfigMap or the Secret.
"""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "docker" / "k8s"
KUBERNETES_VERSION = "1.33.0"  # bundled by kubernetes-validate; the oldest version still supported upstream
# What every Agora process needs to start with DEBUG=0 on PostgreSQL + Redis (settings.py, README).
REQUIRED_ENV = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "DB_APP_USER",
    "DB_APP_PASSWORD",
    "REDIS_URL",
    "EMAIL_URL",
    "AGORA_BASE_URL",
    "METRICS_TOKEN",
    "LOG_FORMAT",
}
SECRET_ENV = {"SECRET_KEY", "DATABASE_URL", "DB_APP_PASSWORD", "REDIS_URL", "EMAIL_URL", "METRICS_TOKEN"}


def kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def resources() -> list[dict]:
    docs = []
    for name in kustomization()["resources"]:
        docs.extend(d for d in yaml.safe_load_all((K8S / name).read_text()) if d)
    return docs


def by_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in resources() if d["kind"] == kind}


def pod_specs() -> dict[str, dict]:
    workloads = {**by_kind("Deployment"), **by_kind("Job")}
    return {name: d["spec"]["template"]["spec"] for name, d in workloads.items()}


def test_the_kustomization_lists_every_manifest_in_the_folder():
    listed = set(kustomization()["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


@pytest.mark.parametrize("doc", resources(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_is_valid_against_the_kubernetes_schemas(doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_catches_a_typo():
    broken = by_kind("Deployment")["agora-web"]
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {"path": "/"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_web_worker_beat_run_the_entrypoint_commands_and_a_job_migrates():
    entrypoint = (K8S.parent / "entrypoint.sh").read_text()
    handled = set(re.findall(r"^\s+([a-z]+)\)\s*$", entrypoint, flags=re.MULTILINE))
    deployments = by_kind("Deployment")
    assert set(deployments) == {"agora-web", "agora-worker", "agora-beat"}
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [name.removeprefix("agora-")] and container["args"][0] in handled
        assert container["image"] == "agora"
    (job,) = by_kind("Job").values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["python", "manage.py", "migrate", "--noinput"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert by_kind("ConfigMap")["agora-config"]["data"]["MIGRATE_ON_START"] == "0"  # the Job migrates
    assert {i["name"] for i in kustomization()["images"]} == {"agora"}


def test_web_has_liveness_and_readiness_probes_on_healthz_and_readyz():
    (web,) = by_kind("Deployment")["agora-web"]["spec"]["template"]["spec"]["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    (service,) = by_kind("Service").values()
    assert (
        service["spec"]["selector"] == by_kind("Deployment")["agora-web"]["spec"]["selector"]["matchLabels"]
    )
    assert service["spec"]["ports"][0]["targetPort"] == web["ports"][0]["name"]


@pytest.mark.parametrize("name", ["agora-web", "agora-worker", "agora-beat", "agora-migrate"])
def test_every_pod_runs_non_root_read_only_without_privileges_and_with_resources(name):
    spec = pod_specs()[name]
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] > 0
    assert pod["seccompProfile"]["type"] == "RuntimeDefault"
    assert spec["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in spec["volumes"]}
    for container in spec["containers"]:
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]  # the only writable place


def test_web_and_worker_autoscale_and_have_disruption_budgets_beat_is_exactly_one():
    deployments = by_kind("Deployment")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind("HorizontalPodAutoscaler").values()}
    assert set(hpas) == {"agora-web", "agora-worker"}
    for name, hpa in hpas.items():
        assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert 1 < hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        assert hpa["spec"]["metrics"], name
    pdbs = [p["spec"]["selector"]["matchLabels"] for p in by_kind("PodDisruptionBudget").values()]
    for name in ("agora-web", "agora-worker"):
        assert deployments[name]["spec"]["selector"]["matchLabels"] in pdbs
    beat = deployments["agora-beat"]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"] == {"type": "Recreate"}
    assert "agora-beat" not in hpas


def test_every_variable_the_app_needs_comes_from_the_configmap_or_the_secret():
    config = by_kind("ConfigMap")["agora-config"]["data"]
    secret = by_kind("Secret")["agora-secrets"]["stringData"]
    assert not set(config) & set(secret)
    assert set(config) | set(secret) >= REQUIRED_ENV
    assert set(secret) >= SECRET_ENV  # credentials never in the ConfigMap
    assert all("CHANGE-ME" in value for value in secret.values())  # placeholders, clearly marked
    for name, spec in pod_specs().items():
        (container,) = spec["containers"]
        sources = [next(iter(s.values()))["name"] for s in container["envFrom"]]
        assert sources == ["agora-config", "agora-secrets"], name


def test_postgres_and_redis_are_external_services_not_workloads_here():
    kinds = {d["kind"] for d in resources()}
    assert "StatefulSet" not in kinds and "PersistentVolumeClaim" not in kinds
    images = {c["image"] for spec in pod_specs().values() for c in spec["containers"]}
    assert images == {"agora"}
