"""`manage.py insights_recompute [--tenant SLUG]`: recompute the derived delivery fields.

For rows written around the ingest (a bulk load, a restore, hand-made fixes): the webhook ingest keeps the
fields exact by itself. Three set-based statements per tenant (see `catalog.insights.delivery.derived`).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog.insights.delivery.derived import derive_all
from portal.plugins.api import Tenant, tenant_context


class Command(BaseCommand):
    help = "Recompute which deployments failed, when they recovered and when each change was deployed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", help="Tenant slug (default: every tenant).")

    def handle(self, *args, **options) -> None:
        tenants = Tenant.objects.order_by("slug")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        for tenant in tenants:
            with tenant_context(tenant), transaction.atomic():
                derive_all(tenant_id=tenant.pk)
            self.stdout.write(f"{tenant.slug}: recomputed")
