"""The state machine, who may record a move, backdating, eligibility and the rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from catalog.insights.adoption import services
from catalog.insights.models import Adoption, AdoptionChange, AdoptionRule, EligibleTeam
from portal.events.models import Event
from portal.tenancy.context import tenant_context
from tests.factories import make_world

pytestmark = pytest.mark.django_db


def move(aw, user, state, team=None, **kw):
    with tenant_context(aw.tenant):
        return services.adoption_set(
            membership=aw.membership(user), capability=aw.capability, team=team or aw.team, state=state, **kw
        )


def states(aw):
    with tenant_context(aw.tenant):
        return list(
            AdoptionChange.objects.order_by("effective_at", "pk").values_list("from_state", "to_state")
        )


def test_the_whole_cycle_is_recorded_with_dates(aw):
    now = timezone.now()
    move(aw, aw.owner, "evaluating", effective_at=now - timedelta(days=30))
    move(aw, aw.owner, "onboarded", effective_at=now - timedelta(days=20))
    move(aw, aw.owner, "offboarded", effective_at=now - timedelta(days=10))
    change = move(aw, aw.owner, "onboarded", note="Back again")
    assert states(aw) == [
        ("", "evaluating"),
        ("evaluating", "onboarded"),
        ("onboarded", "offboarded"),
        ("offboarded", "onboarded"),
    ]
    with tenant_context(aw.tenant):
        adoption = Adoption.objects.get()
        assert adoption.state == "onboarded" and adoption.offboarded_at is None
        assert adoption.onboarded_at == change.effective_at and adoption.evaluating_since is None
        assert change.recorded_by == aw.owner and change.source == "manual" and change.note == "Back again"
        assert Event.objects.filter(name="insights.adoption_changed").count() == 4


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "offboarded"),
        (["onboarded"], "evaluating"),
        (["onboarded"], "onboarded"),
        (["evaluating"], "evaluating"),
        (["evaluating", "offboarded"], "offboarded"),
        ([], "nonsense"),
    ],
)
def test_refused_moves_say_why_and_store_nothing(aw, path, refused):
    for state in path:
        move(aw, aw.owner, state)
    before = states(aw)
    with pytest.raises(ValidationError) as exc:
        move(aw, aw.owner, refused)
    assert "state" in exc.value.message_dict
    assert states(aw) == before
    if not path:
        with tenant_context(aw.tenant):
            assert not Adoption.objects.exists()


def test_refused_move_message_names_the_allowed_ones(aw):
    move(aw, aw.owner, "onboarded")
    with pytest.raises(ValidationError) as exc:
        move(aw, aw.owner, "evaluating")
    message = exc.value.message_dict["state"][0]
    assert "is Onboarded" in message and "Allowed: Offboarded" in message


def test_backfill_but_not_the_future_nor_before_the_previous_move(aw):
    now = timezone.now()
    move(aw, aw.owner, "evaluating", effective_at=now - timedelta(days=100))
    with pytest.raises(ValidationError) as exc:
        move(aw, aw.owner, "onboarded", effective_at=now - timedelta(days=101))
    assert "previous move" in exc.value.message_dict["effective_at"][0]
    with pytest.raises(ValidationError) as exc:
        move(aw, aw.owner, "onboarded", effective_at=now + timedelta(hours=1))
    assert "future" in exc.value.message_dict["effective_at"][0]
    with pytest.raises(ValidationError):
        move(aw, aw.owner, "onboarded", effective_at=(now - timedelta(days=1)).replace(tzinfo=None))
    assert states(aw) == [("", "evaluating")]
    move(aw, aw.owner, "onboarded", effective_at=now - timedelta(days=100))  # same instant: allowed
    assert states(aw)[-1] == ("evaluating", "onboarded")


def test_who_may_record(aw):
    world = aw.world
    move(aw, world.maintainer, "evaluating")  # the team's own maintainer
    move(aw, aw.owner, "onboarded")  # the capability's owner
    move(aw, world.admin, "offboarded")  # a tenant admin
    for user in (world.member, world.viewer, aw.other_maintainer):
        with pytest.raises(PermissionDenied):
            move(aw, user, "onboarded")
    # A maintainer of another team records for that team only.
    move(aw, aw.other_maintainer, "evaluating", team=aw.other_team)
    with pytest.raises(PermissionDenied):
        move(aw, world.maintainer, "onboarded", team=aw.other_team)
    assert len(states(aw)) == 4


def test_a_viewer_who_maintains_a_team_still_only_reads(aw):
    from portal.accounts import services as account_services
    from portal.accounts.models import TeamRole

    with tenant_context(aw.tenant):
        account_services.team_member_set(team=aw.team, user=aw.world.viewer, role=TeamRole.MAINTAINER)
    with pytest.raises(PermissionDenied):
        move(aw, aw.world.viewer, "onboarded")


def test_only_eligible_teams_start_but_any_may_leave(aw):
    move(aw, aw.owner, "onboarded")
    with pytest.raises(ValidationError) as exc:
        move(aw, aw.owner, "evaluating", team=aw.owner_team)  # the owner team is not eligible by default
    assert "not eligible" in exc.value.message_dict["team"][0]
    with tenant_context(aw.tenant):
        services.adoption_rule_set(
            membership=aw.membership(aw.owner), capability=aw.capability, eligibility="listed",
            teams=[aw.other_team],
        )  # fmt: skip
    move(aw, aw.owner, "evaluating", team=aw.other_team)
    move(aw, aw.owner, "offboarded")  # no longer eligible, but may still leave
    with pytest.raises(ValidationError):
        move(aw, aw.owner, "onboarded")


def test_foreign_team_or_capability_is_refused(aw):
    beta = make_world("beta")
    with pytest.raises(ValidationError) as exc:
        move(aw, aw.owner, "onboarded", team=beta.team)
    assert "team" in exc.value.message_dict
    with tenant_context(aw.tenant):
        assert not Adoption.objects.exists()


def test_rule_set_by_owners_only_and_validated(aw):
    def rule(user, **kw):
        with tenant_context(aw.tenant):
            return services.adoption_rule_set(membership=aw.membership(user), capability=aw.capability, **kw)

    for user in (aw.world.maintainer, aw.world.member, aw.world.viewer):
        with pytest.raises(PermissionDenied):
            rule(user, eligibility="all")
    with pytest.raises(ValidationError) as exc:
        rule(aw.owner, eligibility="listed", teams=[])
    assert "teams" in exc.value.message_dict
    with pytest.raises(ValidationError):
        rule(aw.owner, eligibility="some")
    with pytest.raises(ValidationError):
        rule(aw.owner, eligibility="listed", teams=[make_world("beta").team])
    with pytest.raises(ValidationError):
        rule(aw.owner, eligibility="all", environment="x" * 101)
    with tenant_context(aw.tenant):
        assert not AdoptionRule.objects.exists()
    rule(
        aw.owner, eligibility="listed", teams=[aw.team, aw.team], environment=" K8s-Shared ", repo_topic="K8S"
    )
    rule(
        aw.world.admin,
        eligibility="listed",
        teams=[aw.other_team],
        environment="k8s-shared",
        repo_topic="k8s",
    )
    with tenant_context(aw.tenant):
        saved = AdoptionRule.objects.get()
        assert (saved.eligibility, saved.environment, saved.repo_topic) == ("listed", "k8s-shared", "k8s")
        assert list(EligibleTeam.objects.values_list("team_id", flat=True)) == [aw.other_team.pk]
