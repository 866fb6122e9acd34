"""Satisfaction surveys: rounds an owner opens for a capability, one answer per person per round.

Answers keep the person only to enforce one answer each and to let them edit it while the round is open;
results never show who answered (see `catalog.insights.surveys.stats`, anonymity threshold `MIN_ANSWERS`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from portal.plugins.api import TenantOwnedModel


class SurveyRound(TenantOwnedModel):
    capability = models.ForeignKey("catalog.Capability", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    opened_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "capability", "opened_at"], name="survey_cap_opened")]
        constraints = [
            # One open round per capability at a time (the service checks first; this settles races).
            models.UniqueConstraint(
                fields=["tenant", "capability"],
                condition=models.Q(closed_at__isnull=True),
                name="uniq_open_survey_round",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SurveyInvitation(TenantOwnedModel):
    """Who was invited to a round (members of adopting teams at opening) and whether they were reminded."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "round", "user"], name="uniq_invitation")]


class SurveyAnswer(TenantOwnedModel):
    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    experience = models.TextField(blank=True, max_length=2000)
    likes = models.TextField(blank=True, max_length=2000)
    dislikes = models.TextField(blank=True, max_length=2000)
    improve = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "round", "user"], name="uniq_survey_answer"),
            models.CheckConstraint(condition=models.Q(score__lte=10), name="survey_score_0_10"),
        ]
