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
       "CSP": bool(s.SECURE_CSP), "MAILER": s.MAILERS["default"]}))
"""


def deploy_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return env | PROD | extra


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "EMAIL_URL"))
    }
    clean.pop("DEBUG", None)
    clean.pop("CELERY_EAGER", None)
    clean |= {"DJANGO_SETTINGS_MODULE": "portal.settings"} | env
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def read_settings(env: dict[str, str]) -> dict:
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_give_a_demo_with_no_services():
    s = read_settings({})
    assert s["DEBUG"] is True
    assert s["DB_ENGINE"] == "django.db.backends.sqlite3"
    assert s["CELERY_TASK_ALWAYS_EAGER"] is True
    assert s["MAILER"]["BACKEND"].endswith("console.EmailBackend")
    assert s["SECURE_SSL_REDIRECT"] is False


def test_production_settings_switch_secure_defaults_on():
    s = read_settings(PROD | {"DATABASE_URL": "postgres://owner@db.example.com:5432/agora"})
    assert s["DEBUG"] is False
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert s["CSP"] is True
    assert s["ALLOWED_HOSTS"] == ["agora.example.com"]
    # On PostgreSQL the app always runs as a non-superuser role, so row-level security applies.
    assert s["DB_ENGINE"] == "portal.tenancy.db"
    assert s["APP_USER"] == "agora_app"


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
    assert "SECRET_KEY must be set" in result.stderr


def test_redis_url_turns_eager_mode_off():
    s = read_settings({"REDIS_URL": "redis://127.0.0.1:6399/3"})
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
