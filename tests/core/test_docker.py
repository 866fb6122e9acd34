"""docker/ is written for users and validated by parsing (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def test_compose_has_every_service_of_the_architecture():
    services = compose()["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "mailpit"} <= set(services)


def test_app_services_run_the_image_entrypoint_commands_that_exist():
    services = compose()["services"]
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    handled = set(re.findall(r"^\s+([a-z]+)\)\s*$", entrypoint, flags=re.MULTILINE))
    for name in ("web", "worker", "beat"):
        command = services[name]["command"]
        assert command[0] in handled, (name, command, handled)
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"
        env = services[name]["environment"]
        assert env["DEBUG"] == "0" and env["REDIS_URL"].startswith("redis://redis:")
        assert env["DATABASE_URL"].startswith("postgres://") and env["DB_APP_USER"] == "agora_app"
        assert env["EMAIL_URL"].startswith("smtp://mailpit:")
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "celery -A portal worker" in entrypoint and "celery -A portal beat" in entrypoint
    assert "gunicorn portal.wsgi:application" in entrypoint


def test_app_services_log_in_as_the_app_role_with_a_password():
    """DEBUG=0 refuses `SET ROLE` from the owner: every app process needs DB_APP_PASSWORD, and `web` migrates
    (as the owner) on start, which gives the app role LOGIN and that password."""
    services = compose()["services"]
    owners = set()
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DEBUG"] == "0"
        assert env["DB_APP_PASSWORD"], name
        owner = env["DATABASE_URL"].split("://", 1)[1].split(":", 1)[0]
        assert owner != env["DB_APP_USER"], "the app role must not be the owner that runs migrations"
        owners.add(owner)
    assert owners == {services["postgres"]["environment"]["POSTGRES_USER"]}
    assert services["web"]["environment"].get("MIGRATE_ON_START", "1") == "1"
    assert "manage.py migrate" in (DOCKER / "entrypoint.sh").read_text()


def test_dockerfile_is_multi_stage_non_root_and_serves_with_gunicorn():
    text = (DOCKER / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", text, flags=re.MULTILINE | re.IGNORECASE)
    assert len(stages) >= 2
    assert "COPY --from=build" in text
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert not re.search(r"playwright\s+install", text), "the image must not download browsers"
    for path in re.findall(r"^COPY(?:\s+--\S+)*\s+(\S+)\s+\S+$", text, flags=re.MULTILINE):
        if not path.startswith("/"):
            assert (DOCKER.parent / path).exists(), f"Dockerfile copies missing path {path}"
