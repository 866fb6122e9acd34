"""API of the board (being written)."""

from rest_framework import viewsets

from requests_app.models import FeatureRequest


class FeatureRequestViewSet(viewsets.GenericViewSet):
    queryset = FeatureRequest.unscoped.none()
