"""`manage.py export_backstage --tenant SLUG [--output FILE]`: the catalog as Backstage YAML."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.backstage.exporter import export_catalog
from portal.plugins.api import Tenant, tenant_context


class Command(BaseCommand):
    help = "Export a tenant's teams and capabilities as multi-document Backstage catalog YAML."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        with tenant_context(tenant):
            text = export_catalog()
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
