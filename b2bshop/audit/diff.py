"""A readable line diff of two JSON values (a rule before and after), for the admin and the API."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "context" or "hunk" (a "@@ ... @@" position line)
    text: str


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).splitlines()


def json_diff(before: Any, after: Any, *, context: int = 3) -> list[DiffLine]:
    """The unified diff of the two values pretty-printed as JSON; empty when they are equal."""
    kinds = {"+": "added", "-": "removed", " ": "context", "@": "hunk"}
    lines = difflib.unified_diff(_lines(before), _lines(after), lineterm="", n=context)
    return [DiffLine(kinds[line[0]], line) for line in lines if not line.startswith(("---", "+++"))]


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str
    diff: list[DiffLine]  # for structured values (a rule, a list): the line diff; else empty


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value) or "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def field_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[FieldChange]:
    """Each field that differs, with both values as text; a rule (a JSON object) also as a line diff."""
    before, after = before or {}, after or {}
    changes = []
    for field in dict.fromkeys([*before, *after]):
        old, new = before.get(field), after.get(field)
        if old == new:
            continue
        structured = isinstance(old, dict) or isinstance(new, dict)
        changes.append(FieldChange(field, _text(old), _text(new), json_diff(old, new) if structured else []))
    return changes
