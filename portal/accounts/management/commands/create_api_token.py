"""`manage.py create_api_token --tenant SLUG --user USERNAME [--name NAME]`: print a new token once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.accounts.services import api_token_create
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership, Tenant


class Command(BaseCommand):
    help = "Create an API token bound to a user's membership of a tenant; prints the token once."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--user", required=True, help="Username.")
        parser.add_argument("--name", default="cli", help="A label for the token.")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        with tenant_context(tenant):
            membership = Membership.objects.select_related("tenant").filter(user=user).first()
            if membership is None:
                raise CommandError(f"User {user.username!r} is not a member of tenant {tenant.slug!r}.")
            issued = api_token_create(membership=membership, name=options["name"])
        # The token alone on stdout, so scripts can capture it: TOKEN=$(manage.py create_api_token ...)
        self.stdout.write(issued.text)
