"""Configuration from the environment: each test runs a fresh interpreter, so settings are read for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.envconfig import parse_email_url

ROOT = Path(__file__).resolve().parents[2]
PROD = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-" + "x7Qp2Lr9" * 6,
    "ALLOWED_HOSTS": "agora.example.com",
    "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.com:587",
}
PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({k: getattr(s, k, None) for k in [
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_REFERRER_POLICY", "ALLOWED_HOSTS", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL"]}
    | {"DB_ENGINE": s.DATABASES["default"]["ENGINE"], "APP_USER": s.DATABASES["default"].get("APP_USER"),
       "APP_ALLOW_SET_ROLE": s.DATABASES["default"].get("APP_ALLOW_SET_ROLE"),
       "DEV_SECRET": s.SECRET_KEY.startswith("django-insecure"),
       "CSP": bool(s.SECURE_CSP), "MAILER": s.MAILERS["default"]}))
"""
PG_URL = "postgres://owner@db.example.com:5432/agora"


def deploy_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return env | PROD | extra


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "EMAIL_URL"))
    }
    for name in ("DEBUG", "CELERY_EAGER", "SECRET_KEY", "DB_APP_USER", "DB_APP_PASSWORD"):
        clean.pop(name, None)
    clean |= {"DJANGO_SETTINGS_MODULE": "portal.settings"} | env
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def read_settings(env: dict[str, str]) -> dict:
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_is_off_unless_asked_for():
    s = read_settings({"SECRET_KEY": PROD["SECRET_KEY"]})
    assert s["DEBUG"] is False
    assert s["SECURE_SSL_REDIRECT"] is True and s["SESSION_COOKIE_SECURE"] is True


def test_no_environment_at_all_refuses_rather_than_using_the_public_dev_key():
    """A forgotten DEBUG must not ship the development SECRET_KEY (anyone could forge signed tokens)."""
    result = run_python(PRINT_SETTINGS, {})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_defaults_give_a_demo_with_no_services():
    """What `make run` gets: DEBUG=1 and nothing else."""
    s = read_settings({"DEBUG": "1"})
    assert s["DEBUG"] is True
    assert s["DEV_SECRET"] is True
    assert s["DB_ENGINE"] == "django.db.backends.sqlite3"
    assert s["CELERY_TASK_ALWAYS_EAGER"] is True
    assert s["MAILER"]["BACKEND"].endswith("console.EmailBackend")
    assert s["SECURE_SSL_REDIRECT"] is False


def test_production_settings_switch_secure_defaults_on():
    s = read_settings(PROD | {"DATABASE_URL": PG_URL, "DB_APP_PASSWORD": "app-role-password"})
    assert s["DEBUG"] is False
    assert s["DEV_SECRET"] is False
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert s["CSP"] is True
    assert s["ALLOWED_HOSTS"] == ["agora.example.com"]
    # On PostgreSQL the app always runs as a non-superuser role, so row-level security applies.
    assert s["DB_ENGINE"] == "portal.tenancy.db"
    assert s["APP_USER"] == "agora_app"
    assert s["APP_ALLOW_SET_ROLE"] is False


def test_secure_defaults_can_be_relaxed_explicitly():
    s = read_settings(
        PROD | {"SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0", "SESSION_COOKIE_SECURE": "0"}
    )
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0
    assert s["SESSION_COOKIE_SECURE"] is False
    assert s["CSRF_COOKIE_SECURE"] is True


