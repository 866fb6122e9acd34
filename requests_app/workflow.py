"""The triage workflow: which status may follow which.

    new ─▶ under review ─▶ planned ─▶ in progress ─▶ shipped
     │          │             │            │             │
     └──────────┴─────────────┴────────────┴─▶ declined  └─▶ in progress (reopened: it did not really ship)
                                                   └─▶ under review (reconsidered)

Any open request may be declined, and moved forward past steps a team does not use (new → planned).
`duplicate` is never set directly: merging (`request_merge`) sets it together with the target, moving the
votes and followers; a merge cannot be undone through the workflow.
"""

from __future__ import annotations

from requests_app.models import RequestStatus as S

TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.NEW: (S.UNDER_REVIEW, S.PLANNED, S.IN_PROGRESS, S.SHIPPED, S.DECLINED),
    S.UNDER_REVIEW: (S.PLANNED, S.IN_PROGRESS, S.SHIPPED, S.DECLINED),
    S.PLANNED: (S.UNDER_REVIEW, S.IN_PROGRESS, S.SHIPPED, S.DECLINED),
    S.IN_PROGRESS: (S.PLANNED, S.SHIPPED, S.DECLINED),
    S.SHIPPED: (S.IN_PROGRESS,),
    S.DECLINED: (S.UNDER_REVIEW,),
    S.DUPLICATE: (),
}
LABELS = dict(S.choices)


def allowed_next(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def transition_error(current: str, wanted: str) -> str | None:
    """None when `current → wanted` is allowed, else a message that says what is possible instead."""
    if wanted not in LABELS:
        return f"Unknown status '{wanted}'. Choose one of: {', '.join(LABELS)}."
    if wanted == S.DUPLICATE:
        return "To close a request as a duplicate, merge it into the request it duplicates."
    if wanted == current:
        return f"The request is already {LABELS[current].lower()}."
    allowed = allowed_next(current)
    if wanted in allowed:
        return None
    if not allowed:
        return f"A {LABELS[current].lower()} request cannot change status."
    names = ", ".join(LABELS[s].lower() for s in allowed)
    here, there = LABELS[current].lower(), LABELS[wanted].lower()
    return f"A {here} request cannot move to {there}; it can move to: {names}."
