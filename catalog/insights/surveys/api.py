"""`/api/v1/insights/surveys/`: survey rounds, their results and answering; the services of the pages.

Everybody in the tenant who can see a capability lists its rounds and reads results (which honour the
anonymity threshold: below `MIN_ANSWERS` answers only `n` is returned). Owners (maintainers of the owning
team, tenant admins) create, remind and close rounds. Members and admins answer (`POST .../answer/`, once per
round, a second POST updates it) and read their own answer back (`GET .../my-answer/`); viewers only read.
State conflicts (answering a closed round, closing twice) answer 409 `conflict`; bad input 400.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.insights.models import SurveyAnswer, SurveyRound
from catalog.insights.surveys import selectors, services
from catalog.insights.surveys.services import MAX_TEXT, MAX_TITLE, TEXT_FIELDS
from catalog.insights.surveys.stats import MIN_ANSWERS, NOT_ENOUGH
from catalog.selectors import visible_capabilities, visible_capability
from portal.plugins.api import SlugRelatedField, membership_of

CONFLICT = OpenApiResponse(description="Not allowed in the round's current state (`conflict`).")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Not allowed in the current state."
    default_code = "conflict"


# --- serializers (read, or parse for the services; they never write) ---------------------------------------
class SurveyRoundSerializer(serializers.ModelSerializer):
    capability = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    is_open = serializers.SerializerMethodField()
    answer_count = serializers.IntegerField(read_only=True)
    invitation_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = SurveyRound
        fields = [
            "id", "capability", "title", "opened_at", "closes_at", "closed_at", "reminder_sent_at", "is_open",
            "answer_count", "invitation_count",
        ]  # fmt: skip
        read_only_fields = fields

    def get_is_open(self, round: SurveyRound) -> bool:
        return services.is_open(round)


# The catalog's Capability model, reached through the foreign key (plugins import only catalog.selectors).
Capability = SurveyRound._meta.get_field("capability").related_model


class SurveyRoundInputSerializer(serializers.Serializer):
    capability = SlugRelatedField(slug_field="slug", queryset=Capability.unscoped.none())
    title = serializers.CharField(max_length=MAX_TITLE)
    closes_at = serializers.DateTimeField(
        help_text="When the round closes (ISO 8601; 1 hour to 92 days ahead)."
    )

    def __init__(self, *args, capabilities=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Without a queryset (schema generation) the field keeps a typed empty one.
        self.fields["capability"].queryset = (
            capabilities if capabilities is not None else Capability.unscoped.none()
        )


class OpenAnswersSerializer(serializers.Serializer):
    experience = serializers.ListField(child=serializers.CharField())
    likes = serializers.ListField(child=serializers.CharField())
    dislikes = serializers.ListField(child=serializers.CharField())
    improve = serializers.ListField(child=serializers.CharField())


class SurveyResultsSerializer(serializers.Serializer):
    """One round's results. Below `min_answers` answers only `n`, `enough=false` and `message` are set."""

    round = serializers.IntegerField()
    n = serializers.IntegerField()
    enough = serializers.BooleanField()
    min_answers = serializers.IntegerField()
    message = serializers.CharField(help_text=f"“{NOT_ENOUGH}” below the threshold, else empty.")
    nps = serializers.FloatField(allow_null=True, help_text="%promoters (9-10) - %detractors (0-6).")
    interval_low = serializers.FloatField(allow_null=True, help_text="90% normal (Wald) interval, clipped.")
    interval_high = serializers.FloatField(allow_null=True)
    promoters = serializers.IntegerField(allow_null=True)
    passives = serializers.IntegerField(allow_null=True)
    detractors = serializers.IntegerField(allow_null=True)
    distribution = serializers.ListField(
        child=serializers.IntegerField(), help_text="Answers per score 0..10 (empty below the threshold)."
    )
    open_answers = OpenAnswersSerializer(
        allow_null=True,
        help_text="Texts per question in random order, without authors; null below the threshold.",
    )

    @staticmethod
    def from_results(results: selectors.RoundResults) -> dict:
        nps = results.nps
        texts = {group.field: group.texts for group in results.open_answers} if nps.enough else None
        return {
            "round": results.round.pk,
            "n": nps.n,
            "enough": nps.enough,
            "min_answers": MIN_ANSWERS,
            "message": nps.message,
            "nps": nps.nps,
            "interval_low": nps.low,
            "interval_high": nps.high,
            "promoters": nps.promoters,
            "passives": nps.passives,
            "detractors": nps.detractors,
            "distribution": list(nps.distribution),
            "open_answers": texts,
        }


class TrendPointSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    title = serializers.CharField()
    closed_at = serializers.DateTimeField()
    n = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True, help_text="Null below the anonymity threshold.")
    interval_low = serializers.FloatField(allow_null=True)
    interval_high = serializers.FloatField(allow_null=True)


class AnswerInputSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=10, help_text="How likely to recommend (0-10).")
    experience = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    likes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    dislikes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    improve = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)


class MyAnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyAnswer
        fields = ["score", *TEXT_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


class MyAnswerResponseSerializer(serializers.Serializer):
    answered = serializers.BooleanField()
    answer = MyAnswerSerializer(allow_null=True, help_text="Null until the caller answered.")


class SurveyRoundFilter(django_filters.FilterSet):
    capability = django_filters.CharFilter(field_name="capability__slug", label="Capability slug")

    class Meta:
        model = SurveyRound
        fields = ["capability"]


# --- the viewset -------------------------------------------------------------------------------------------
@extend_schema_view(
    create=extend_schema(
        request=SurveyRoundInputSerializer,
        responses={201: SurveyRoundSerializer, 409: CONFLICT},
        description="Open a round (owners). Members of teams onboarded to the capability are invited through "
        "their notification preferences. One open round per capability: 409 otherwise.",
    ),
)
class SurveyRoundViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Survey rounds of the capabilities the caller can see (newest first)."""

    serializer_class = SurveyRoundSerializer
    filterset_class = SurveyRoundFilter
    queryset = SurveyRound.unscoped.none()  # the model, for the schema; get_queryset does the work
    cursor_ordering = ("-opened_at", "-id")
    # Named after the model: the isolation matrix fills `<model>_pk` from that model's rows.
    lookup_url_kwarg = "surveyround_pk"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.visible_rounds(membership_of(self.request))

    def _output(self, round: SurveyRound, status_code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=round.pk)
        return Response(SurveyRoundSerializer(fresh).data, status=status_code)

    def create(self, request: Request, *args, **kwargs) -> Response:
        membership = membership_of(request)
        body = SurveyRoundInputSerializer(data=request.data, capabilities=visible_capabilities(membership))
        body.is_valid(raise_exception=True)
        try:
            round = services.survey_open(membership=membership, **body.validated_data)
        except services.SurveyStateError as exc:
            raise Conflict(str(exc)) from exc
        return self._output(round, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: SurveyRoundSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, surveyround_pk: str | None = None) -> Response:
        """Close the round now (owners); it closes by itself at `closes_at`."""
        round = self.get_object()
        try:
            services.survey_close(membership=membership_of(request), round=round)
        except services.SurveyStateError as exc:
            raise Conflict(str(exc)) from exc
        return self._output(round)

    @extend_schema(request=None, responses={200: SurveyRoundSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def remind(self, request: Request, surveyround_pk: str | None = None) -> Response:
        """Remind invitees who have not answered (owners). Once per round: repeating it changes nothing
        (`reminder_sent_at` stays); it is also sent automatically halfway to `closes_at`."""
        round = self.get_object()
        try:
            services.survey_remind(membership=membership_of(request), round=round)
        except services.SurveyStateError as exc:
            raise Conflict(str(exc)) from exc
        return self._output(round)

    @extend_schema(responses={200: SurveyResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request: Request, surveyround_pk: str | None = None) -> Response:
        """NPS with n and a 90% interval, the 0-10 distribution and the open answers (random order, no
        authors); with fewer than `min_answers` answers only `n`."""
        round = self.get_object()
        return Response(SurveyResultsSerializer.from_results(selectors.round_results(round)))

    @extend_schema(
        request=AnswerInputSerializer,
        responses={200: MyAnswerSerializer, 201: MyAnswerSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, surveyround_pk: str | None = None) -> Response:
        """Answer the round (members and admins who can see the capability, invited or not). A second POST
        replaces the first answer (200); after the round closed: 409."""
        round = self.get_object()
        body = AnswerInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = membership_of(request)
        existed = selectors.my_answer(membership, round=round) is not None
        try:
            answer = services.survey_answer(membership=membership, round=round, **body.validated_data)
        except services.SurveyStateError as exc:
            raise Conflict(str(exc)) from exc
        return Response(MyAnswerSerializer(answer).data, status=status.HTTP_200_OK if existed else 201)

    @extend_schema(responses={200: MyAnswerResponseSerializer})
    @action(detail=True, methods=["get"], url_path="my-answer")
    def my_answer(self, request: Request, surveyround_pk: str | None = None) -> Response:
        """The caller's own answer to the round (`answered: false, answer: null` before they answered; a
        404 means the round does not exist for the caller)."""
        answer = selectors.my_answer(membership_of(request), round=self.get_object())
        data = {"answered": answer is not None, "answer": MyAnswerSerializer(answer).data if answer else None}
        return Response(data)

    @extend_schema(
        responses={200: TrendPointSerializer(many=True)},
        parameters=[],
        description="NPS per closed round of one capability (`?capability=<slug>`), oldest first.",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def trend(self, request: Request) -> Response:
        membership = membership_of(request)
        capability = visible_capability(membership, slug=request.query_params.get("capability", ""))
        if capability is None:
            raise NotFound("No such capability: give ?capability=<slug> of one you can see.")
        overview = selectors.capability_overview(membership, capability=capability)
        data = [
            {
                "round": p.round_id,
                "title": p.title,
                "closed_at": p.closed_at,
                "n": p.nps.n,
                "nps": p.nps.nps,
                "interval_low": p.nps.low,
                "interval_high": p.nps.high,
            }
            for p in overview["trend"]
        ]
        return Response(TrendPointSerializer(data, many=True).data)
