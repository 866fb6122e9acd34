"""`migrate` as the database owner: schema changes never run as the row-level-security-bound app role."""

from django.core.management.commands import migrate

from portal.tenancy.db.base import owner_mode


class Command(migrate.Command):
    def handle(self, *args, **options):
        with owner_mode():
            return super().handle(*args, **options)
