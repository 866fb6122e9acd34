"""Insights models, one module per concern: adoption, surveys, delivery (ingested CI/CD events)."""

from catalog.insights.models.adoption import (
    Adoption,
    AdoptionChange,
    AdoptionRule,
    AdoptionState,
    EligibleTeam,
)
from catalog.insights.models.delivery import (
    Change,
    Deployment,
    DeploymentStatus,
    Incident,
    IngestedDelivery,
    IngestSource,
    IngestSourceKind,
    RepoMapping,
)
from catalog.insights.models.surveys import SurveyAnswer, SurveyInvitation, SurveyRound

__all__ = [
    "Adoption",
    "AdoptionChange",
    "AdoptionRule",
    "AdoptionState",
    "Change",
    "Deployment",
    "DeploymentStatus",
    "EligibleTeam",
    "Incident",
    "IngestSource",
    "IngestSourceKind",
    "IngestedDelivery",
    "RepoMapping",
    "SurveyAnswer",
    "SurveyInvitation",
    "SurveyRound",
]
