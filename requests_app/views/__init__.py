"""Pages of the board, mounted at /t/<tenant>/requests/ (namespace `requests_app`).

Thin adapters: forms parse, services write (and check permissions), selectors read. Every page works as
plain HTML (GET forms, POST forms that redirect back with a message); with htmx the board filters in place
with the state in the URL, votes and comments swap in place, and forms show their errors inline (422).

A request is always resolved through `selectors.request_detail(request.membership, number=...)`, and a
comment through its request, so another tenant's request, or one on a capability the member cannot see,
looks exactly like one that does not exist (404).

- `board`: the board, the roadmap and the similar-request suggestions.
- `pages`: the request page, filing and editing a request.
- `actions`: votes, triage (status, merge, votes recorded for someone).
- `comments`: comment, edit, delete.
- `pickers`: suggestions for the triage forms (merge target, colleague whose vote is recorded).
"""

from requests_app.views.actions import merge, status_change, vote, vote_record
from requests_app.views.board import request_list, roadmap, similar
from requests_app.views.comments import comment_create, comment_delete, comment_edit
from requests_app.views.pages import request_create, request_detail, request_edit
from requests_app.views.pickers import colleagues, merge_targets

__all__ = [
    "colleagues",
    "comment_create",
    "comment_delete",
    "comment_edit",
    "merge",
    "merge_targets",
    "request_create",
    "request_detail",
    "request_edit",
    "request_list",
    "roadmap",
    "similar",
    "status_change",
    "vote",
    "vote_record",
]
