"""`flush` as the database owner: TRUNCATE is an owner operation and RLS does not govern it anyway."""

from django.core.management.commands import flush

from portal.tenancy.db.base import owner_mode


class Command(flush.Command):
    def handle(self, *args, **options):
        with owner_mode():
            return super().handle(*args, **options)
