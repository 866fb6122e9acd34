"""PostgreSQL row-level security, checked on the database itself with raw connections.

Application-level scoping (the tenant manager) is tested elsewhere; here nothing of Django's ORM stands
between the query and the policy, so these tests prove the defence that holds even if app code slips.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from tests.isolation.worlds import build_worlds

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Tables that demo data cannot fill yet, with the reason. Keep it short: an entry here weakens the test.
MAY_BE_EMPTY: dict[str, str] = {
    "events_handlerrun": "only written when a plugin registers a handler for a demo event",
}


@contextmanager
def raw(*, role: str | None = None, tenant_id: int | None = None) -> Iterator[psycopg.Cursor]:
    """A fresh connection to the test database: as the owner, or SET ROLE to the app role."""
    params = connection.settings_dict
    conn = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        password=params["PASSWORD"] or None,
        autocommit=True,
    )
    try:
        with conn.cursor() as cursor:
            if role:
                cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            if tenant_id is not None:
                cursor.execute("SELECT set_config('agora.tenant_id', %s, false)", [str(tenant_id)])
            yield cursor
    finally:
        conn.close()


def tenant_tables(cursor: psycopg.Cursor) -> list[str]:
    cursor.execute(
        """SELECT c.table_name FROM information_schema.columns c
           JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
           WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
           ORDER BY 1"""
    )
    return [row[0] for row in cursor.fetchall()]


def app_role() -> str:
    return connection.settings_dict["APP_USER"]


def count_by_tenant(cursor: psycopg.Cursor, table: str) -> dict[int, int]:
    cursor.execute(sql.SQL("SELECT tenant_id, count(*) FROM {} GROUP BY 1").format(sql.Identifier(table)))
    return dict(cursor.fetchall())


@pytest.fixture
def worlds():
    return build_worlds()


def test_every_tenant_table_has_row_level_security_enabled_and_forced(worlds):
    with raw() as cursor:
        tables = tenant_tables(cursor)
        assert "catalog_capability" in tables and "tenancy_membership" in tables
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(%s)",
            [tables],
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
        cursor.execute("SELECT DISTINCT tablename FROM pg_policies WHERE schemaname = 'public'")
        with_policy = {row[0] for row in cursor.fetchall()}
    missing = [t for t in tables if flags.get(t) != (True, True) or t not in with_policy]
    assert missing == [], f"tables with tenant_id but without enabled+forced RLS and a policy: {missing}"


def test_the_app_role_cannot_bypass_row_level_security():
    with raw() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [app_role()])
        assert cursor.fetchone() == (False, False)
    with raw(role=app_role()) as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_role()


def test_every_tenant_table_has_rows_in_both_tenants(worlds):
    """Precondition of the two tests below: an empty table would make 'sees nothing' vacuous."""
    empty = []
    with raw() as cursor:
        for table in tenant_tables(cursor):
            counts = count_by_tenant(cursor, table)
            if (not counts.get(worlds.a.pk) or not counts.get(worlds.b.pk)) and table not in MAY_BE_EMPTY:
                empty.append(table)
    assert empty == [], f"give these tables demo rows in both tenants (or explain in MAY_BE_EMPTY): {empty}"


def test_without_a_tenant_the_app_role_sees_no_rows_at_all(worlds):
    with raw() as owner:
        tables = tenant_tables(owner)
        populated = [t for t in tables if count_by_tenant(owner, t)]
    assert len(populated) >= 8
    with raw(role=app_role()) as cursor:
        for table in tables:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            assert cursor.fetchone()[0] == 0, f"{table} leaks rows without a tenant"


def test_with_tenant_a_set_rows_of_tenant_b_are_invisible(worlds):
    a = worlds.a.pk
    with raw() as owner:
        tables = tenant_tables(owner)
        truth = {t: count_by_tenant(owner, t) for t in tables}
    with raw(role=app_role(), tenant_id=a) as cursor:
        for table in tables:
            seen = count_by_tenant(cursor, table)
            assert set(seen) <= {a}, f"{table}: tenant A sees rows of tenants {set(seen) - {a}}"
            assert seen.get(a, 0) == truth[table].get(a, 0), f"{table}: tenant A misses its own rows"


def test_writes_into_another_tenant_are_refused_by_the_policy(worlds):
    a, b = worlds.a.pk, worlds.b.pk
    with raw(role=app_role(), tenant_id=a) as cursor:
        # Updating or deleting B's rows touches nothing: they are invisible.
        cursor.execute("UPDATE catalog_capability SET name = 'pwned' WHERE tenant_id = %s", [b])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM catalog_tag WHERE tenant_id = %s", [b])
        assert cursor.rowcount == 0
        # Moving one of A's rows into B violates WITH CHECK.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            cursor.execute("UPDATE catalog_tag SET tenant_id = %s WHERE tenant_id = %s", [b, a])
        # Inserting a row for B violates WITH CHECK.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            cursor.execute("INSERT INTO catalog_tag (tenant_id, name) VALUES (%s, 'smuggled')", [b])
    with raw() as owner:
        owner.execute("SELECT count(*) FROM catalog_capability WHERE name = 'pwned'")
        assert owner.fetchone()[0] == 0
        owner.execute("SELECT count(*) FROM catalog_tag WHERE name = 'smuggled'")
        assert owner.fetchone()[0] == 0
