"""Reading GitHub webhook payloads (`X-GitHub-Event`) into delivery facts.

Events read (https://docs.github.com/en/webhooks/webhook-events-and-payloads):
- `deployment`: a deployment was created; stored pending (or left as it is when its status came first).
- `deployment_status`: `success` -> success, `failure`/`error` -> failure, finished at the status'
  `created_at`; other states (`pending`, `queued`, `in_progress`, `inactive`) change no outcome, so a
  later "inactive" (GitHub marks superseded deployments so) never undoes a success. A status arriving before
  its `deployment` event creates the deployment from the copy the status payload carries.
- `pull_request` with `action: closed` and `merged: true`, into the repository's default branch: a change,
  merged at `merged_at`, sha `merge_commit_sha`. The payload has no commit dates, so `first_commit_at` is the
  pull request's `created_at` (a documented proxy: lead time then starts when the work was proposed).
- `push` to the default branch (`ref == refs/heads/<repository.default_branch>`): one change per push, sha
  `after`, first commit at the earliest commit `timestamp`, merged at the head commit's `timestamp` (or the
  push time, `repository.pushed_at`). Branch deletions and pushes of nothing are ignored.
- `ping`: GitHub's hello when the webhook is created; answered, nothing stored.
Every other event, and other `pull_request` actions, are answered 202 and not stored.

A merged pull request and the push of its merge commit describe the same change: both are keyed by
(repository id, sha), so the second one only refines the first (earliest first commit, earliest merge time).

Remediation rule (rework rate, change fail rate): a deployment is a remediation when
1. its `task` is `rollback`, `hotfix` or `revert`, optionally prefixed `deploy:` (`deploy:rollback`); or
2. its `payload` is an object (or a JSON string of one) with `"remediation": true`; or
3. its `ref` starts with `hotfix/`, `hotfix-`, `rollback/` or `revert-` (the branch GitHub's "Revert"
   button creates is `revert-<number>-<branch>`); or
4. its `description` starts with the word "rollback", "roll back", "revert" or "hotfix".
Anything else is planned work, whatever else the text says.

Environments keep their case; whether one is production is decided by the source's
`production_environments` (case-insensitive) when the facts are recorded.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from catalog.insights.delivery.facts import ChangeFact, DeploymentFact, Fact, PayloadError, Reading

REMEDIATION_TASKS = {"rollback", "hotfix", "revert"}
REMEDIATION_REF_PREFIXES = ("hotfix/", "hotfix-", "rollback/", "revert-")
REMEDIATION_DESCRIPTION = re.compile(r"^\s*(rollback|roll back|revert|hotfix)\b", re.IGNORECASE)
SUCCESS_STATES = {"success"}
FAILURE_STATES = {"failure", "error"}
ZERO_SHA = "0" * 40


def _get(obj: Any, path: str, kind: type | tuple[type, ...], *, required: bool = True) -> Any:
    """`obj["a"]["b"]` for `path="a.b"`, checked to be of `kind`; PayloadError names the field if not."""
    value = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None and not required:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):  # True is an int
        raise PayloadError(f"`{path}` is missing or has the wrong type")
    return value


def _time(obj: Any, path: str, *, required: bool = True) -> datetime | None:
    raw = _get(obj, path, (str, int), required=required)
    if raw is None:
        return None
    if isinstance(raw, int):  # `repository.pushed_at` of push events is a Unix time
        return datetime.fromtimestamp(raw, tz=UTC)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise PayloadError(f"`{path}` is not an ISO 8601 time: {raw[:40]!r}") from exc
    if value.tzinfo is None:
        raise PayloadError(f"`{path}` has no UTC offset")
    return value


def _repository(payload: dict) -> tuple[str, int]:
    name = _get(payload, "repository.full_name", str)
    if "/" not in name or len(name) > 200:
        raise PayloadError("`repository.full_name` is not owner/name")
    return name.lower(), _get(payload, "repository.id", int)


def _topics(payload: dict) -> list[str] | None:
    topics = (payload.get("repository") or {}).get("topics") if isinstance(payload, dict) else None
    if not isinstance(topics, list):
        return None
    return sorted({t.lower() for t in topics if isinstance(t, str) and t})[:50]


def is_remediation(deployment: dict) -> bool:
    """The documented rule above, on GitHub's `deployment` object."""
    task = str(deployment.get("task") or "").strip().lower().removeprefix("deploy:")
    if task in REMEDIATION_TASKS:
        return True
    payload = deployment.get("payload")
    if isinstance(payload, str) and payload.strip().startswith("{"):
        try:
            payload = json.loads(payload)
        except ValueError:
            payload = None
    if isinstance(payload, dict) and payload.get("remediation") is True:
        return True
    ref = str(deployment.get("ref") or "").lower()
    if ref.startswith(REMEDIATION_REF_PREFIXES):
        return True
    return bool(REMEDIATION_DESCRIPTION.match(str(deployment.get("description") or "")))


