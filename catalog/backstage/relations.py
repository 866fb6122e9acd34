"""Relations between entities, for the planner: API and Resource links, dependencies, cycles, users."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog.backstage import mapping
from catalog.backstage.mapping import Link
from catalog.models import CapabilityDependency, LinkKind
from portal.plugins.api import Membership, TeamMembership

if TYPE_CHECKING:
    from catalog.backstage.planner import Key, Planner
    from catalog.backstage.validation import Entity


def _refs(e: Entity, name: str) -> list:
    value = e.refs.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _api_url(api: Entity) -> str | None:
    definition = api.spec.get("definition")
    if isinstance(definition, dict) and mapping.is_http_url(definition.get("$text")):
        return definition["$text"]
    location = api.annotations.get("backstage.io/definition-at-location", "")
    if location.startswith("url:") and mapping.is_http_url(location[4:]):
        return location[4:]
    links, _ = mapping.metadata_links(api.metadata.get("links"))
    for link in links:
        if link.kind == LinkKind.API_REFERENCE:
            return link.url
    return links[0].url if links else None


def _attach(p: Planner, e: Entity, links: list[Link], targets: list[Key], what: str) -> None:
    targets = list(dict.fromkeys(k for k in targets if k in p.plan.capabilities))
    if not links:
        p.set_outcome(e, "link", "skip", f"no URL to link to ({what})")
        p.note(e, f"not linked: it has no URL ({what})", "info")
    elif not targets:
        p.set_outcome(e, "link", "skip", "no imported capability provides or uses it")
        p.note(e, "not linked: no imported Component or System provides or depends on it", "info")
    else:
        for key in targets:
            p.plan.capabilities[key].links.extend(links)
        names = ", ".join(p.plan.capabilities[k].entity.name for k in targets)
        p.set_outcome(e, "link", "info", f"{len(links)} link(s) on {names}")


def attach_api_and_resource_links(p: Planner) -> None:
    """APIs and Resources are not capabilities: they become links on the capabilities they belong to."""
    caps = [cp.entity for cp in p.plan.capabilities.values()]
    for api in p.of_kind("API"):
        if id(api) in p.outcome:
            continue
        url = _api_url(api)
        title = f"{api.metadata.get('title') or api.name} API ({api.spec.get('type')})"[:200]
        links = [Link(LinkKind.API_REFERENCE, title, url)] if url else []
        targets = [c.key for c in caps if api.key in {r.key for r in _refs(c, "providesApis")}]
        if not targets and api.refs.get("system") is not None:
            targets = [api.refs["system"].key]
        _attach(
            p, api, links, targets, "inline definition only" if api.spec.get("definition") else "no links"
        )
    for res in p.of_kind("Resource"):
        if id(res) in p.outcome:
            continue
        own, _ = mapping.metadata_links(res.metadata.get("links"))
        extra, _ = mapping.annotation_links(res.annotations)
        label = res.metadata.get("title") or res.name
        links = [Link(x.kind, f"{x.title} ({label})"[:200], x.url) for x in own + extra]
        targets = [c.key for c in caps if res.key in {r.key for r in _refs(c, "dependsOn")}]
        targets += [r.key for r in _refs(res, "dependencyOf")]
        if not targets and res.refs.get("system") is not None:
            targets = [res.refs["system"].key]
        _attach(p, res, links, targets, "no metadata.links")
    for cp in p.plan.capabilities.values():
        cp.links = mapping.dedupe_links(cp.links)


def _unsourced(p: Planner, ref):
    """An Agora capability without Backstage identity whose slug is the reference's name (export does so)."""
    if ref.kind not in ("component", "system") or ref.namespace != "default":
        return None
    capability = p.by_slug.get(mapping.name_slug(ref.name, 100))
    return capability if capability is not None and not capability.source_name else None


