"""`{% segment_audit_history segment %}`: a segment's audit trail on its admin change page."""

from __future__ import annotations

from typing import Any

from django import template

from b2bshop.audit.diff import field_changes
from b2bshop.audit.selectors import segment_audit_entries

register = template.Library()

HISTORY_SHOWN = 50


@register.inclusion_tag("admin/b2bshop/segment_audit_history.html")
def segment_audit_history(segment: Any) -> dict[str, Any]:
    entries = list(segment_audit_entries(segment_id=segment.pk)[: HISTORY_SHOWN + 1])
    return {
        "segment": segment,
        "entries": [(entry, field_changes(entry.before, entry.after)) for entry in entries[:HISTORY_SHOWN]],
        "more": len(entries) > HISTORY_SHOWN,
        "shown": HISTORY_SHOWN,
    }


@register.inclusion_tag("admin/b2bshop/audit_changes.html")
def audit_changes(entry: Any) -> dict[str, Any]:
    return {"changes": field_changes(entry.before, entry.after), "entry": entry}
