"""Pure functions from Backstage values to Agora values (no database): lifecycle, links, text, slugs, tags.

Lifecycle (`spec.lifecycle`, free text in Backstage; compared case-insensitively):

| Backstage                                              | Agora                   |
|--------------------------------------------------------|-------------------------|
| production, ga, stable, live, general-availability     | general availability    |
| experimental, alpha, development, dev, incubating, poc | experimental            |
| beta, preview, early-access                            | beta                    |
| deprecated, sunset, sunsetting                         | deprecated              |
| retired, decommissioned, end-of-life, eol, archived    | retired                 |
| anything else                                          | unchanged, with a warning (new capabilities: GA) |

Export maps back: GA -> production; the other four keep their Agora name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from catalog.models import Lifecycle, LinkKind
from catalog.services import validate_http_url

LIFECYCLES = {
    **dict.fromkeys(("production", "ga", "stable", "live", "general-availability"), Lifecycle.GA),
    **dict.fromkeys(
        ("experimental", "alpha", "development", "dev", "incubating", "poc"), Lifecycle.EXPERIMENTAL
    ),
    **dict.fromkeys(("beta", "preview", "early-access"), Lifecycle.BETA),
    **dict.fromkeys(("deprecated", "sunset", "sunsetting"), Lifecycle.DEPRECATED),
    **dict.fromkeys(("retired", "decommissioned", "end-of-life", "eol", "archived"), Lifecycle.RETIRED),
}
EXPORT_LIFECYCLES = {Lifecycle.GA: "production"}
MAX_SUMMARY = 300
MAX_TAGS = 20
MAX_LINKS = 50

# Link classification: first match wins. Words are matched in the link's type, icon and title.
_LINK_WORDS: list[tuple[str, set[str]]] = [
    (LinkKind.RUNBOOK, {"runbook", "runbooks", "playbook", "playbooks"}),
    (LinkKind.GETTING_STARTED, {"quickstart", "onboarding", "tutorial", "getting-started"}),
    (LinkKind.API_REFERENCE, {"api", "apis", "openapi", "swagger", "spec", "graphql", "grpc", "asyncapi"}),
    (LinkKind.DASHBOARD, {"dashboard", "dashboards", "metrics", "grafana", "monitoring", "kibana",
                          "datadog"}),
    (LinkKind.CHAT, {"chat", "slack", "discord", "mattermost", "channel", "teams-channel"}),
    (LinkKind.REPOSITORY, {"repo", "repository", "github", "gitlab", "bitbucket", "source", "code", "git"}),
    (LinkKind.DOCS, {"docs", "doc", "documentation", "readme", "wiki", "handbook", "manual", "guide",
                     "techdocs", "book"}),
]  # fmt: skip
_PHRASES = {"getting started": LinkKind.GETTING_STARTED, "quick start": LinkKind.GETTING_STARTED}


@dataclass(frozen=True)
class Link:
    kind: str
    title: str
    url: str

    def as_tuple(self) -> tuple[str, str, str]:
        return (self.kind, self.title, self.url)


def map_lifecycle(value: str | None) -> str | None:
    if not value:
        return None
    return LIFECYCLES.get(value.strip().lower().replace(" ", "-").replace("_", "-"))


def export_lifecycle(value: str) -> str:
    return EXPORT_LIFECYCLES.get(value, value)


def classify_link(*, title: str = "", icon: str = "", type_: str = "") -> str:
    """An explicit `type` equal to an Agora link kind wins (that is what export writes); then keywords."""
    if type_ in LinkKind.values:
        return type_
    text = " ".join(x for x in (type_, icon, title) if x).lower()
    for phrase, kind in _PHRASES.items():
        if phrase in text:
            return kind
    words = set(re.split(r"[^a-z0-9-]+", text)) | set(re.split(r"[^a-z0-9]+", text))
    for kind, keys in _LINK_WORDS:
        if words & keys:
            return kind
    return LinkKind.OTHER


def is_http_url(url: Any) -> bool:
    if not isinstance(url, str) or len(url) > 500:
        return False
    try:
        validate_http_url(url, "url")
    except ValidationError:
        return False
    return True


_FORGES = {
    "github.com/project-slug": ("GitHub", "github.com"),
    "gitlab.com/project-slug": ("GitLab", "gitlab.com"),
}


def _strip_prefix(value: str) -> str:
    """Backstage location values look like `url:https://...`; keep the URL."""
    return value[4:] if value.startswith("url:") else value


def annotation_links(annotations: dict[str, str]) -> tuple[list[Link], list[str]]:
    """Typed links from well-known annotations, and the annotations that could not become links."""
    links: list[Link] = []
    unmapped: list[str] = []
    for key, raw in annotations.items():
        value = raw.strip()
        if key == "backstage.io/techdocs-ref":
            url = _strip_prefix(value)
            if value.startswith("url:") and is_http_url(url):
                links.append(Link(LinkKind.DOCS, "Documentation (TechDocs)", url))
            else:
                unmapped.append(f"{key}: {value} (needs the Backstage TechDocs builder)")
        elif key in ("backstage.io/source-location", "backstage.io/view-url"):
            url = _strip_prefix(value).rstrip("/") if key.endswith("location") else value
            if is_http_url(url):
                links.append(Link(LinkKind.REPOSITORY, "Source code", url))
            else:
                unmapped.append(f"{key}: {value}")
        elif key in _FORGES:
            label, host = _FORGES[key]
            if key == "gitlab.com/project-slug":
                host = annotations.get("gitlab.com/instance", host)
            url = f"https://{host}/{value}"
            if re.fullmatch(r"[\w.-]+(/[\w.-]+)+", value) and is_http_url(url):
                links.append(Link(LinkKind.REPOSITORY, f"{label} repository", url))
            else:
                unmapped.append(f"{key}: {value}")
        elif key == "lighthouse.com/website-url" and is_http_url(value):
            links.append(Link(LinkKind.OTHER, "Website", value))
        elif key.startswith(("pagerduty.com/", "opsgenie.com/")):
            if is_http_url(value):
                links.append(Link(LinkKind.RUNBOOK, "On-call (" + key.split(".")[0].title() + ")", value))
            else:
                unmapped.append(f"{key}: {value} (needs the account URL, not in the descriptor)")
        elif key.startswith("grafana/") and is_http_url(value):
            links.append(Link(LinkKind.DASHBOARD, "Grafana dashboard", value))
        elif key.startswith(("agora/", "backstage.io/")) or key == "gitlab.com/instance":
            continue  # Agora's own (read elsewhere) and Backstage bookkeeping (managed-by-location...)
        elif is_http_url(value):
            kind = classify_link(title=key.split("/")[-1])
            links.append(Link(kind, key.split("/")[-1].replace("-", " ").capitalize()[:200], value))
        else:
            unmapped.append(f"{key}: {value}")
    return links, unmapped


def metadata_links(links: list[dict] | None) -> tuple[list[Link], list[str]]:
    """`metadata.links` -> typed links; non-http(s) URLs (javascript:, relative...) are refused."""
    out: list[Link] = []
    refused: list[str] = []
    for item in links or []:
        url = item.get("url", "")
        if not is_http_url(url):
            refused.append(str(url)[:100])
            continue
        title = (item.get("title") or "").strip() or url.split("//", 1)[-1].split("/", 1)[0]
        out.append(Link(classify_link(title=title, icon=item.get("icon") or "", type_=item.get("type") or ""),
                        title[:200], url))  # fmt: skip
    return out, refused


def dedupe_links(links: list[Link]) -> list[Link]:
    seen: set[str] = set()
    out = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            out.append(link)
    return out[:MAX_LINKS]


def split_description(text: str | None) -> tuple[str, str]:
    """Backstage has one description; Agora a one-line summary plus Markdown. Short text -> summary only."""
    text = (text or "").strip()
    if not text:
        return "", ""
    if "\n" not in text and len(text) <= MAX_SUMMARY:
        return text, ""
    first = text.splitlines()[0].strip()
    if len(first) > MAX_SUMMARY:
        first = first[: MAX_SUMMARY - 1].rsplit(" ", 1)[0] + "…"
    return first, text


def name_slug(name: str, limit: int) -> str:
    """Entity names may hold `.` and `_` and capitals; Agora slugs are lower-case with hyphens."""
    return slugify(name.replace(".", "-").replace("_", "-"))[:limit].strip("-")


def team_slug(namespace: str, name: str, *, user: bool = False) -> str:
    """A Group's team slug: its name in the default namespace, `<namespace>-<name>` elsewhere.

    User owners get a placeholder team `user-<name>` (see the package docstring)."""
    base = name_slug(name, 63)
    if namespace.lower() != "default":
        base = f"{name_slug(namespace, 30)}-{base}"
    if user:
        base = f"user-{base}"
    return base[:63].strip("-")


def agora_tags(tags: list[str]) -> tuple[list[str], list[str]]:
    """Backstage tags -> Agora tag slugs (at most MAX_TAGS); returns (tags, what was changed or dropped)."""
    out: list[str] = []
    changed: list[str] = []
    for tag in tags:
        slug = slugify(tag)[:50]
        if not slug:
            changed.append(f"{tag} (dropped)")
            continue
        if slug != tag:
            changed.append(f"{tag} -> {slug}")
        if slug not in out:
            out.append(slug)
    if len(out) > MAX_TAGS:
        changed.append(f"{len(out) - MAX_TAGS} tags beyond {MAX_TAGS} dropped: {', '.join(out[MAX_TAGS:])}")
        out = out[:MAX_TAGS]
    return sorted(out), changed


def export_tag(slug: str) -> str | None:
    tag = re.sub(r"-+", "-", slug.lower().replace("_", "-")).strip("-")[:63]
    return tag or None
