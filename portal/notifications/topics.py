"""What the core knows about topics it cannot import: a small registry features may fill.

The core never imports catalog or requests, so it cannot check that capability 12 exists. A feature may
register a checker for its kind (`notification_topic_register("capability", exists=..., label=...)` from
its plugin's `ready()`); follows of an unregistered kind accept any positive id. That is safe: a topic id is
only ever matched against notifications published in the same tenant.

`exists(id)` asks whether the topic exists in the current tenant, for every caller. `visible(membership,
id)` asks whether a person may see it (a team-restricted capability exists for some members only); it is
checked where a person names the topic (following, adding a channel route), not where a feature subscribes
people itself. A topic that fails either raises `UnknownTopic`: pages and the API answer 404, exactly as for
an id never handed out, so another tenant's or a hidden topic's existence is never revealed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal.notifications.models import TopicKind
from portal.tenancy.models import Membership


@dataclass(frozen=True)
class TopicType:
    exists: Callable[[int], bool] | None = None  # called inside the current tenant
    visible: Callable[[Membership | None, int], bool] | None = None  # may this member see it?
    label: Callable[[int], str] | None = None
    # (group, [(id, label), ...]) for pickers, only what this member may see
    choices: Callable[[Membership | None], list[tuple[str, list[tuple[int, str]]]]] | None = None


_registry: dict[str, TopicType] = {}


def notification_topic_register(
    kind: str,
    *,
    exists: Callable[[int], bool] | None = None,
    label: Callable[[int], str] | None = None,
    choices: Callable[[Membership | None], list[tuple[str, list[tuple[int, str]]]]] | None = None,
    visible: Callable[[Membership | None, int], bool] | None = None,
) -> None:
    """Let the core validate, name and offer topics of `kind` (all callables run in the current tenant)."""
    if kind not in TopicKind.values or kind == TopicKind.TENANT:
        raise ValueError(f"unknown topic kind {kind!r}")
    _registry[kind] = TopicType(exists=exists, label=label, choices=choices, visible=visible)


def choices_for(kind: str, membership: Membership | None) -> list[tuple[str, list[tuple[int, str]]]] | None:
    """Grouped (id, label) choices of `kind` that `membership` may see, for a picker; None: no hook.

    The hook filters by the member itself (a picker must not list a hidden capability's name); the
    chosen id is still checked by `require_visible` when the form is posted.
    """
    checker = _registry.get(kind)
    if checker is None or checker.choices is None:
        return None
    try:
        return [
            (str(group), [(int(pk), str(label)) for pk, label in items])
            for group, items in checker.choices(membership)
        ]
    except Exception:  # a broken hook falls back to typing an id
        return None


class InvalidTopic(ValueError):
    """Malformed topic input (unknown kind, an id that is no positive integer): a 400."""


class UnknownTopic(InvalidTopic):
    """The topic does not exist for this person (missing, another tenant's, hidden from them): a 404."""


def normalise(kind: str, topic_id: int | str | None, *, known: bool = False) -> tuple[str, int]:
    """Validate a (kind, id) pair from user input; the tenant topic has id 0. Raises InvalidTopic.

    `known`: the caller holds the topic's row (read or locked in its transaction), so the kind's existence
    probe, one query, is skipped; the pair is still validated.
    """
    if kind not in TopicKind.values:
        raise InvalidTopic(f"Unknown topic kind {kind!r}.")
    if kind == TopicKind.TENANT:
        return kind, 0
    try:
        number = int(topic_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidTopic("The topic id must be a positive integer.") from None
    if number <= 0 or number > 2**62:
        raise InvalidTopic("The topic id must be a positive integer.")
    checker = _registry.get(kind)
    if not known and checker is not None and checker.exists is not None and not checker.exists(number):
        raise UnknownTopic(f"No such {kind}.")
    return kind, number


def require_visible(kind: str, topic_id: int, *, membership: Membership | None) -> None:
    """Raise UnknownTopic unless `membership` may see the (normalised) topic, by its kind's `visible` hook.

    Kinds without the hook are visible to every member of the tenant; the tenant-wide topic always is.
    """
    checker = _registry.get(kind)
    if checker is None or checker.visible is None:
        return
    if not checker.visible(membership, topic_id):
        raise UnknownTopic(f"No such {kind}.")


def label_for(kind: str, topic_id: int, given: str = "") -> str:
    """The label stored with a follow: `given` (from a page or a feature), else the kind's label hook.

    `given` may come straight from a form post; a NUL character (which PostgreSQL refuses in text) is
    dropped here, where every follow, route and notification label passes, rather than in each caller.
    """
    given = given.replace("\x00", "")
    if given:
        return given[:200]
    checker = _registry.get(kind)
    if checker is not None and checker.label is not None:
        try:
            return (checker.label(topic_id) or "")[:200]
        except Exception:  # a broken label hook must not break following
            return ""
    return ""
