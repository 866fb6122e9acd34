"""OpenAPI pieces shared by the board's API modules."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

RATE_LIMITED = OpenApiResponse(
    description="Over the hourly limit (`throttled`); nothing was written. Retry after `Retry-After` seconds."
)
FORBIDDEN = OpenApiResponse(description="Your role does not allow this (`permission_denied`).")
INVALID = OpenApiResponse(description="Invalid input (`invalid`), with messages per field in `fields`.")
NUMBER_REGEX = "[0-9]{1,9}"  # beyond the range of a request number (and of the column): never a match
