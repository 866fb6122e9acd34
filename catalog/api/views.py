from rest_framework import viewsets

from catalog import selectors
from catalog.api.serializers import CapabilitySerializer


class CapabilityViewSet(viewsets.ReadOnlyModelViewSet):
    """Capabilities of the caller's tenant."""

    serializer_class = CapabilitySerializer
    lookup_field = "slug"
    cursor_ordering = ("name", "id")

    def get_queryset(self):
        return selectors.capability_list()
