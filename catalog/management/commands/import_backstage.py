"""`manage.py import_backstage --tenant SLUG [--dry-run] [--json] [--verbose] PATH...`

Imports Backstage descriptor files (files, or folders read recursively for `*.yaml`/`*.yml`; Location
targets inside them are followed) into one tenant, atomically. Exit status 1 when the import is refused.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from catalog.backstage.importer import import_paths
from portal.plugins.api import Tenant, tenant_context


class Command(BaseCommand):
    help = "Import Backstage catalog-info YAML files or folders into a tenant's catalog (atomic)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="YAML files or folders (recursive).")
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--verbose", action="store_true", help="Also list informational notes.")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        with tenant_context(tenant):
            report = import_paths(options["paths"], dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2, default=str))
        else:
            self.stdout.write(report.render_text(verbose=options["verbose"]), ending="")
        if not report.ok:
            raise CommandError(report.summary())
