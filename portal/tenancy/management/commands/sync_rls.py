"""Re-apply row-level security and the app role's grants (also done automatically after every migrate)."""

from django.core.management.base import BaseCommand

from portal.tenancy.db.base import owner_mode
from portal.tenancy.rls import sync_rls


class Command(BaseCommand):
    help = "Enable and force row-level security on every tenant table and grant the application role."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        with owner_mode():
            tables = sync_rls(options["database"])
        if not tables:
            self.stdout.write("Not PostgreSQL: row-level security does not apply.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Row-level security active on {len(tables)} tables."))
