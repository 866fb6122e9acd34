"""Survey test data: a capability owned by the world's team, a team onboarded to it, one that is not."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from catalog.insights.models import Adoption, SurveyRound
from catalog.insights.surveys import services
from portal.tenancy.context import tenant_context
from portal.tenancy.models import Membership, Role
from tests.catalog.factories import make_capability
from tests.factories import add_member, make_team, make_user

_seq = itertools.count(1)


@dataclass
class SurveyWorld:
    world: Any
    capability: Any
    users: list[Any]  # members of the onboarded team (tenant role member)
    onboarded_viewer: Any  # in the onboarded team, but a tenant viewer
    outsider: Any  # member of a team that is only evaluating
    onboarded_team: Any
    other_team: Any


def make_survey_world(world, *, users: int = 3, slug: str = "kafka") -> SurveyWorld:
    tenant = world.tenant
    people = [make_user(f"{tenant.slug}-{slug}-user{i}") for i in range(users)]
    for user in people:
        add_member(tenant, user, Role.MEMBER)
    viewer = make_user(f"{tenant.slug}-{slug}-viewer")
    add_member(tenant, viewer, Role.VIEWER)
    outsider = make_user(f"{tenant.slug}-{slug}-outsider")
    add_member(tenant, outsider, Role.MEMBER)
    onboarded = make_team(tenant, f"{tenant.slug}-{slug}-users", members=[*people, viewer])
    other = make_team(tenant, f"{tenant.slug}-{slug}-others", members=[outsider])
    capability = make_capability(tenant, world.team, name="Kafka Topics", slug=slug)
    with tenant_context(tenant):
        now = timezone.now()
        Adoption.objects.create(capability=capability, team=onboarded, state="onboarded", onboarded_at=now)
        Adoption.objects.create(capability=capability, team=other, state="evaluating", evaluating_since=now)
    return SurveyWorld(world, capability, people, viewer, outsider, onboarded, other)


def membership(tenant, user) -> Membership:
    with tenant_context(tenant):
        return Membership.objects.get(user=user)


def open_round(sw: SurveyWorld, *, days: int = 14, title: str = "Q3") -> SurveyRound:
    with tenant_context(sw.world.tenant):
        return services.survey_open(
            membership=membership(sw.world.tenant, sw.world.maintainer),
            capability=sw.capability,
            title=title,
            closes_at=timezone.now() + timedelta(days=days),
        )


def answer(sw: SurveyWorld, round, user, score: int, **texts: str):
    with tenant_context(sw.world.tenant):
        return services.survey_answer(
            membership=membership(sw.world.tenant, user), round=round, score=score, **texts
        )


def extra_answerers(sw: SurveyWorld, n: int) -> list[Any]:
    """n more tenant members (not invited) who may answer: anyone who can see the capability may."""
    found = []
    for _ in range(n):
        user = make_user(f"{sw.world.tenant.slug}-extra-{next(_seq)}")
        add_member(sw.world.tenant, user, Role.MEMBER)
        found.append(user)
    return found
