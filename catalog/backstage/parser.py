"""Reading Backstage descriptor files: from disk (folders, files, Location targets) or from uploads.

YAML is read with PyYAML's SafeLoader only (the loop below is `yaml.safe_load_all` with line numbers):
no Python object tags, ever. Untrusted input is bounded before and after parsing:

- bytes: a file may not exceed `MAX_FILE_BYTES`, a whole import `MAX_TOTAL_BYTES` (`MAX_UPLOAD_BYTES` for
  uploads); files and documents are capped in number;
- alias bombs ("billion laughs"): SafeLoader shares aliased nodes instead of copying them, so parsing is
  cheap, but anything walking the result would expand them. Every document's size is therefore counted
  with aliases expanded (memoised, so the count itself stays linear) and refused above `MAX_NODES`;
  recursive aliases and nesting deeper than `MAX_DEPTH` are refused too;
- text holding a NUL character (YAML's `"\\0"` escape), which PostgreSQL cannot store, is refused.

Location entities are followed only when reading from disk, and only to files inside the folder the
import started from (the folder given, or the folder of the file given): absolute paths, `..` escapes,
symlinks leading out and remote URLs are reported and not read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from catalog.backstage.report import Note, Problem

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_FILES = 2000
MAX_UPLOAD_FILES = 100
MAX_DOCUMENTS = 10_000
MAX_NODES = 100_000
MAX_DEPTH = 64
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RawDocument:
    """One YAML document. `index` is its 1-based position in the file, `line` where it starts."""

    file: str
    index: int
    line: int
    data: Any
    path: Path | None = None  # on disk: the resolved file (Location targets are relative to it)
    root: Path | None = None  # on disk: the folder Location targets must stay inside


@dataclass
class Batch:
    """Everything read for one import, before any entity validation."""

    documents: list[RawDocument] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files: int = 0
    total_bytes: int = 0
    location_outcomes: dict[tuple[str, int], str] = field(default_factory=dict)


class _Refused(Exception):
    def __init__(self, message: str, code: str = "too_large"):
        super().__init__(message)
        self.code = code


def _expanded_size(obj: Any, memo: dict[int, int], active: set[int], depth: int) -> int:
    if isinstance(obj, str):
        # YAML's "\0" escape yields a NUL, which PostgreSQL refuses in text (a DataError, so a 500 at
        # write time). Checked once per string object: aliases share it.
        if id(obj) not in memo:
            if "\x00" in obj:
                raise _Refused("a NUL character (\\0) is not allowed in text", code="invalid")
            memo[id(obj)] = 1
        return 1
    if not isinstance(obj, dict | list):
        return 1
    key = id(obj)
    if key in memo:
        return memo[key]
    if key in active:
        raise _Refused("a recursive alias (a node containing itself) is not allowed")
    if depth > MAX_DEPTH:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
    active.add(key)
    total = 1
    children: Iterable[Any] = (
        (x for pair in obj.items() for x in pair) if isinstance(obj, dict) else iter(obj)
    )
    for child in children:
        total += _expanded_size(child, memo, active, depth + 1)
        if total > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES} YAML nodes once aliases are expanded (an alias bomb?)")
    active.discard(key)
    memo[key] = total
    return total


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"not valid YAML (line {mark.line + 1}, column {mark.column + 1}): {problem}"
    return f"not valid YAML: {problem}"


def parse_text(
    text: str, *, file: str, batch: Batch, path: Path | None = None, root: Path | None = None
) -> list[RawDocument]:
    """Parse a multi-document YAML stream into `batch` (errors included); returns the new documents."""
    docs: list[RawDocument] = []
    loader = yaml.SafeLoader(text)
    current = 1
    try:
        while True:
            current = len(docs) + 1
            if not loader.check_data():
                break
            line = loader.peek_event().start_mark.line + 1
            data = loader.get_data()
            _expanded_size(data, {}, set(), 0)
            docs.append(RawDocument(file=file, index=current, line=line, data=data, path=path, root=root))
            if len(batch.documents) + len(docs) > MAX_DOCUMENTS:
                raise _Refused(f"more than {MAX_DOCUMENTS} documents in one import")
    except yaml.YAMLError as exc:
        batch.errors.append(Problem(file, current, "", _yaml_message(exc)))
    except RecursionError:
        batch.errors.append(Problem(file, current, "", "not valid YAML: nested too deeply"))
    except _Refused as exc:
        batch.errors.append(Problem(file, current, "", f"refused: {exc}", code=exc.code))
    finally:
        loader.dispose()
    batch.documents.extend(docs)
    return docs


def _decode(raw: bytes, file: str, batch: Batch) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        batch.errors.append(Problem(file, None, "", "not UTF-8 text"))
        return None


def human_size(n: int) -> str:
    return f"{n // 1048576} MiB" if n >= 1048576 else f"{n // 1024} KiB" if n >= 1024 else f"{n} bytes"


def _too_large(batch: Batch, file: str, size: int, *, limit_total: int) -> bool:
    if size > MAX_FILE_BYTES:
        batch.errors.append(
            Problem(file, None, "", f"larger than {human_size(MAX_FILE_BYTES)}; refused", code="too_large")
        )
        return True
    if batch.total_bytes + size > limit_total:
        batch.errors.append(
            Problem(
                file, None, "", f"the import exceeds {human_size(limit_total)} in total; refused", "too_large"
            )
        )
        return True
    batch.total_bytes += size
    return False


# --- uploads ----------------------------------------------------------------------------------------------


def read_uploads(files: Sequence[tuple[str, bytes]]) -> Batch:
    """Uploaded files: `(filename, content)`. Location targets cannot be followed from an upload."""
    batch = Batch()
    if len(files) > MAX_UPLOAD_FILES:
        batch.errors.append(
            Problem("upload", None, "", f"more than {MAX_UPLOAD_FILES} files; refused", code="too_large")
        )
        return batch
    seen: dict[str, int] = {}
    for raw_name, content in files:
        name = os.path.basename((raw_name or "").replace("\\", "/"))[:200] or "upload.yaml"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        batch.files += 1
        if _too_large(batch, name, len(content), limit_total=MAX_UPLOAD_BYTES):
            return batch
        text = _decode(content, name, batch)
        if text is not None:
            for doc in parse_text(text, file=name, batch=batch):
                if _is_location(doc.data) and _targets(doc.data):
                    outcome = "not followed: an upload cannot reach other files; upload them too"
                    batch.location_outcomes[(doc.file, doc.index)] = outcome
                    message = f"Location targets {', '.join(_targets(doc.data))} {outcome}"
                    batch.notes.append(Note("warning", message, name, doc.index))
    return batch


# --- disk ---------------------------------------------------------------------------------------------------


def _is_location(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("kind", "")).lower() == "location"


def _targets(data: dict) -> list[str]:
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return []
    found = [spec["target"]] if isinstance(spec.get("target"), str) else []
    if isinstance(spec.get("targets"), list):
        found += [t for t in spec["targets"] if isinstance(t, str)]
    return found


def _walk(folder: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found += [Path(dirpath) / f for f in sorted(filenames) if f.lower().endswith(YAML_SUFFIXES)]
    return found


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def read_paths(paths: Sequence[str | os.PathLike]) -> Batch:
    """Files and folders (recursively, `*.yaml`/`*.yml`), following Location targets inside each root."""
    batch = Batch()
    queue: list[tuple[Path, Path]] = []  # (file as found, root)
    for given in paths:
        p = Path(given)
        if not p.exists():
            batch.errors.append(Problem(str(given), None, "", "no such file or folder"))
            continue
        if p.is_dir():
            root = p.resolve()
            queue += [(f, root) for f in _walk(p)]
        else:
            queue.append((p, p.resolve().parent))
    seen: set[Path] = set()
    while queue:
        candidate, root = queue.pop(0)
        resolved = candidate.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        name = _display(resolved, root)
        if not resolved.is_relative_to(root):
            batch.notes.append(Note("warning", "leads outside the import folder (symlink?); not read", name))
            continue
        if len(seen) > MAX_FILES:
            batch.errors.append(Problem(name, None, "", f"more than {MAX_FILES} files; refused", "too_large"))
            return batch
        batch.files += 1
        try:
            size = resolved.stat().st_size
            if _too_large(batch, name, size, limit_total=MAX_TOTAL_BYTES):
                return batch
            raw = resolved.read_bytes()[: MAX_FILE_BYTES + 1]
        except OSError as exc:
            batch.errors.append(Problem(name, None, "", f"cannot be read: {exc.strerror or exc}"))
            continue
        text = _decode(raw, name, batch)
        if text is None:
            continue
        for doc in parse_text(text, file=name, batch=batch, path=resolved, root=root):
            if _is_location(doc.data):
                queue += _follow(doc, batch)
    return batch


def _follow(doc: RawDocument, batch: Batch) -> list[tuple[Path, Path]]:
    """Targets of a Location document that stay inside its root; everything else is reported."""
    assert doc.path is not None and doc.root is not None
    base, root = doc.path.parent, doc.root
    followed: list[str] = []
    refused: list[str] = []
    out: list[tuple[Path, Path]] = []
    for target in _targets(doc.data):
        if urlsplit(target).scheme and len(urlsplit(target).scheme) > 1:
            refused.append(f"{target} (remote: not fetched)")
            continue
        if os.path.isabs(target):
            refused.append(f"{target} (absolute path)")
            continue
        try:
            matches = sorted(base.glob(target)) if any(ch in target for ch in "*?[") else [base / target]
        except (NotImplementedError, ValueError):
            refused.append(f"{target} (unsupported pattern)")
            continue
        inside = [m.resolve() for m in matches if m.resolve().is_relative_to(root)]
        if len(inside) < len(matches):
            refused.append(f"{target} (outside the import folder)")
            continue
        existing = [m for m in inside if m.is_file()]
        if not existing:
            refused.append(f"{target} (not found)")
            continue
        followed.append(target)
        out += [(m, root) for m in existing]
    parts = []
    if followed:
        parts.append("followed " + ", ".join(followed))
    if refused:
        parts.append("not followed: " + "; ".join(refused))
        batch.notes.append(
            Note("warning", "Location target not followed: " + "; ".join(refused), doc.file, doc.index)
        )
    batch.location_outcomes[(doc.file, doc.index)] = "; ".join(parts) or "no targets"
    return out
