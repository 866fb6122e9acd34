"""Survey services: invitations, one answer per person, close, the one reminder, permissions, the beat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from catalog.insights.models import SurveyAnswer, SurveyInvitation, SurveyRound
from catalog.insights.surveys import services
from catalog.insights.surveys.services import SurveyStateError
from catalog.insights.surveys.tasks import survey_due_work
from portal.notifications.models import Delivery, Notification
from portal.tenancy.context import tenant_context
from tests.insights.surveys.factories import (
    answer,
    extra_answerers,
    make_survey_world,
    membership,
    open_round,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world_a):
    return make_survey_world(world_a)


def test_invitations_go_only_to_writers_of_onboarded_teams(sw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        round = open_round(sw)
    invited = {u.pk for u in sw.users}
    with tenant_context(sw.world.tenant):
        assert set(SurveyInvitation.objects.filter(round=round).values_list("user_id", flat=True)) == invited
        notification = Notification.objects.get(key=f"survey:{round.pk}:invite")
        assert notification.category == "survey" and set(notification.recipient_user_ids) == invited
        # Fanned out through each invitee's channel preferences (the default: inbox at least), nobody else.
        recipients = set(
            Delivery.objects.filter(notification=notification).values_list("recipient_id", flat=True)
        )
    assert recipients == invited
    assert sw.outsider.pk not in recipients and sw.onboarded_viewer.pk not in recipients
    assert sw.world.member.pk not in recipients  # member of the owning team, which has not onboarded


def test_only_owners_open_and_one_open_round_per_capability(sw):
    tenant = sw.world.tenant
    closes = timezone.now() + timedelta(days=7)
    for user in (sw.world.member, sw.users[0], sw.world.viewer):
        with tenant_context(tenant), pytest.raises(PermissionDenied):
            services.survey_open(
                membership=membership(tenant, user), capability=sw.capability, title="x", closes_at=closes
            )
    first = open_round(sw)
    with pytest.raises(SurveyStateError, match="already has an open survey round"):
        open_round(sw)
    with tenant_context(tenant):
        admin = membership(tenant, sw.world.admin)
        services.survey_close(membership=admin, round=first)
        second = services.survey_open(
            membership=admin, capability=sw.capability, title="Q4", closes_at=closes
        )
        assert SurveyRound.objects.count() == 2 and second.closed_at is None


def test_bad_input_stores_nothing(sw):
    tenant = sw.world.tenant
    with tenant_context(tenant):
        owner = membership(tenant, sw.world.maintainer)
        for title, closes_at, field in [
            ("", timezone.now() + timedelta(days=3), "title"),
            ("x" * 201, timezone.now() + timedelta(days=3), "title"),
            ("Q3", timezone.now() - timedelta(days=1), "closes_at"),
            ("Q3", timezone.now() + timedelta(days=200), "closes_at"),
        ]:
            with pytest.raises(ValidationError) as exc:
                services.survey_open(
                    membership=owner, capability=sw.capability, title=title, closes_at=closes_at
                )
            assert field in exc.value.message_dict
        assert not SurveyRound.objects.exists() and not Notification.objects.exists()
    round = open_round(sw)
    for score in (-1, 11, "7", None, True):
        with pytest.raises(ValidationError):
            answer(sw, round, sw.users[0], score)
    with pytest.raises(ValidationError):
        answer(sw, round, sw.users[0], 5, likes="x" * 2001)
    with tenant_context(tenant):
        assert not SurveyAnswer.objects.exists()


def test_one_answer_per_person_updated_in_place_until_closed(sw):
    round = open_round(sw)
    first = answer(sw, round, sw.users[0], 3, likes="fast")
    again = answer(sw, round, sw.users[0], 9, likes="very fast", improve="docs")
    with tenant_context(sw.world.tenant):
        assert SurveyAnswer.objects.filter(round=round).count() == 1
        stored = SurveyAnswer.objects.get()
    assert again.pk == first.pk and (stored.score, stored.likes, stored.improve) == (9, "very fast", "docs")
    with tenant_context(sw.world.tenant):
        services.survey_close(membership=membership(sw.world.tenant, sw.world.maintainer), round=round)
    with pytest.raises(SurveyStateError, match="closed"):
        answer(sw, round, sw.users[0], 1)
    with pytest.raises(SurveyStateError, match="closed"):
        answer(sw, round, sw.users[1], 1)
    with tenant_context(sw.world.tenant):
        assert SurveyAnswer.objects.get().score == 9 and SurveyAnswer.objects.count() == 1


def test_past_closes_at_is_closed_even_before_the_beat(sw):
    round = open_round(sw)
    with tenant_context(sw.world.tenant):
        SurveyRound.objects.filter(pk=round.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(SurveyStateError):
        answer(sw, round, sw.users[0], 8)


def test_who_may_answer(sw, world_b):
    """Any member who can see the capability (invited or not); not viewers, not other tenants' people."""
    round = open_round(sw)
    answer(sw, round, sw.outsider, 7)  # not invited, still heard
    answer(sw, round, sw.world.member, 8)
    with pytest.raises(PermissionDenied):
        answer(sw, round, sw.onboarded_viewer, 8)
    with tenant_context(sw.world.tenant):
        assert not SurveyAnswer.objects.filter(user=sw.onboarded_viewer).exists()
        # Someone of another tenant has no membership here at all.
        from portal.tenancy.models import Membership

        assert not Membership.objects.filter(user=world_b.member).exists()


