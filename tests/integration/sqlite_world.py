"""Seed a small world into the SQLite file of the concurrency test; prints what the test needs as JSON.

Run as `python -m tests.integration.sqlite_world <voters> <subscribers>` with DATABASE_URL pointing at the
migrated file. Everything goes through the services (counts stay exact), except the extra subscribers,
bulk-inserted so the release's fan-out has real work to do while people vote.
"""

from __future__ import annotations

import json
import os
import sys

import django

PASSWORD = "sqlite-concurrency"


def seed(voters: int, subscribers: int) -> dict:
    from django.contrib.auth import get_user_model

    from catalog.releases import services as release_services
    from catalog.services import capability_create
    from portal.accounts import services as account_services
    from portal.accounts.models import TeamRole
    from portal.notifications.services.subscriptions import subscription_follow
    from portal.tenancy.context import tenant_context
    from portal.tenancy.models import Membership, Role, Tenant
    from requests_app.services.requests import request_create
    from tests.integration.population import populate

    User = get_user_model()
    tenant = Tenant.objects.create(slug="lockfree", name="Lockfree")
    maintainer = User.objects.create_user("maintainer", "maintainer@example.com", PASSWORD)
    people = [User.objects.create_user(f"voter{i}", f"voter{i}@example.com", PASSWORD) for i in range(voters)]
    with tenant_context(tenant):
        account_services.membership_set(user=maintainer, role=Role.MEMBER)
        for person in people:
            account_services.membership_set(user=person, role=Role.MEMBER)
        team = account_services.team_create(name="Platform", slug="platform")
        account_services.team_member_set(team=team, user=maintainer, role=TeamRole.MAINTAINER)
        capability = capability_create(owner_team=team, name="Build Farm", summary="Shared CI runners.")
        author = Membership.objects.get(user=maintainer)
        numbers = [
            request_create(membership=author, title=f"Faster builds, idea {i}", capability=capability).number
            for i in range(3)
        ]
        for person in people:
            subscription_follow(user=person, topic_kind="capability", topic_id=capability.pk)
        populate(tenant, subscribers, topic_id=capability.pk, prefix="fan")
        release = release_services.release_create(
            capability=capability, version="2.0.0", title="Twice the runners", user=maintainer
        )
    return {
        "tenant": tenant.slug,
        "maintainer": maintainer.username,
        "voters": [person.username for person in people],
        "password": PASSWORD,
        "requests": numbers,
        "release": release.pk,
        "recipients": voters + subscribers,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.integration.sqlite_settings")
    django.setup()
    print(json.dumps(seed(int(sys.argv[1]), int(sys.argv[2]))))