def test_production_without_secret_key_refuses_to_start():
    result = run_python(PRINT_SETTINGS, {"DEBUG": "0", "ALLOWED_HOSTS": "agora.example.com"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr
    # The message says how to fix it: how to generate a key, and DEBUG=1 for development.
    assert "secrets.token_urlsafe(50)" in result.stderr and "DEBUG=1" in result.stderr


def test_production_on_postgresql_without_app_password_refuses_to_start():
    """SET ROLE from the owner can be RESET by any SQL reaching the connection: not in production."""
    result = run_python(PRINT_SETTINGS, PROD | {"DATABASE_URL": PG_URL, "DB_APP_USER": "portal_rw"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: DB_APP_PASSWORD must be set when DEBUG is off" in result.stderr
    # The fix, with the exact SQL for the configured role.
    assert "CREATE ROLE portal_rw LOGIN PASSWORD '<DB_APP_PASSWORD>' NOSUPERUSER NOBYPASSRLS" in result.stderr
    assert "GRANT portal_rw TO <owner>" in result.stderr


def test_production_on_postgresql_with_app_password_logs_in_as_the_app_role():
    s = read_settings(PROD | {"DATABASE_URL": PG_URL, "DB_APP_PASSWORD": "app-role-password"})
    assert s["APP_USER"] == "agora_app" and s["APP_ALLOW_SET_ROLE"] is False


def test_development_on_postgresql_may_set_role_without_a_password():
    s = read_settings({"DEBUG": "1", "DATABASE_URL": PG_URL})
    assert s["DB_ENGINE"] == "portal.tenancy.db"
    assert s["APP_ALLOW_SET_ROLE"] is True


def test_production_on_sqlite_needs_no_app_password():
    """No roles on SQLite: the rule is about PostgreSQL sessions only."""
    s = read_settings(PROD)
    assert s["DB_ENGINE"] == "django.db.backends.sqlite3"


def test_the_backend_refuses_set_role_where_settings_do_not_allow_it():
    """Hand-written DATABASES without APP_ALLOW_SET_ROLE get no owner session either (checked before
    connecting)."""
    from django.core.exceptions import ImproperlyConfigured

    from portal.tenancy.db.base import DatabaseWrapper, owner_mode

    base = {
        "NAME": "agora", "USER": "owner", "PASSWORD": "", "HOST": "db.example.com", "PORT": "5432",
        "OPTIONS": {}, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False, "TIME_ZONE": None, "APP_USER": "agora_app", "APP_PASSWORD": "",
    }  # fmt: skip
    with pytest.raises(ImproperlyConfigured, match="set DB_APP_PASSWORD"):
        DatabaseWrapper(base, alias="probe").get_connection_params()
    params = DatabaseWrapper(base | {"APP_ALLOW_SET_ROLE": True}, alias="probe").get_connection_params()
    assert params["user"] == "owner"
    params = DatabaseWrapper(base | {"APP_PASSWORD": "pw"}, alias="probe").get_connection_params()
    assert (params["user"], params["password"]) == ("agora_app", "pw")
    with owner_mode():  # migrate, flush: the owner, with no app-role rule to satisfy
        assert DatabaseWrapper(base, alias="probe").get_connection_params()["user"] == "owner"


def test_redis_url_turns_eager_mode_off():
    s = read_settings({"DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6399/3"})
    assert s["CELERY_TASK_ALWAYS_EAGER"] is False
    assert s["CELERY_BROKER_URL"] == "redis://127.0.0.1:6399/3"


def test_check_deploy_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=deploy_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_flags_a_weak_configuration():
    """The check above can fail: a short secret and relaxed cookies are reported."""
    env = deploy_env(SECRET_KEY="short", SESSION_COOKIE_SECURE="0")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout or "W012" in result.stderr + result.stdout


def test_check_deploy_refuses_console_email_in_production():
    env = deploy_env()
    env.pop("EMAIL_URL")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "mail.E001" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", {"host": "127.0.0.1", "port": 1025, "use_tls": False, "use_ssl": False}),
        (
            "smtp+tls://mailer:p%40ss@mail.example.com:587",
            {
                "host": "mail.example.com",
                "port": 587,
                "username": "mailer",
                "password": "p@ss",
                "use_tls": True,
            },
        ),
        ("smtp+ssl://mail.example.com", {"port": 465, "use_ssl": True}),
        ("smtp://mail.example.com?timeout=3", {"port": 25, "timeout": 3}),
    ],
)
def test_email_url_maps_to_the_smtp_mailer(url, expected):
    mailer = parse_email_url(url)["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    for key, value in expected.items():
        assert mailer["OPTIONS"][key] == value


def test_email_url_with_an_unknown_scheme_is_a_clear_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="scheme 'imap'"):
        parse_email_url("imap://mail.example.com")
