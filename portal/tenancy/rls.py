"""Row-level security for every tenant-owned table, and the grants of the application role.

Run after every `migrate` (post_migrate signal) so a new tenant table can never be forgotten; the policy is
recreated each time, which keeps it in step with the model's `rls_extra_using`. PostgreSQL only.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.db import DatabaseError, connections, transaction
from psycopg import sql

from portal.tenancy.models import TenantOwnedModel

logger = logging.getLogger(__name__)

POLICY = "agora_tenant_isolation"
TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('agora.tenant_id', true), '')::bigint"


def tenant_models() -> list[type[TenantOwnedModel]]:
    return [
        m
        for m in apps.get_models()
        if issubclass(m, TenantOwnedModel) and not m._meta.proxy and m._meta.managed
    ]


def sync_rls(using: str = "default") -> list[str]:
    """Enable + force RLS and (re)create the isolation policy on every tenant table; grant the app role."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    tables = []
    with connection.cursor() as cursor:
        for model in tenant_models():
            table = model._meta.db_table
            using_sql = TENANT_PREDICATE
            if model.rls_extra_using:
                using_sql = f"({TENANT_PREDICATE}) OR ({model.rls_extra_using})"
            ident = sql.Identifier(table)
            cursor.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(ident))
            cursor.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(ident))
            cursor.execute(sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(POLICY), ident))
            # Reads may be widened by rls_extra_using; writes always stay inside the current tenant.
            cursor.execute(
                sql.SQL("CREATE POLICY {} ON {} USING ({}) WITH CHECK ({})").format(
                    sql.Identifier(POLICY), ident, sql.SQL(using_sql), sql.SQL(TENANT_PREDICATE)
                )
            )
            tables.append(table)
        app_user = connection.settings_dict.get("APP_USER")
        if app_user:
            ensure_app_role(cursor, app_user, password=connection.settings_dict.get("APP_PASSWORD") or None)
    return tables


def ensure_app_role(cursor: Any, role: str, *, password: str | None = None) -> None:
    """Create the non-superuser application role if missing and grant it DML on the schema.

    With a password (DB_APP_PASSWORD, required in production) the role gets LOGIN and exactly that password,
    also when it already exists (created NOLOGIN by a development run, or a rotated password): the app logs
    in as it. An owner without the right to alter roles gets a warning with the statement to run instead.
    """
    ident = sql.Identifier(role)
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cursor.fetchone() is None:
        login = sql.SQL("LOGIN PASSWORD {}").format(sql.Literal(password)) if password else sql.SQL("NOLOGIN")
        cursor.execute(
            sql.SQL("CREATE ROLE {} {} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE").format(ident, login)
        )
        logger.info("created application role %s", role)
    elif password:
        try:
            # A savepoint, so that a refusal does not abort a surrounding transaction.
            with transaction.atomic(using=cursor.db.alias):
                cursor.execute(
                    sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(password))
                )
        except DatabaseError as exc:
            logger.warning(
                "could not give the application role %s LOGIN and DB_APP_PASSWORD (%s); run as a role that "
                "may: ALTER ROLE %s LOGIN PASSWORD '<DB_APP_PASSWORD>';",
                role,
                str(exc).strip(),
                role,
            )
    cursor.execute("SELECT current_user")
    owner = cursor.fetchone()[0]
    if owner != role:
        # The owner must be able to SET ROLE to the app role (trust/dev setups without DB_APP_PASSWORD).
        cursor.execute(sql.SQL("GRANT {} TO {}").format(ident, sql.Identifier(owner)))
    cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident))
    cursor.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(ident)
    )
    cursor.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident))


def sync_rls_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # post_migrate fires once per app with models; doing the work after the last one covers every table.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if with_models and sender is with_models[-1]:
        sync_rls(using)
