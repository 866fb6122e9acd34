"""Migration operations for plugins (exported by `portal.plugins.api`)."""

from __future__ import annotations

from django.db import migrations


class RunSQLOnPostgres(migrations.RunSQL):
    """SQL only PostgreSQL understands (extensions, GIN and trigram indexes); nothing on other databases.

    The demo runs on SQLite, where search falls back to plain matching and these indexes have no use.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
