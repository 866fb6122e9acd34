"""Writes of the feature-request board (`<entity>_<verb>`, keyword-only, one transaction each).

Services check permissions themselves (`django.core.exceptions.PermissionDenied`) and validate completely
before writing (`ValidationError` with per-field messages), so pages and API cannot drift apart. Abuse
limits are checked by the adapters before calling (`requests_app.ratelimit`): imports, demo data and
release handlers are not people typing.
"""

from requests_app.services.comments import comment_create, comment_delete, comment_edit
from requests_app.services.merge import request_merge, requests_ship
from requests_app.services.requests import request_create, request_set_status, request_update
from requests_app.services.votes import vote_add, vote_record, vote_remove

__all__ = [
    "comment_create",
    "comment_delete",
    "comment_edit",
    "request_create",
    "request_merge",
    "request_set_status",
    "request_update",
    "requests_ship",
    "vote_add",
    "vote_record",
    "vote_remove",
]
