"""GitHub webhooks: signatures, idempotency, and GitHub's own example payloads ingested unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from catalog.insights.delivery import github
from catalog.insights.models import Change, Deployment, RepoMapping
from portal.plugins.api import Event, tenant_context
from tests.insights.delivery.helpers import (
    EXAMPLES,
    NOTHING,
    counts,
    example,
    make_source,
    post_github,
    sign,
    variant,
)

pytestmark = pytest.mark.django_db
DEPLOYED_AT = datetime(2019, 5, 15, 15, 20, 53, tzinfo=UTC)
SUCCEEDED_AT = datetime(2019, 5, 15, 15, 20, 55, tzinfo=UTC)


@pytest.fixture
def gh(world_a):
    return make_source(world_a, "github", "GitHub acme")


def deployment(world) -> Deployment:
    with tenant_context(world.tenant):
        return Deployment.objects.get()


# --- signatures -----------------------------------------------------------------------------------------
def test_a_correct_signature_is_accepted(world_a, gh):
    source, secret = gh
    response = post_github(source, secret, example("deployment/payload.json"), event="deployment")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "stored", "rows": 1}
    with tenant_context(world_a.tenant):
        source.refresh_from_db()
    assert source.last_received_at is not None


@pytest.mark.parametrize(
    "signature",
    [
        "sha256=" + "0" * 64,
        "sha1=0123",
        "",
        "garbage",
    ],
)
def test_a_wrong_or_missing_signature_is_401_and_stores_nothing(world_a, gh, signature):
    source, _secret = gh
    body = example("deployment/payload.json")
    response = post_github(source, None, body, event="deployment", signature=signature or None)
    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]
    assert counts(world_a) == NOTHING


def test_a_signature_with_another_secret_or_of_another_body_is_refused(world_a, gh):
    source, secret = gh
    body = example("deployment/payload.json")
    assert (
        post_github(source, None, body, event="deployment", signature=sign("other", body)).status_code == 401
    )
    forged = post_github(source, None, body + b" ", event="deployment", signature=sign(secret, body))
    assert forged.status_code == 401
    assert counts(world_a) == NOTHING


def test_rotating_the_secret_refuses_the_old_one(world_a, gh):
    from catalog.insights.delivery import services

    source, old = gh
    with tenant_context(world_a.tenant):
        new = services.source_rotate_secret(source=source).secret
    body = example("deployment/payload.json")
    assert post_github(source, old, body, event="deployment").status_code == 401
    assert post_github(source, new, body, event="deployment").status_code == 200


# --- idempotency ----------------------------------------------------------------------------------------
def test_a_redelivery_answers_200_and_stores_nothing_new(world_a, gh):
    source, secret = gh
    body = example("deployment_status/payload.json")
    first = post_github(source, secret, body, event="deployment_status", delivery="abc")
    assert first.status_code == 200 and first.json()["status"] == "stored"
    after_first = counts(world_a)
    assert after_first == {"deliveries": 1, "deployments": 1, "changes": 0, "incidents": 0, "events": 1}
    again = post_github(source, secret, body, event="deployment_status", delivery="abc")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert counts(world_a) == after_first


def test_the_same_delivery_id_in_another_source_is_another_delivery(world_a, gh):
    source, secret = gh
    other, other_secret = make_source(world_a, "github", "Second org")
    body = example("deployment/payload.json")
    assert post_github(source, secret, body, event="deployment", delivery="x").json()["status"] == "stored"
    assert (
        post_github(other, other_secret, body, event="deployment", delivery="x").json()["status"] == "stored"
    )
    assert counts(world_a)["deployments"] == 2


# --- every example payload, unchanged -------------------------------------------------------------------
EXPECTED = {
    # file: (status, deployments, changes, recorded deliveries)
    "deployment/payload.json": (200, 1, 0, 1),
    "deployment_status/payload.json": (200, 1, 0, 1),
    "deployment_status/with-installation.payload.json": (200, 1, 0, 1),
    "pull_request/closed.payload.json": (202, 0, 0, 0),  # closed without merging: not a change
    "pull_request/opened.payload.json": (202, 0, 0, 0),
    "push/payload.json": (202, 0, 0, 0),  # the deletion of a tag: not the default branch
    "push/with-organization.payload.json": (202, 0, 0, 0),
    "workflow_run/completed.payload.json": (202, 0, 0, 0),  # an event Agora does not read
}


def test_every_example_file_is_listed_here():
    files = {str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.json")}
    assert files == set(EXPECTED)
    assert (EXAMPLES / "LICENSE").read_text().startswith("The MIT License")


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_each_example_payload_ingests_unchanged(world_a, gh, path):
    source, secret = gh
    status, deployments, changes, deliveries = EXPECTED[path]
    event = path.split("/")[0]
    response = post_github(source, secret, example(path), event=event, delivery=f"delivery-{path}")
    assert response.status_code == status, response.content
    got = counts(world_a)
    assert (got["deployments"], got["changes"], got["deliveries"]) == (deployments, changes, deliveries)
    if status == 202:
        assert response.json()["status"] == "ignored" and response.json()["detail"]


def test_the_deployment_example_creates_a_pending_production_deployment(world_a, gh):
    source, secret = gh
    post_github(source, secret, example("deployment/payload.json"), event="deployment")
    row = deployment(world_a)
    assert (row.external_id, row.repository, row.environment) == (
        "145988746",
        "codertocat/hello-world",
        "production",
    )
    assert row.sha == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    assert row.status == "pending" and row.finished_at is None
    assert row.is_production and not row.is_remediation
    assert row.created_at == DEPLOYED_AT
    assert counts(world_a)["events"] == 0  # not successful (yet)


def test_deployment_then_its_status_makes_it_successful_and_emits_the_event_once(world_a, gh):
    source, secret = gh
    post_github(source, secret, example("deployment/payload.json"), event="deployment", delivery="1")
    post_github(
        source, secret, example("deployment_status/payload.json"), event="deployment_status", delivery="2"
    )
    row = deployment(world_a)
    assert row.status == "success" and row.finished_at == SUCCEEDED_AT and row.created_at == DEPLOYED_AT
    # The other example names the same deployment and status: a new delivery that changes nothing.
    body = example("deployment_status/with-installation.payload.json")
    response = post_github(source, secret, body, event="deployment_status", delivery="3")
    assert response.json() == {"status": "stored", "rows": 0}
    with tenant_context(world_a.tenant):
        events = list(Event.objects.filter(name="insights.deployment_recorded"))
    assert len(events) == 1
    assert events[0].payload == {
        "deployment_id": row.pk,
        "repository": "codertocat/hello-world",
        "environment": "production",
        "is_production": True,
        "finished_at": "2019-05-15T15:20:55+00:00",
    }


def test_a_status_before_its_deployment_creates_it_and_the_late_deployment_changes_nothing(world_a, gh):
    source, secret = gh
    post_github(
        source, secret, example("deployment_status/payload.json"), event="deployment_status", delivery="2"
    )
    post_github(source, secret, example("deployment/payload.json"), event="deployment", delivery="1")
    row = deployment(world_a)
    assert row.status == "success" and row.finished_at == SUCCEEDED_AT
    assert counts(world_a)["events"] == 1


def _status(state: str, created_at: str, *, environment: str = "production") -> bytes:
    payload = json.loads(example("deployment_status/payload.json"))
    payload["deployment_status"]["state"] = state
    payload["deployment_status"]["created_at"] = created_at
    payload["deployment"]["environment"] = environment
    return json.dumps(payload).encode()


def test_failure_error_and_later_inactive_states(world_a, gh):
    source, secret = gh
    post_github(
        source, secret, _status("error", "2019-05-15T15:21:00Z"), event="deployment_status", delivery="1"
    )
    assert deployment(world_a).status == "failure"
    # An older success arriving late does not overwrite the newer failure.
    post_github(
        source, secret, _status("success", "2019-05-15T15:20:00Z"), event="deployment_status", delivery="2"
    )
    assert deployment(world_a).status == "failure"
    post_github(
        source, secret, _status("success", "2019-05-15T15:30:00Z"), event="deployment_status", delivery="3"
    )
    assert deployment(world_a).status == "success"
    post_github(
        source, secret, _status("inactive", "2019-05-16T00:00:00Z"), event="deployment_status", delivery="4"
    )
    row = deployment(world_a)
    assert row.status == "success" and row.finished_at == datetime(2019, 5, 15, 15, 30, tzinfo=UTC)


def test_production_is_what_the_source_says(world_a):
    source, secret = make_source(world_a, "github", "Custom", production_environments="Live, prod-eu")
    post_github(
        source,
        secret,
        _status("success", "2019-05-15T15:21:00Z", environment="LIVE"),
        event="deployment_status",
    )
    assert deployment(world_a).is_production
    post_github(
        source, secret, _status("success", "2019-05-15T15:21:00Z", environment="production"),
        event="deployment_status", delivery="other",
    )  # fmt: skip
    # Same deployment id: it keeps the environment it was first seen with.
    assert deployment(world_a).environment == "LIVE"


# --- our own variants of the examples ----------------------------------------------------------------------
def merged_pull_request(**pr_changes) -> bytes:
    payload = json.loads(example("pull_request/closed.payload.json"))
    payload["pull_request"].update({"merged": True, "merged_at": "2019-05-15T15:21:18Z", **pr_changes})
    return json.dumps(payload).encode()


def push_to_master() -> bytes:
    payload = json.loads(example("push/payload.json"))
    payload.update(
        ref="refs/heads/master",
        deleted=False,
        after="c4295bd74fb0f4fda03689c3df3f2803b658fd85",
        commits=[
            {"id": "a" * 40, "timestamp": "2019-05-14T10:00:00-07:00"},
            {"id": "b" * 40, "timestamp": "2019-05-15T08:00:00-07:00"},
        ],
        head_commit={
            "id": "c4295bd74fb0f4fda03689c3df3f2803b658fd85",
            "timestamp": "2019-05-15T08:21:20-07:00",
        },
    )
    return json.dumps(payload).encode()


def test_a_merged_pull_request_is_a_change_with_its_creation_as_first_commit(world_a, gh):
    source, secret = gh
    response = post_github(source, secret, merged_pull_request(), event="pull_request")
    assert response.json() == {"status": "stored", "rows": 1}
    with tenant_context(world_a.tenant):
        change = Change.objects.get()
    assert change.repository == "codertocat/hello-world"
    assert change.sha == "c4295bd74fb0f4fda03689c3df3f2803b658fd85"
    assert change.merged_at == datetime(2019, 5, 15, 15, 21, 18, tzinfo=UTC)
    assert change.first_commit_at == datetime(2019, 5, 15, 15, 20, 33, tzinfo=UTC)  # the PR's created_at


def test_a_pull_request_merged_into_another_branch_is_not_a_change(world_a, gh):
    source, secret = gh
    payload = json.loads(merged_pull_request())
    payload["pull_request"]["base"]["ref"] = "release-1.x"
    response = post_github(source, secret, json.dumps(payload).encode(), event="pull_request")
    assert response.status_code == 202
    assert counts(world_a) == NOTHING


def test_a_push_to_the_default_branch_is_one_change(world_a, gh):
    source, secret = gh
    assert post_github(source, secret, push_to_master(), event="push").status_code == 200
    with tenant_context(world_a.tenant):
        change = Change.objects.get()
    assert change.first_commit_at == datetime(2019, 5, 14, 17, 0, tzinfo=UTC)
    assert change.merged_at == datetime(2019, 5, 15, 15, 21, 20, tzinfo=UTC)


def test_a_push_to_a_branch_other_than_the_default_is_ignored(world_a, gh):
    source, secret = gh
    payload = json.loads(push_to_master())
    payload["ref"] = "refs/heads/feature"
    assert post_github(source, secret, json.dumps(payload).encode(), event="push").status_code == 202
    assert counts(world_a) == NOTHING


def test_the_merged_pull_request_and_the_push_of_its_merge_commit_are_one_change(world_a, gh):
    source, secret = gh
    post_github(source, secret, merged_pull_request(), event="pull_request", delivery="pr")
    post_github(source, secret, push_to_master(), event="push", delivery="push")
    with tenant_context(world_a.tenant):
        change = Change.objects.get()
    assert change.first_commit_at == datetime(2019, 5, 14, 17, 0, tzinfo=UTC)  # the earlier of both
    assert change.merged_at == datetime(2019, 5, 15, 15, 21, 18, tzinfo=UTC)


def test_ping_is_answered_and_stores_nothing(world_a, gh):
    source, secret = gh
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1, "hook": {"type": "Organization"}})
    response = post_github(source, secret, body.encode(), event="ping")
    assert response.status_code == 200 and response.json() == {"status": "pong"}
    assert counts(world_a) == NOTHING


def test_a_form_encoded_delivery_is_read_too(world_a, gh):
    source, secret = gh
    body = urlencode({"payload": example("deployment/payload.json").decode()}).encode()
    response = post_github(
        source, secret, body, event="deployment", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.content
    assert counts(world_a)["deployments"] == 1


def test_topics_of_a_mapped_repository_are_kept(world_a, gh):
    source, secret = gh
    with tenant_context(world_a.tenant):
        RepoMapping.objects.create(repository="codertocat/hello-world", team=world_a.team)
    body = variant("deployment/payload.json")
    payload = json.loads(body)
    payload["repository"]["topics"] = ["Golden-Path", "kafka"]
    post_github(source, secret, json.dumps(payload).encode(), event="deployment")
    with tenant_context(world_a.tenant):
        assert RepoMapping.objects.get().topics == ["golden-path", "kafka"]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"X-GitHub-Delivery": ""}, None),  # no delivery id
        ({"X-GitHub-Event": ""}, None),
        ({}, b"{not json"),
        ({}, b'{"deployment": {"id": "1"}, "repository": {"full_name": "a/b", "id": 1}}'),
        ({}, b"[1, 2]"),
        ({}, b'{"repository": {"full_name": "a\\u0000/b", "id": 1}}'),
    ],
)
def test_bad_headers_or_payloads_are_400_and_store_nothing(world_a, gh, headers, body):
    source, secret = gh
    body = body or example("deployment/payload.json")
    event = headers.get("X-GitHub-Event", "deployment")
    delivery = headers.get("X-GitHub-Delivery", "d-1")
    response = post_github(source, secret, body, event=event, delivery=delivery)
    assert response.status_code == 400, response.content
    assert response.json()["error"]
    assert counts(world_a) == NOTHING


# --- the remediation rule ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        ({"task": "deploy"}, False),
        ({"task": "deploy:rollback"}, True),
        ({"task": "Hotfix"}, True),
        ({"task": "deploy:migrations"}, False),
        ({"payload": {"remediation": True}}, True),
        ({"payload": '{"remediation": true}'}, True),
        ({"payload": {"remediation": "yes"}}, False),
        ({"ref": "hotfix/payment-timeout"}, True),
        ({"ref": "revert-42-feature"}, True),
        ({"ref": "master"}, False),
        ({"description": "Rollback to v1.2"}, True),
        ({"description": "Deploy with rollback plan"}, False),
        ({"description": None, "payload": "not json", "ref": None}, False),
    ],
)
def test_remediation_rule(deployment, expected):
    assert github.is_remediation(deployment) is expected


def test_a_rollback_deployment_is_stored_as_remediation(world_a, gh):
    source, secret = gh
    payload = json.loads(example("deployment/payload.json"))
    payload["deployment"]["task"] = "deploy:rollback"
    post_github(source, secret, json.dumps(payload).encode(), event="deployment")
    assert deployment(world_a).is_remediation
