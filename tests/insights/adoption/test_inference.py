"""Adoption inferred from `insights.deployment_recorded`: for matching rules only, once, never over a
person's decision."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.insights.adoption import services
from catalog.insights.adoption.inference import EVENT, on_deployment_recorded
from catalog.insights.models import Adoption, AdoptionChange, Deployment, IngestSource, RepoMapping
from portal.events.models import Event
from portal.events.services import event_dispatch, event_emit
from portal.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
_ids = itertools.count(1)


@pytest.fixture
def source(aw):
    with tenant_context(aw.tenant):
        return IngestSource.objects.create(
            name="CI", kind="generic", key=f"k-{next(_ids)}", secret_encrypted="x"
        )


def rule(aw, **kw):
    kw.setdefault("eligibility", "all")
    with tenant_context(aw.tenant):
        services.adoption_rule_set(membership=aw.membership(aw.owner), capability=aw.capability, **kw)


def repo(aw, name="acme/shop", team=None, topics=()):
    with tenant_context(aw.tenant):
        RepoMapping.objects.create(repository=name, team=team or aw.team, topics=list(topics))


def deploy(aw, source, *, env="K8S-Shared", repository="acme/shop", status="success", prod=True, at=None):
    """A recorded deployment and its event, dispatched by the real dispatcher (in the tenant)."""
    at = at or timezone.now() - timedelta(days=3)
    with tenant_context(aw.tenant):
        deployment = Deployment.objects.create(
            source=source, external_id=str(next(_ids)), repository=repository, environment=env,
            is_production=prod, status=status, created_at=at - timedelta(minutes=5), finished_at=at,
        )  # fmt: skip
        event = event_emit(
            EVENT,
            {
                "deployment_id": deployment.pk, "repository": repository, "environment": env,
                "is_production": prod, "finished_at": at.isoformat(),
            },
        )  # fmt: skip
        event_dispatch(event.pk)
        return event


def adoption(aw):
    with tenant_context(aw.tenant):
        return Adoption.objects.filter(capability_id=aw.capability.pk, team=aw.team).first()


def changes(aw) -> int:
    with tenant_context(aw.tenant):
        return AdoptionChange.objects.count()


def test_a_deployment_to_the_rule_environment_onboards_the_mapped_team_once(aw, source):
    rule(aw, environment="k8s-shared")
    repo(aw)
    at = timezone.now() - timedelta(days=3)
    event = deploy(aw, source, at=at)
    found = adoption(aw)
    assert found.state == "onboarded" and found.source == "inferred" and found.onboarded_at == at
    with tenant_context(aw.tenant):
        change = AdoptionChange.objects.get()
        assert change.recorded_by is None and change.source == "inferred" and change.effective_at == at
        on_deployment_recorded(Event.objects.get(pk=event.pk))  # a handler may run twice
    deploy(aw, source)  # and later deployments change nothing
    assert changes(aw) == 1


def test_only_matching_rules_infer(aw, source):
    repo(aw, topics=["kubernetes"])
    deploy(aw, source)  # no rule at all
    rule(aw)  # a rule without inference
    deploy(aw, source)
    rule(aw, environment="k8s-other", repo_topic="helm")
    deploy(aw, source)  # neither the environment nor a topic matches
    deploy(aw, source, env="k8s-other", status="failure")  # matches, but failed
    deploy(aw, source, env="k8s-other", repository="acme/unmapped")  # nobody to onboard
    assert adoption(aw) is None and changes(aw) == 0


def test_a_repository_topic_infers_on_production_deployments(aw, source):
    rule(aw, repo_topic="Kubernetes")
    repo(aw, topics=["Kubernetes", "python"])
    deploy(aw, source, env="staging", prod=False)
    assert adoption(aw) is None
    deploy(aw, source, env="production", prod=True)
    assert adoption(aw).state == "onboarded"


def test_inference_moves_evaluating_teams_but_never_overrules_an_offboarding(aw, source):
    rule(aw, environment="k8s-shared")
    repo(aw)
    now = timezone.now()
    with tenant_context(aw.tenant):
        services.adoption_set(
            membership=aw.membership(aw.owner), capability=aw.capability, team=aw.team, state="evaluating",
            effective_at=now - timedelta(days=10),
        )  # fmt: skip
    deploy(aw, source, at=now - timedelta(days=20))  # older than the evaluation: dated at the evaluation
    found = adoption(aw)
    assert found.state == "onboarded" and found.onboarded_at == now - timedelta(days=10)
    assert found.evaluating_since == now - timedelta(days=10)
    with tenant_context(aw.tenant):
        services.adoption_set(
            membership=aw.membership(aw.owner), capability=aw.capability, team=aw.team, state="offboarded"
        )
    deploy(aw, source)
    assert adoption(aw).state == "offboarded" and changes(aw) == 3


def test_the_owner_team_deploying_its_own_capability_is_no_adopter(aw, source):
    rule(aw, environment="k8s-shared")
    repo(aw, name="acme/platform", team=aw.owner_team)
    deploy(aw, source, repository="acme/platform")
    assert changes(aw) == 0


def test_a_deployment_from_the_future_is_dated_now(aw, source):
    rule(aw, environment="k8s-shared")
    repo(aw)
    deploy(aw, source, at=timezone.now() + timedelta(hours=2))  # the source's clock runs ahead
    assert adoption(aw).onboarded_at <= timezone.now()
