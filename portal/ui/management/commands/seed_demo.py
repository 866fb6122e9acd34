"""Create the demo tenants `acme` and `globex`, their teams and users, then every plugin's demo data.

Idempotent: a tenant that already exists is left as it is (use --reset to start over).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.accounts import demo as accounts_demo
from portal.accounts import services as account_services
from portal.accounts.demo import DEMO_PASSWORD, DEMO_TENANTS
from portal.accounts.models import Team
from portal.notifications import demo as notifications_demo
from portal.plugins.registry import iter_plugins
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Tenant

User = get_user_model()


class Command(BaseCommand):
    help = "Load demo data: tenants acme and globex, teams, users (password printed) and plugin data."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo tenants first.")

    def handle(self, *args, **options):
        if options["reset"]:
            Tenant.objects.filter(slug__in=[t.slug for t in DEMO_TENANTS]).delete()
        for spec in DEMO_TENANTS:
            if Tenant.objects.filter(slug=spec.slug).exists():
                self.stdout.write(f"Tenant {spec.slug} exists; leaving it as it is.")
                continue
            self._create(spec)
            self.stdout.write(self.style.SUCCESS(f"Created demo tenant {spec.slug}."))
        self.stdout.write(f"Demo users share the password '{DEMO_PASSWORD}'.")

    @transaction.atomic
    def _create(self, spec) -> None:
        tenant = Tenant.objects.create(slug=spec.slug, name=spec.name)
        users = {}
        for du in spec.users:
            first, _, last = du.full_name.partition(" ")
            user, created = User.objects.get_or_create(
                username=du.username,
                defaults={"first_name": first, "last_name": last, "email": f"{du.username}@example.com"},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = du.role == "admin"
                user.save()
            users[du.username] = user
        with tenant_context(tenant):
            teams: dict[str, Team] = {}
            for slug, name, channel in spec.teams:
                teams[slug] = account_services.team_create(name=name, slug=slug, chat_channel=channel)
            for du in spec.users:
                account_services.membership_set(user=users[du.username], role=du.role)
                for team_slug, team_role in du.teams.items():
                    account_services.team_member_set(
                        team=teams[team_slug], user=users[du.username], role=team_role
                    )
            accounts_demo.load(tenant=tenant, teams=teams, users=users)
            notifications_demo.load(tenant=tenant, teams=teams, users=users)
            for plugin in iter_plugins():
                plugin.demo_data(tenant=tenant, teams=teams, users=users)
