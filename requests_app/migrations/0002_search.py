# GIN index of the search document and a trigram index on titles (PostgreSQL only), used by
# requests_app.search to suggest similar requests while a title is typed.

from django.db import migrations

from portal.plugins.api import RunSQLOnPostgres

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS requests_app_request_search_gin ON requests_app_featurerequest "
    "USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS requests_app_request_title_trgm ON requests_app_featurerequest "
    "USING gin (title gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS requests_app_request_title_trgm",
    "DROP INDEX IF EXISTS requests_app_request_search_gin",
]


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0001_initial")]

    operations = [RunSQLOnPostgres(PG_FORWARD, PG_BACKWARD)]
