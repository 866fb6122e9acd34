# Search document column; on PostgreSQL also pg_trgm and the GIN indexes used by catalog.search.

import django.contrib.postgres.search
from django.db import migrations

from portal.plugins.api import RunSQLOnPostgres

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS catalog_capability_search_gin ON catalog_capability USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS catalog_capability_name_trgm ON catalog_capability "
    "USING gin (name gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS catalog_capability_name_trgm",
    "DROP INDEX IF EXISTS catalog_capability_search_gin",
]


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="capability",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        RunSQLOnPostgres(PG_FORWARD, PG_BACKWARD),
    ]
