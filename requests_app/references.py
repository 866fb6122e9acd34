"""What the board answers when another plugin stores references to its requests (the `reference_errors`
hook): the catalog's "Ships requests #4, #99" is checked when the release is saved, so a release never
announces a request that does not exist (a dead link in every inbox) or one of another capability.

The rules are `requests_ship`'s (requests_app/services/merge.py): a number names a request of the release's
capability or of none; a duplicate stands for the request it was merged into. `requests_ship` still skips
what no longer resolves when the release is published (a request deleted or moved in between).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from requests_app.models import FeatureRequest, RequestStatus


def shipped_request_errors(*, numbers: Sequence[int], capability_id: int | None) -> dict[int, str]:
    """A message per number a release of `capability_id` cannot ship; empty when it can ship them all."""
    wanted = sorted({int(n) for n in numbers})
    found = {
        r.number: r
        for r in FeatureRequest.objects.filter(number__in=wanted).select_related("capability", "duplicate_of")
    }
    errors: dict[int, str] = {}
    for number in wanted:
        item = found.get(number)
        if item is None:
            errors[number] = f"There is no request #{number}."
            continue
        if item.status == RequestStatus.DUPLICATE and item.duplicate_of is not None:
            item = item.duplicate_of
        if item.capability_id not in (None, capability_id):
            errors[number] = f"#{number} is a request for {item.capability.name}, not for this capability."
    return errors


def reference_errors(*, kind: str, keys: Sequence[Any], context: Mapping[str, Any]) -> dict[int, str] | None:
    if kind != "request":
        return None
    return shipped_request_errors(numbers=keys, capability_id=context.get("capability_id"))
