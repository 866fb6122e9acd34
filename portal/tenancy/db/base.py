"""PostgreSQL DatabaseWrapper that keeps `agora.tenant_id` / `agora.user_id` equal to the current scope.

Why not `SET LOCAL` once per transaction: Django runs in autocommit, so most statements are their own
transaction. Instead, before each statement we compare the scope the session was last given with the current
one and, only when they differ, send one `set_config(..., false)`. A rollback (or savepoint rollback) can undo
that setting, so we forget what we sent whenever one happens and send it again on the next statement. The
RLS policies read these settings; no setting means no rows.

Roles: migrations run as the owner (the DATABASE_URL user). When `DB_APP_USER` is set, application work runs
as that non-superuser role, because superusers bypass row-level security: with `DB_APP_PASSWORD` the
backend logs in as it. Without a password it connects as the owner and `SET ROLE`s to it, but only where
the settings allow it (`APP_ALLOW_SET_ROLE`, i.e. DEBUG=1: local trust setups, tests): a `SET ROLE` session
can `RESET ROLE` back to the owner, so it is no boundary against SQL that reaches the connection.
`owner_mode()` switches a process to owner connections for migrate/flush.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.postgresql import base as pg
from psycopg import sql

from portal.tenancy.context import current_scope

_UNSET = object()
_owner_mode = False


@contextmanager
def owner_mode() -> Iterator[None]:
    """Run the block on owner connections (schema changes, flush). Closes connections on entry and exit."""
    global _owner_mode
    previous = _owner_mode
    _close_agora_connections()
    _owner_mode = True
    try:
        yield
    finally:
        _close_agora_connections()
        _owner_mode = previous


def _close_agora_connections() -> None:
    for conn in connections.all(initialized_only=True):
        if isinstance(conn, DatabaseWrapper) and not conn.in_atomic_block:
            conn.close()


class DatabaseWrapper(pg.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._agora_sent: object = _UNSET
        self.execute_wrappers.append(self._apply_scope)

    # --- roles --------------------------------------------------------------------------------------------
    @property
    def app_user(self) -> str:
        return "" if _owner_mode else self.settings_dict.get("APP_USER", "")

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        password = self.settings_dict.get("APP_PASSWORD", "")
        if self.app_user and password:
            params["user"] = self.app_user
            params["password"] = password
        elif self.app_user and not self.settings_dict.get("APP_ALLOW_SET_ROLE", False):
            # Settings refuse this at start-up; this keeps hand-written DATABASES honest too.
            raise ImproperlyConfigured(
                f"Refusing to connect as the owner and SET ROLE {self.app_user}: set DB_APP_PASSWORD so the "
                "application logs in as that role (SET ROLE is for DEBUG=1 development only)."
            )
        return params

    def init_connection_state(self) -> None:
        super().init_connection_state()
        self._agora_sent = _UNSET
        role = self.app_user
        if role and not self.settings_dict.get("APP_PASSWORD"):
            with self.connection.cursor() as cursor:
                cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            if not self.get_autocommit():
                self.connection.commit()

    @contextmanager
    def _nodb_cursor(self):
        """Creating/dropping databases (tests) is owner work: never SET ROLE on the maintenance connection."""
        global _owner_mode
        previous = _owner_mode
        _owner_mode = True
        try:
            with super()._nodb_cursor() as cursor:
                yield cursor
        finally:
            _owner_mode = previous

    # --- tenant scope -------------------------------------------------------------------------------------
    def _apply_scope(self, execute, sql_text, params, many, context):
        scope = current_scope()
        wanted = (scope.tenant_id, scope.user_id)
        if wanted != self._agora_sent:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('agora.tenant_id', %s, false), set_config('agora.user_id', %s, false)",
                    [
                        "" if wanted[0] is None else str(wanted[0]),
                        "" if wanted[1] is None else str(wanted[1]),
                    ],
                )
            self._agora_sent = wanted
        return execute(sql_text, params, many, context)

    def _rollback(self) -> None:
        self._agora_sent = _UNSET
        super()._rollback()

    def _savepoint_rollback(self, sid: str) -> None:
        try:
            super()._savepoint_rollback(sid)
        finally:
            self._agora_sent = _UNSET

    def _close(self) -> None:
        self._agora_sent = _UNSET
        super()._close()
