"""`{% segment_audit_history segment %}`: a segment's audit trail on its admin change page."""

from __future__ import annotations

from typing import Any

from django import template

from b2bshop.audit.diff import field_changes
from b2bshop.audit.selectors import segment_audit_entries

register = template.Library()

HISTORY_SHOWN = 50


@register.inclusion_tag("admin/b2bshop/segment_audit_history.html", takes_context=True)
def segment_audit_history(context: template.Context, segment: Any) -> dict[str, Any]:
    entries = list(segment_audit_entries(segment_id=segment.pk)[: HISTORY_SHOWN + 1])
    request = context.get("request")
    return {
        "segment": segment,
        # The whole trail is an admin page of its own, opened by its permission.
        "trail_link": request is not None and request.user.has_perm("b2bshop.view_auditentry"),
        "entries": [(entry, field_changes(entry.before, entry.after)) for entry in entries[:HISTORY_SHOWN]],
        "more": len(entries) > HISTORY_SHOWN,
        "shown": HISTORY_SHOWN,
    }


@register.inclusion_tag("admin/b2bshop/audit_changes.html")
def audit_changes(entry: Any) -> dict[str, Any]:
    return {"changes": field_changes(entry.before, entry.after), "entry": entry}