def _deployment_fact(payload: dict, repository: str, status: dict | None = None) -> DeploymentFact:
    deployment = _get(payload, "deployment", dict)
    outcome, finished_at = None, None
    if status is not None:
        state = _get(status, "state", str).lower()
        if state in SUCCESS_STATES | FAILURE_STATES:
            outcome = "success" if state in SUCCESS_STATES else "failure"
            finished_at = _time(status, "created_at")
    return DeploymentFact(
        external_id=str(_get(deployment, "id", int)),
        repository=repository,
        environment=_get(deployment, "environment", str)[:100],
        sha=(_get(deployment, "sha", str, required=False) or "")[:64],
        created_at=_time(deployment, "created_at"),
        outcome=outcome,
        finished_at=finished_at,
        is_remediation=is_remediation(deployment),
    )


def _pull_request(payload: dict, repository: str, repo_id: int) -> Reading:
    action = _get(payload, "action", str)
    pr = _get(payload, "pull_request", dict)
    if action != "closed" or pr.get("merged") is not True:
        return Reading(ignored=f"pull_request {action}: only merged pull requests are changes")
    base = _get(pr, "base.ref", str)
    default = _get(payload, "repository.default_branch", str)
    if base != default:
        return Reading(ignored=f"merged into {base[:100]}, not the default branch {default[:100]}")
    sha = (_get(pr, "merge_commit_sha", str, required=False) or "")[:64]
    key = sha or f"pr-{_get(pr, 'id', int)}"
    fact = ChangeFact(
        external_id=f"{repo_id}:{key}",
        repository=repository,
        sha=sha,
        merged_at=_time(pr, "merged_at"),
        first_commit_at=_time(pr, "created_at"),
    )
    return Reading(facts=[fact])


def _push(payload: dict, repository: str, repo_id: int) -> Reading:
    ref = _get(payload, "ref", str)
    default = _get(payload, "repository.default_branch", str)
    if ref != f"refs/heads/{default}":
        return Reading(ignored=f"push to {ref[:100]}: only pushes to the default branch are changes")
    after = _get(payload, "after", str)[:64]
    if payload.get("deleted") is True or after == ZERO_SHA:
        return Reading(ignored="the default branch was deleted")
    commits = _get(payload, "commits", list)
    times = [_time(c, "timestamp") for c in commits if isinstance(c, dict)]
    head = payload.get("head_commit")
    merged_at = _time(head, "timestamp") if isinstance(head, dict) else None
    merged_at = merged_at or _time(payload, "repository.pushed_at", required=False)
    if merged_at is None:
        return Reading(ignored="a push without a head commit or a push time")
    fact = ChangeFact(
        external_id=f"{repo_id}:{after}",
        repository=repository,
        sha=after,
        merged_at=merged_at,
        first_commit_at=min(times) if times else merged_at,
    )
    return Reading(facts=[fact])


def read(event: str, payload: Any) -> Reading:
    """The facts of one GitHub delivery. Raises PayloadError when a handled event is malformed."""
    if event == "ping":
        return Reading(ping=True)
    if event not in {"deployment", "deployment_status", "pull_request", "push"}:
        return Reading(ignored=f"event {event[:60]!r} is not read by Agora")
    if not isinstance(payload, dict):
        raise PayloadError("the body is not a JSON object")
    repository, repo_id = _repository(payload)
    topics = _topics(payload)
    if event == "deployment":
        facts: list[Fact] = [_deployment_fact(payload, repository)]
        reading = Reading(facts=facts)
    elif event == "deployment_status":
        status = _get(payload, "deployment_status", dict)
        reading = Reading(facts=[_deployment_fact(payload, repository, status)])
    elif event == "pull_request":
        reading = _pull_request(payload, repository, repo_id)
    else:
        reading = _push(payload, repository, repo_id)
    return Reading(facts=reading.facts, ignored=reading.ignored, repository=repository, topics=topics)