def test_reminder_only_to_non_answerers_and_only_once(sw, django_capture_on_commit_callbacks):
    round = open_round(sw)
    answer(sw, round, sw.users[0], 9)
    tenant = sw.world.tenant
    owner = membership(tenant, sw.world.maintainer)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        assert services.survey_remind(membership=owner, round=round) == 2
    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        assert services.survey_remind(membership=owner, round=round) == 0  # the second call changes nothing
        assert survey_due_work.run(tenant_id=tenant.pk)["reminded"] == 0
        reminders = Notification.objects.filter(key__endswith=":remind")
        assert reminders.count() == 1
        assert set(reminders.get().recipient_user_ids) == {sw.users[1].pk, sw.users[2].pk}
        recipients = set(
            Delivery.objects.filter(notification=reminders.get()).values_list("recipient_id", flat=True)
        )
        assert recipients == {sw.users[1].pk, sw.users[2].pk}
        reminded = set(
            SurveyInvitation.objects.filter(reminded_at__isnull=False).values_list("user_id", flat=True)
        )
        assert reminded == {sw.users[1].pk, sw.users[2].pk}
        assert SurveyRound.objects.get(pk=round.pk).reminder_sent_at is not None
    with tenant_context(tenant), pytest.raises(PermissionDenied):
        services.survey_remind(membership=membership(tenant, sw.users[1]), round=round)


def test_non_owners_cannot_close(sw):
    round = open_round(sw)
    tenant = sw.world.tenant
    for user in (sw.world.member, sw.users[0], sw.world.viewer):
        with tenant_context(tenant), pytest.raises(PermissionDenied):
            services.survey_close(membership=membership(tenant, user), round=round)
    with tenant_context(tenant):
        assert SurveyRound.objects.get(pk=round.pk).closed_at is None
        services.survey_close(membership=membership(tenant, sw.world.admin), round=round)
        with pytest.raises(SurveyStateError, match="already closed"):
            services.survey_close(membership=membership(tenant, sw.world.admin), round=round)


def test_beat_reminds_halfway_and_closes_at_closes_at(sw):
    round = open_round(sw, days=10)
    tenant = sw.world.tenant
    assert survey_due_work.run(tenant_id=tenant.pk) == {"closed": 0, "reminded": 0}  # not halfway yet
    with tenant_context(tenant):
        now = timezone.now()
        SurveyRound.objects.filter(pk=round.pk).update(
            opened_at=now - timedelta(days=6), closes_at=now + timedelta(days=4)
        )
    assert survey_due_work.run(tenant_id=tenant.pk) == {"closed": 0, "reminded": 1}
    assert survey_due_work.run(tenant_id=tenant.pk) == {"closed": 0, "reminded": 0}
    with tenant_context(tenant):
        SurveyRound.objects.filter(pk=round.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    assert survey_due_work.run() == {"closed": 1, "reminded": 0}
    assert survey_due_work.run() == {"closed": 0, "reminded": 0}
    with tenant_context(tenant):
        closed = SurveyRound.objects.get(pk=round.pk)
        assert closed.closed_at == closed.closes_at
        assert Notification.objects.filter(key=f"survey:{round.pk}:remind").count() == 1


def test_more_than_the_invitees_may_answer(sw):
    round = open_round(sw)
    for user in extra_answerers(sw, 2):
        answer(sw, round, user, 10)
    with tenant_context(sw.world.tenant):
        assert SurveyAnswer.objects.filter(round=round).count() == 2