def resolve_dependencies(p: Planner) -> None:
    """`spec.dependsOn` (and the reverse `dependencyOf`) between capabilities -> capability dependencies."""
    wanted: dict[Key, list] = {
        key: list(_refs(cp.entity, "dependsOn")) for key, cp in p.plan.capabilities.items()
    }
    for cp in p.plan.capabilities.values():
        for ref in _refs(cp.entity, "dependencyOf"):
            if ref.key in wanted:
                wanted[ref.key].append(cp.entity.ref)
            elif ref.kind in ("component", "system"):
                p.note(cp.entity, f"dependencyOf {ref}: that capability is not in this import; ignored")
    for key, refs in wanted.items():
        cp = p.plan.capabilities[key]
        for ref in dict.fromkeys(refs):
            if ref.key == key:
                p.error(cp.entity, "spec.dependsOn", "an entity cannot depend on itself")
            elif ref.key in p.plan.capabilities:
                cp.dep_keys.append(ref.key)
            elif ref.key in p.by_source:
                cp.dep_ids.append(p.by_source[ref.key].pk)
            elif _unsourced(p, ref) is not None:
                cp.dep_ids.append(_unsourced(p, ref).pk)
            elif ref.kind in ("resource", "api") and ref.key in p.by_key:
                continue  # its links were attached instead
            else:
                p.note(cp.entity, f"dependency {ref} is neither in the import nor in the catalog; dropped")


def refuse_cycles(p: Planner) -> None:
    """Dependencies must stay acyclic (the services refuse cycles); check the graph after the import."""
    node_of = {cp.existing.pk: ("k", key) for key, cp in p.plan.capabilities.items() if cp.existing}
    graph: dict[tuple, set[tuple]] = {}
    for key, cp in p.plan.capabilities.items():
        graph[("k", key)] = {("k", k) for k in cp.dep_keys} | {node_of.get(i, ("c", i)) for i in cp.dep_ids}
    for cap_id, dep_id in CapabilityDependency.objects.values_list("capability_id", "depends_on_id"):
        if cap_id not in node_of:
            graph.setdefault(("c", cap_id), set()).add(node_of.get(dep_id, ("c", dep_id)))
    state: dict[tuple, int] = {}
    for start in list(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                cycle = [*path[path.index(child) :], child]
                _cycle_error(p, cycle)
                return
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))


def _cycle_error(p: Planner, cycle: list[tuple]) -> None:
    def label(node: tuple) -> str:
        if node[0] == "k":
            return str(p.plan.capabilities[node[1]].entity.ref)
        return p.caps_by_id[node[1]].slug

    first = next(n for n in cycle if n[0] == "k")
    p.error(
        p.plan.capabilities[first[1]].entity,
        "spec.dependsOn",
        "dependency cycle: " + " -> ".join(label(n) for n in cycle),
    )


def plan_users(p: Planner) -> None:
    """Users are never created. A User matching a member of this tenant (email, else username) is added
    to the teams of its groups (as a plain member; existing roles are kept)."""
    users = p.of_kind("User")
    if not users:
        return
    by_email, by_username = {}, {}
    for m in Membership.objects.select_related("user"):
        if m.user.email:
            by_email.setdefault(m.user.email.lower(), m.user)
        by_username[m.user.get_username().lower()] = m.user
    have = set(TeamMembership.objects.values_list("user_id", "team__slug"))
    groups_listing: dict[tuple, list[str]] = {}
    for g in p.of_kind("Group"):
        for ref in _refs(g, "members"):
            groups_listing.setdefault(ref.key, []).append(mapping.team_slug(g.namespace, g.name))
    planned: set[tuple[int, str]] = set()
    for e in users:
        if id(e) in p.outcome:
            continue
        email = ((e.spec.get("profile") or {}).get("email") or "").lower()
        user = by_email.get(email) if email else None
        user = user or by_username.get(e.name.lower())
        if user is None:
            p.set_outcome(e, "user", "skip", "no member of this tenant has this email or username")
            continue
        slugs = [mapping.team_slug(r.namespace, r.name) for r in _refs(e, "memberOf") if r.kind == "group"]
        slugs += groups_listing.get(e.key, [])
        slugs = [s for s in dict.fromkeys(slugs) if s in p.teams or s in p.plan.teams]
        new = [s for s in slugs if (user.pk, s) not in have and (user.pk, s) not in planned]
        planned.update((user.pk, s) for s in new)
        p.plan.memberships += [(user.pk, s) for s in new]
        detail = f"{user.get_username()}" + (f": joins {', '.join(new)}" if new else "")
        p.set_outcome(e, "user", "update" if new else "unchanged", detail)
