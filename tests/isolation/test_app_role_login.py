"""With DB_APP_PASSWORD the application's PostgreSQL session *is* the app role: nothing to `RESET ROLE` to.

The development shortcut (connect as the owner, `SET ROLE` to the app role) leaves the owner one `RESET ROLE`
away; production refuses it (tests/core/test_settings.py). Here the real thing: `migrate`'s role set-up gives
the role LOGIN and the password, also when a development run created it NOLOGIN, and a connection made the
way the backend makes it cannot climb back to the owner. Uses its own role so parallel runs do not collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from portal.tenancy.db.base import DatabaseWrapper, owner_mode
from portal.tenancy.rls import ensure_app_role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def probe_role() -> Iterator[str]:
    role = f"agora_app_probe_{uuid.uuid4().hex[:8]}"
    yield role
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone():
            cursor.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def app_connection(role: str, password: str) -> DatabaseWrapper:
    """A connection built exactly as the web and worker processes build theirs (production settings)."""
    settings_dict = dict(connection.settings_dict) | {
        "APP_USER": role,
        "APP_PASSWORD": password,
        "APP_ALLOW_SET_ROLE": False,
        "CONN_MAX_AGE": 0,
    }
    return DatabaseWrapper(settings_dict, alias="app_role_probe")


def test_the_app_role_logs_in_itself_and_cannot_reset_to_the_owner(probe_role):
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        ensure_app_role(cursor, probe_role)  # what a DEBUG=1 run leaves behind: NOLOGIN, no password
        ensure_app_role(cursor, probe_role, password="probe-password")  # migrate with DB_APP_PASSWORD
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [probe_role]
        )
        assert cursor.fetchone() == (True, False, False)

    # The login the backend performs (its connection parameters), without registering another alias.
    app = app_connection(probe_role, "probe-password")
    raw = app.get_new_connection(app.get_connection_params())
    try:
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute("SELECT session_user, current_user")
            assert cursor.fetchone() == (probe_role, probe_role)
            cursor.execute("RESET ROLE")
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == probe_role  # the session itself is the app role
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(owner)))
    finally:
        raw.close()


def test_without_a_password_production_settings_never_open_an_owner_session(probe_role):
    from django.core.exceptions import ImproperlyConfigured

    with owner_mode(), connection.cursor() as cursor:
        ensure_app_role(cursor, probe_role)  # the role exists: SET ROLE to it would work
    app = app_connection(probe_role, "")
    with pytest.raises(ImproperlyConfigured, match="DB_APP_PASSWORD"):
        app.get_new_connection(app.get_connection_params())
