"""Row-level security on writes and with a user in scope, for every tenant table (none named here).

test_rls.py proves reads; here, as the app role inside tenant A, no statement may create, move, change or
delete a row of tenant B in any table, and the per-user widening of a policy (memberships: "my own rows")
never opens another tenant's rows to a user who is not in it.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from tests.isolation.test_rls import app_role, count_by_tenant, raw, tenant_tables
from tests.isolation.worlds import Worlds, build_worlds

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worlds() -> Worlds:
    return build_worlds()


def insertable_columns(cursor: psycopg.Cursor, table: str) -> list[str]:
    """Every column but generated ones (identity ids, stored search vectors)."""
    cursor.execute(
        """SELECT column_name FROM information_schema.columns
           WHERE table_schema = 'public' AND table_name = %s
             AND is_identity = 'NO' AND is_generated = 'NEVER'
             AND coalesce(column_default, '') NOT LIKE 'nextval%%'
           ORDER BY ordinal_position""",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def user_id_of(username: str) -> int:
    with raw() as owner:
        owner.execute("SELECT id FROM auth_user WHERE username = %s", [username])
        return owner.fetchone()[0]


def test_no_tenant_table_lets_tenant_a_write_rows_of_tenant_b(worlds):
    a, b = worlds.a.pk, worlds.b.pk
    with raw() as owner:
        tables = tenant_tables(owner)
        before = {t: count_by_tenant(owner, t) for t in tables}
        columns = {t: insertable_columns(owner, t) for t in tables}
    failures, tried = [], 0
    with raw(role=app_role(), tenant_id=a) as cursor:
        for table in tables:
            ident = sql.Identifier(table)
            # B's rows are invisible to UPDATE and DELETE: nothing is touched.
            for what, statement in (
                ("UPDATE", sql.SQL("UPDATE {} SET tenant_id = tenant_id WHERE tenant_id = %s")),
                ("DELETE", sql.SQL("DELETE FROM {} WHERE tenant_id = %s")),
            ):
                try:
                    cursor.execute(statement.format(ident), [b])
                except psycopg.Error as error:  # e.g. a foreign key: the row was visible after all
                    failures.append(f"{table}: {what} of B's rows reached them ({type(error).__name__})")
                else:
                    if cursor.rowcount:
                        failures.append(f"{table}: {what} touched {cursor.rowcount} rows of B")
            if not before[table].get(a):
                continue
            tried += 1
            # A copy of one of A's rows, relabelled as B's, violates WITH CHECK (before any unique or
            # foreign-key check could object instead); so does moving A's row itself.
            cols = [c for c in columns[table] if c != "tenant_id"]
            copy = sql.SQL("INSERT INTO {t} (tenant_id, {cols}) SELECT %s, {cols} FROM {t} LIMIT 1").format(
                t=ident, cols=sql.SQL(", ").join(map(sql.Identifier, cols))
            )
            move = sql.SQL(
                "UPDATE {t} SET tenant_id = %s WHERE ctid = (SELECT ctid FROM {t} LIMIT 1)"
            ).format(t=ident)
            for what, statement in (("INSERT", copy), ("UPDATE", move)):
                try:
                    cursor.execute(statement, [b])
                except psycopg.errors.InsufficientPrivilege as error:
                    if "row-level security" not in str(error):
                        failures.append(f"{table}: {what} refused, but not by the policy: {error}")
                except psycopg.Error as error:
                    failures.append(f"{table}: {what} refused by {type(error).__name__}, not by the policy")
                else:
                    failures.append(f"{table}: {what} of a row of tenant B was accepted")
    with raw() as owner:
        after = {t: count_by_tenant(owner, t) for t in tables}
    assert tried >= 8
    assert failures == [], "\n".join(failures)
    assert after == before


def test_a_user_in_scope_sees_only_their_own_rows_of_other_tenants(worlds):
    """Real requests set agora.user_id too; the membership policy widens reads to the user's own rows."""
    a, b = worlds.a.pk, worlds.b.pk
    alice, sam = user_id_of("alice"), user_id_of("sam")  # alice: acme only; sam: acme and globex
    with raw() as owner:
        tables = tenant_tables(owner)
    for user in (alice, sam):
        with raw(role=app_role(), tenant_id=a) as cursor:
            cursor.execute("SELECT set_config('agora.user_id', %s, false)", [str(user)])
            for table in tables:
                seen = count_by_tenant(cursor, table)
                if table == "tenancy_membership" and user == sam:
                    # sam's own membership of B (the tenant switcher lists it), and nothing else of B.
                    cursor.execute("SELECT user_id FROM tenancy_membership WHERE tenant_id = %s", [b])
                    assert [row[0] for row in cursor.fetchall()] == [sam]
                    continue
                assert set(seen) <= {a}, f"{table}: user {user} in tenant A sees rows of B"
    # With a user but no tenant (e.g. the tenant picker), only the user's memberships are readable.
    with raw(role=app_role()) as cursor:
        cursor.execute("SELECT set_config('agora.user_id', %s, false)", [str(sam)])
        for table in tables:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            count = cursor.fetchone()[0]
            assert count == (2 if table == "tenancy_membership" else 0), (
                f"{table}: {count} rows without a tenant"
            )
