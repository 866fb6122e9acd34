"""Validating parsed documents as Backstage entities, as strictly as Backstage's own catalog does.

A document that Backstage would reject (no `apiVersion`, a core kind under another apiVersion, no or an
invalid `metadata.name`, a malformed tag, link or entity reference, a wrong type...) is an *error*: the import
stops before writing anything and names the file, the document (1-based) and the field. Things Backstage
accepts but Agora does not use (unknown kinds, unknown fields) are *notes*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from catalog.backstage.parser import RawDocument
from catalog.backstage.report import Note, Problem

# Backstage's validators (KubernetesValidatorFunctions / DefaultNamespace / tag rules).
NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
NAMESPACE_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
TAG_RE = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
KIND_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
API_VERSION_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]+$")
MAX_NAME = 63
CORE_API_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")
DEFAULT_NAMESPACE = "default"

KINDS = {
    k.lower(): k for k in ("Component", "System", "API", "Resource", "Domain", "Group", "User", "Location")
}
ENVELOPE_FIELDS = {"apiVersion", "kind", "metadata", "spec", "relations", "status"}
METADATA_FIELDS = {
    "name", "namespace", "title", "description", "labels", "annotations", "tags", "links", "uid", "etag",
}  # fmt: skip
# field -> (type, default kind of the references it holds, required)
STR, REF, REFS, MAP, ANY = "str", "ref", "refs", "map", "any"
SPEC_FIELDS: dict[str, dict[str, tuple[str, str, bool]]] = {
    "Component": {
        "type": (STR, "", True), "lifecycle": (STR, "", True), "owner": (REF, "group", True),
        "system": (REF, "system", False), "subcomponentOf": (REF, "component", False),
        "providesApis": (REFS, "api", False), "consumesApis": (REFS, "api", False),
        "dependsOn": (REFS, "component", False), "dependencyOf": (REFS, "component", False),
    },
    # dependsOn/lifecycle on a System are an Agora extension that Backstage's schema tolerates.
    "System": {
        "owner": (REF, "group", True), "domain": (REF, "domain", False), "type": (STR, "", False),
        "lifecycle": (STR, "", False), "dependsOn": (REFS, "component", False),
        "dependencyOf": (REFS, "component", False),
    },
    "API": {
        "type": (STR, "", True), "lifecycle": (STR, "", True), "owner": (REF, "group", True),
        "system": (REF, "system", False), "definition": (ANY, "", False), "remotes": (ANY, "", False),
    },
    "Resource": {
        "type": (STR, "", True), "owner": (REF, "group", True), "system": (REF, "system", False),
        "dependsOn": (REFS, "component", False), "dependencyOf": (REFS, "component", False),
    },
    "Domain": {
        "owner": (REF, "group", True), "subdomainOf": (REF, "domain", False), "type": (STR, "", False),
    },
    "Group": {
        "type": (STR, "", True), "profile": (MAP, "", False), "parent": (REF, "group", False),
        "children": (REFS, "group", True), "members": (REFS, "user", False), "leader": (REF, "user", False),
    },
    "User": {"profile": (MAP, "", False), "memberOf": (REFS, "group", False)},
    "Location": {
        "type": (STR, "", False), "target": (STR, "", False), "targets": (ANY, "", False),
        "presence": (STR, "", False),
    },
}  # fmt: skip


@dataclass(frozen=True)
class Ref:
    kind: str  # lower case
    namespace: str
    name: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace.lower(), self.name.lower())

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"


@dataclass
class Entity:
    """A valid entity. `refs` holds the parsed references of its spec fields (field -> Ref or [Ref])."""

    kind: str  # canonical for the core kinds ("Component"), as written otherwise
    namespace: str
    name: str
    metadata: dict[str, Any]
    spec: dict[str, Any]
    doc: RawDocument
    refs: dict[str, Any] = field(default_factory=dict)

    @property
    def core(self) -> bool:
        return self.kind in SPEC_FIELDS

    @property
    def ref(self) -> Ref:
        return Ref(self.kind.lower(), self.namespace, self.name)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.ref.key

    @property
    def annotations(self) -> dict[str, str]:
        return self.metadata.get("annotations") or {}


def parse_ref(value: Any, *, default_kind: str, default_namespace: str) -> Ref | str:
    """`[kind:][namespace/]name` -> Ref, or an error message. Kinds and namespaces compare lower-case."""
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty entity reference such as group:default/team-a"
    rest = value.strip()
    kind = default_kind
    if ":" in rest:
        kind, rest = rest.split(":", 1)
    namespace = default_namespace
    if "/" in rest:
        namespace, rest = rest.split("/", 1)
    if not kind:
        return f"{value!r} has no kind, and this field has no default kind"
    if not KIND_RE.match(kind):
        return f"{value!r}: {kind!r} is not a valid kind"
    if not NAMESPACE_RE.match(namespace.lower()) or len(namespace) > MAX_NAME:
        return f"{value!r}: {namespace!r} is not a valid namespace"
    if not NAME_RE.match(rest) or len(rest) > MAX_NAME:
        return f"{value!r}: {rest!r} is not a valid entity name"
    return Ref(kind.lower(), namespace.lower(), rest)


class _Checker:
    def __init__(self, doc: RawDocument, errors: list[Problem]):
        self.doc, self.errors, self.failed = doc, errors, False

    def err(self, field_name: str, message: str) -> None:
        self.failed = True
        self.errors.append(Problem(self.doc.file, self.doc.index, field_name, message))

    def string(self, value: Any, field_name: str) -> bool:
        if not isinstance(value, str) or not value:
            self.err(field_name, "must be a non-empty string")
            return False
        return True


def _check_metadata(c: _Checker, metadata: dict) -> None:
    for key in ("title", "description"):
        if key in metadata and metadata[key] is not None and not isinstance(metadata[key], str):
            c.err(f"metadata.{key}", "must be a string")
    for key in ("labels", "annotations"):
        value = metadata.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            c.err(f"metadata.{key}", "must be a mapping of strings")
            continue
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                c.err(f"metadata.{key}.{k}", "keys and values must be strings")
    tags = metadata.get("tags")
    if tags is not None:
        if not isinstance(tags, list):
            c.err("metadata.tags", "must be a list of tags")
        else:
            for i, tag in enumerate(tags):
                if not isinstance(tag, str) or not TAG_RE.match(tag) or len(tag) > MAX_NAME:
                    c.err(
                        f"metadata.tags[{i}]",
                        f"{tag!r} is not a valid tag (lower-case letters, digits, ':', '+', '#', "
                        f"separated by '-', at most {MAX_NAME} characters)",
                    )
    links = metadata.get("links")
    if links is not None:
        if not isinstance(links, list):
            c.err("metadata.links", "must be a list of {url, title} mappings")
        else:
            for i, link in enumerate(links):
                if not isinstance(link, dict):
                    c.err(f"metadata.links[{i}]", "must be a mapping with a url")
                    continue
                c.string(link.get("url"), f"metadata.links[{i}].url")
                for k in ("title", "icon", "type"):
                    if link.get(k) is not None and not isinstance(link[k], str):
                        c.err(f"metadata.links[{i}].{k}", "must be a string")


def _check_spec(c: _Checker, entity: Entity) -> None:
    spec = entity.spec
    for name, (kind, default_kind, required) in SPEC_FIELDS[entity.kind].items():
        fname = f"spec.{name}"
        if spec.get(name) is None:
            if required:
                c.err(fname, f"missing (required for kind {entity.kind})")
            continue
        value = spec[name]
        if kind == STR:
            c.string(value, fname)
        elif kind == MAP and not isinstance(value, dict):
            c.err(fname, "must be a mapping")
        elif kind == REF:
            ref = parse_ref(value, default_kind=default_kind, default_namespace=entity.namespace)
            if isinstance(ref, str):
                c.err(fname, ref)
            else:
                entity.refs[name] = ref
        elif kind == REFS:
            if not isinstance(value, list):
                c.err(fname, "must be a list of entity references")
                continue
            refs = []
            for i, item in enumerate(value):
                ref = parse_ref(item, default_kind=default_kind, default_namespace=entity.namespace)
                if isinstance(ref, str):
                    c.err(f"{fname}[{i}]", ref)
                else:
                    refs.append(ref)
            entity.refs[name] = refs
    if entity.kind == "Location" and not (spec.get("target") or spec.get("targets")):
        c.err("spec.targets", "a Location needs spec.target or spec.targets")
    if entity.kind == "Location" and spec.get("targets") is not None:
        targets = spec["targets"]
        if not isinstance(targets, list) or not all(isinstance(t, str) and t for t in targets):
            c.err("spec.targets", "must be a list of strings")
    profile = spec.get("profile")
    if isinstance(profile, dict):
        for k in ("displayName", "email", "picture"):
            if profile.get(k) is not None and not isinstance(profile[k], str):
                c.err(f"spec.profile.{k}", "must be a string")


def validate_document(doc: RawDocument, errors: list[Problem], notes: list[Note]) -> Entity | None:
    """An Entity, or None (with errors appended, or for an empty / non-entity document)."""
    data = doc.data
    if data is None:
        return None
    c = _Checker(doc, errors)
    if not isinstance(data, dict):
        c.err("", f"a catalog entity must be a mapping, not a {type(data).__name__}")
        return None
    if not any(k in data for k in ("apiVersion", "kind", "metadata")):
        notes.append(
            Note(
                "info", "not a catalog entity (no apiVersion, kind or metadata); skipped", doc.file, doc.index
            )
        )
        return None
    api_version, kind, metadata = data.get("apiVersion"), data.get("kind"), data.get("metadata")
    if api_version is None:
        c.err("apiVersion", f"missing; catalog entities need apiVersion {' or '.join(CORE_API_VERSIONS)}")
    elif not isinstance(api_version, str) or not API_VERSION_RE.match(api_version):
        c.err("apiVersion", f"{api_version!r} is not a valid apiVersion (group/version)")
    if kind is None:
        c.err("kind", "missing")
    elif not isinstance(kind, str) or not KIND_RE.match(kind):
        c.err("kind", f"{kind!r} is not a valid kind")
        kind = None
    canonical = KINDS.get(kind.lower()) if isinstance(kind, str) else None
    if canonical and isinstance(api_version, str) and api_version not in CORE_API_VERSIONS:
        c.err("apiVersion", f"{api_version!r}: kind {canonical} needs {' or '.join(CORE_API_VERSIONS)}")
    name, namespace = None, DEFAULT_NAMESPACE
    if not isinstance(metadata, dict):
        c.err("metadata", "missing" if metadata is None else "must be a mapping")
    else:
        name = metadata.get("name")
        if name is None:
            c.err("metadata.name", "missing")
        elif not isinstance(name, str) or not NAME_RE.match(name) or len(name) > MAX_NAME:
            c.err(
                "metadata.name",
                f"{name!r} is not a valid entity name (letters and digits, separated by '-', '_' or '.', "
                f"at most {MAX_NAME} characters)",
            )
        ns = metadata.get("namespace")
        if ns is not None:
            if not isinstance(ns, str) or not NAMESPACE_RE.match(ns) or len(ns) > MAX_NAME:
                c.err("metadata.namespace", f"{ns!r} is not a valid namespace (lower-case DNS label)")
            else:
                namespace = ns
        _check_metadata(c, metadata)
    spec = data.get("spec")
    if spec is not None and not isinstance(spec, dict):
        c.err("spec", "must be a mapping")
    elif spec is None and canonical:
        c.err("spec", f"missing (required for kind {canonical})")
    if c.failed:
        return None
    assert isinstance(kind, str) and isinstance(name, str) and isinstance(metadata, dict)
    entity = Entity(canonical or kind, namespace, name, metadata, spec or {}, doc)
    if entity.core:
        _check_spec(c, entity)
        if c.failed:
            return None
        unknown = sorted(f"spec.{k}" for k in entity.spec if k not in SPEC_FIELDS[entity.kind])
        unknown += sorted(f"metadata.{k}" for k in metadata if k not in METADATA_FIELDS)
        unknown += sorted(str(k) for k in data if k not in ENVELOPE_FIELDS)
        if unknown:
            message = f"unknown fields ignored: {', '.join(unknown)}"
            notes.append(Note("warning", message, doc.file, doc.index, str(entity.ref)))
    return entity
