"""What an ingested event says, in the source's own terms but normalised: the input of `recording`.

GitHub payloads (`github`) and generic JSON events (`generic`) are both turned into these plain records, so
one set of writes (`recording`) serves every source and is tested once. Repositories are `owner/name` in
lower case; every time is timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class PayloadError(ValueError):
    """The body is well-formed JSON but not an event we can read: answered 400, nothing stored."""


@dataclass(frozen=True)
class DeploymentFact:
    external_id: str
    repository: str
    environment: str
    sha: str
    created_at: datetime
    # "success" or "failure" once the deployment finished; None while it is pending or in progress.
    outcome: str | None = None
    finished_at: datetime | None = None
    is_remediation: bool = False


@dataclass(frozen=True)
class ChangeFact:
    external_id: str
    repository: str
    sha: str
    merged_at: datetime
    first_commit_at: datetime | None = None


@dataclass(frozen=True)
class IncidentFact:
    external_id: str
    repository: str
    opened_at: datetime
    resolved_at: datetime | None = None
    deployment_external_id: str = ""


Fact = DeploymentFact | ChangeFact | IncidentFact


@dataclass(frozen=True)
class Reading:
    """How to answer one delivery: store `facts` (recorded once per delivery id), or answer without storing.

    `ignored` explains why an event of a known or unknown type changes nothing (answered 202); `ping` is
    GitHub's hello when a webhook is created (answered 200). `topics` are the repository's topics when the
    payload names them (kept on an existing repository mapping, for adoption inference).
    """

    facts: list[Fact] = field(default_factory=list)
    ignored: str = ""
    ping: bool = False
    repository: str = ""
    topics: list[str] | None = None
