"""Recount the catalog's facet counts from the capabilities (after a bulk load or a restore; the services
keep them exact otherwise). `--check` only reports tenants whose stored counts differ, exit status 1."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog import facets
from portal.plugins.api import Tenant, tenant_context


class Command(BaseCommand):
    help = "Recount the catalog facet counts of every tenant (or --tenant SLUG); --check only compares."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help="Only this tenant (its slug).")
        parser.add_argument("--check", action="store_true", help="Compare only; exit 1 if any differ.")

    def handle(self, *args, tenant: str | None = None, check: bool = False, **options) -> None:
        tenants = Tenant.objects.order_by("slug")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with the slug {tenant!r}.")
        differing = []
        for each in tenants:
            with tenant_context(each), transaction.atomic():
                if check:
                    if facets.stored() != facets.recount():
                        differing.append(each.slug)
                    continue
                facets.rebuild()
            self.stdout.write(f"{each.slug}: facet counts recounted")
        if check:
            if differing:
                raise CommandError(f"Facet counts differ from a recount in: {', '.join(differing)}")
            self.stdout.write("Facet counts equal a recount in every tenant.")
