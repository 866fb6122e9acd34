"""What an import found and did: fatal problems, notes, and one change line per entity.

The same report backs the command's text output, the API's JSON body and the page's preview table, so a
dry run reads the same everywhere.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_PROBLEMS = 200  # more than this and the rest are counted, not listed

ACTIONS = ("create", "update", "unchanged", "info", "skip")


@dataclass(frozen=True)
class Problem:
    """A fatal error: the import writes nothing while there is one. Names file, document and field."""

    file: str
    document: int | None
    field: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        where = self.file + (f", document {self.document}" if self.document else "")
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class Note:
    """Something the import did not map (a warning) or wants to explain (info). Never fatal."""

    level: str  # "warning" | "info"
    message: str
    file: str = ""
    document: int | None = None
    ref: str = ""

    def __str__(self) -> str:
        where = self.file + (f", document {self.document}" if self.document else "")
        subject = f"{self.ref}: " if self.ref else ""
        return f"{where}: {subject}{self.message}" if where else f"{subject}{self.message}"


@dataclass(frozen=True)
class Change:
    """What happens (or would happen, in a dry run) to one entity.

    `target` is what the entity maps to (capability, team, link, category, user, location, none);
    `action` is one of ACTIONS; `fields` lists what an update changes.
    """

    ref: str
    kind: str
    target: str
    action: str
    detail: str = ""
    fields: tuple[str, ...] = ()
    file: str = ""
    document: int | None = None


@dataclass
class ImportReport:
    dry_run: bool
    files: int = 0
    documents: int = 0
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    dropped_errors: int = 0
    applied: bool = False
    links: int = 0  # links the imported capabilities carry after the import
    memberships: int = 0  # team memberships added for matched users

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def too_large(self) -> bool:
        return any(p.code == "too_large" for p in self.errors)

    def add_error(self, problem: Problem) -> None:
        if len(self.errors) < MAX_PROBLEMS:
            self.errors.append(problem)
        else:
            self.dropped_errors += 1

    def counts(self) -> dict[str, dict[str, int]]:
        counter = Counter((c.target, c.action) for c in self.changes)
        out: dict[str, dict[str, int]] = {}
        for (target, action), n in sorted(counter.items()):
            out.setdefault(target, {})[action] = n
        return out

    def count(self, target: str, action: str) -> int:
        return sum(1 for c in self.changes if c.target == target and c.action == action)

    @property
    def warnings(self) -> list[Note]:
        return [n for n in self.notes if n.level == "warning"]

    @property
    def info(self) -> list[Note]:
        return [n for n in self.notes if n.level == "info"]

    def summary(self) -> str:
        if self.errors:
            total = len(self.errors) + self.dropped_errors
            return f"Import refused: {total} error{'s' if total != 1 else ''}; nothing was written."
        parts = []
        for target, label in (("capability", "capabilities"), ("team", "teams")):
            c = {a: self.count(target, a) for a in ("create", "update", "unchanged")}
            parts.append(f"{label}: {c['create']} new, {c['update']} updated, {c['unchanged']} unchanged")
        skipped = sum(1 for c in self.changes if c.action == "skip")
        warnings = len(self.warnings)
        verb = "Dry run, nothing written" if self.dry_run else "Imported"
        return (
            f"{verb}: {'; '.join(parts)}; {self.links} link{'' if self.links == 1 else 's'}; "
            f"{skipped} entit{'y' if skipped == 1 else 'ies'} not imported; "
            f"{warnings} warning{'' if warnings == 1 else 's'}."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "applied": self.applied,
            "ok": self.ok,
            "summary": self.summary(),
            "files": self.files,
            "documents": self.documents,
            "counts": self.counts(),
            "links": self.links,
            "memberships": self.memberships,
            "changes": [asdict(c) | {"fields": list(c.fields)} for c in self.changes],
            "warnings": [asdict(n) for n in self.notes if n.level == "warning"],
            "info": [asdict(n) for n in self.notes if n.level == "info"],
            "errors": [asdict(p) for p in self.errors],
            "more_errors": self.dropped_errors,
        }

    def render_text(self, *, verbose: bool = False) -> str:
        lines = []
        if self.errors:
            lines.append("Errors (nothing was written):")
            lines.extend(f"  {p}" for p in self.errors)
            if self.dropped_errors:
                lines.append(f"  ... and {self.dropped_errors} more")
        else:
            for c in self.changes:
                if c.action == "info" and not verbose:
                    continue
                fields = f" [{', '.join(c.fields)}]" if c.fields else ""
                detail = f" -> {c.detail}" if c.detail else ""
                lines.append(f"  {c.action:9s} {c.ref}{detail}{fields}")
        notes = self.notes if verbose else self.warnings
        if notes:
            lines.append("Warnings:" if not verbose else "Notes:")
            lines.extend(f"  [{n.level}] {n}" if verbose else f"  {n}" for n in notes)
        lines.append(self.summary())
        return "\n".join(lines) + "\n"
