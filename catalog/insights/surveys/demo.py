"""Demo surveys: per demo tenant, for one capability, a closed round with 14 answers and an open one with 3.

Deterministic (same scores and texts every run; dates relative to today). The demo tenants have too few
people for a round above the anonymity threshold, so a dozen "respondent" users are added as members of a
product team. The closed round is written directly (its dates are in the past, which the service refuses);
the open round goes through `survey_open`, so its invitations follow the onboarded teams of the adoption demo.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.insights.models import SurveyAnswer, SurveyInvitation, SurveyRound
from catalog.insights.surveys import services
from catalog.selectors import visible_capability
from portal.plugins.api import Membership, Role, Team, TeamMembership

CAPABILITY = {"acme": "kafka-topics", "globex": "managed-postgresql"}
RESPONDENT_TEAM = {"acme": "payments", "globex": "web"}
OPEN_ANSWERERS = {"acme": ["carol", "dan", "sam"], "globex": ["hank", "sam"]}
NAMES = [
    "Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov", "Ken Thompson",
    "Margaret Hamilton", "Donald Knuth", "Frances Allen", "John Backus", "Radia Perlman", "Leslie Lamport",
    "Niklaus Wirth", "Karen Jones",
]  # fmt: skip
# (score, experience, likes, dislikes, improve)
CLOSED_ANSWERS = [
    (10, "Smooth: my topic was ready in minutes.", "Self-service and the schema registry.", "", ""),
    (9, "Good overall.", "Clear docs.", "ACL changes need a ticket.", "Self-service ACLs."),
    (9, "Works well for our event streams.", "Retention options.", "", "A dashboard per topic."),
    (8, "Fine once set up.", "Reliability.", "Onboarding took a week.", "A quick-start template."),
    (7, "Okay.", "", "Consumer lag alerts are noisy.", "Tune the default lag alerts."),
    (9, "Very reliable this quarter.", "The on-call team answers fast.", "", ""),
    (10, "Best platform service we use.", "Everything.", "", "Keep it up."),
    (6, "Mixed.", "Throughput.", "Schema evolution rules are confusing.", "Explain compatibility modes."),
    (8, "Mostly good.", "Terraform provider.", "Docs for Protobuf are thin.", "More Protobuf examples."),
    (9, "No complaints.", "Stable.", "", ""),
    (5, "Hard to debug consumer groups.", "", "No visibility into rebalances.", "Expose rebalance events."),
    (10, "Great.", "Support channel.", "", ""),
    (7, "Decent.", "Schemas.", "Quota increases are slow.", "Faster quota increases."),
    (9, "Happy with it.", "The topic catalogue.", "", "Cost per topic in the portal."),
]
OPEN_SCORES = [
    (9, "Getting better.", "New lag dashboard.", "", ""),
    (6, "", "", "Slow quota changes.", ""),
    (10, "", "", "", ""),
]


def _respondents(tenant: Any, teams: dict[str, Any]) -> list[Any]:
    """Twelve-odd extra members in a product team (usernames per tenant, so reruns find them)."""
    User = get_user_model()
    team = teams.get(RESPONDENT_TEAM.get(tenant.slug, "")) or Team.objects.order_by("pk").first()
    found = []
    for i, full_name in enumerate(NAMES, start=1):
        first, _, last = full_name.partition(" ")
        user, created = User.objects.get_or_create(
            username=f"{tenant.slug}-dev{i:02d}",
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{tenant.slug}-dev{i:02d}@example.com",
            },
        )
        if created:
            user.set_unusable_password()  # survey respondents only; the demo logins are the named people
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, defaults={"role": Role.MEMBER})
        if team is not None:
            TeamMembership.objects.get_or_create(team=team, user=user)
        found.append(user)
    return found


def load(*, tenant: Any, teams: dict[str, Any], users: dict[str, Any]) -> None:
    admin = Membership.objects.filter(role=Role.ADMIN).order_by("pk").first()
    if admin is None:
        return
    capability = visible_capability(admin, slug=CAPABILITY.get(tenant.slug, ""))
    if capability is None:
        return
    respondents = _respondents(tenant, teams)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    opened = now - timedelta(days=120)
    closes = opened + timedelta(days=14)
    closed = SurveyRound.objects.create(
        capability=capability,
        title="Spring survey",
        opened_at=opened,
        closes_at=closes,
        closed_at=closes,
        opened_by=admin.user,
        reminder_sent_at=opened + timedelta(days=7),
    )
    SurveyInvitation.objects.bulk_create(
        [SurveyInvitation(tenant=tenant, round=closed, user=u, invited_at=opened) for u in respondents]
    )
    SurveyAnswer.objects.bulk_create(
        [
            SurveyAnswer(
                tenant=tenant, round=closed, user=user, score=score, experience=experience, likes=likes,
                dislikes=dislikes, improve=improve,
            )
            for user, (score, experience, likes, dislikes, improve) in zip(
                respondents, CLOSED_ANSWERS, strict=False
            )
        ]
    )  # fmt: skip
    current = services.survey_open(
        membership=admin, capability=capability, title="Summer survey", closes_at=now + timedelta(days=10)
    )
    answerers = [users[name] for name in OPEN_ANSWERERS.get(tenant.slug, []) if name in users]
    answerers += respondents[: max(0, len(OPEN_SCORES) - len(answerers))]
    for user, (score, experience, likes, dislikes, improve) in zip(answerers, OPEN_SCORES, strict=False):
        membership = Membership.objects.get(user=user)
        services.survey_answer(
            membership=membership, round=current, score=score, experience=experience, likes=likes,
            dislikes=dislikes, improve=improve,
        )  # fmt: skip
