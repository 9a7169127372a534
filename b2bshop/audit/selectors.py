"""Reading the audit trail."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from b2bshop.models import AuditEntry


def segment_audit_entries(*, segment_id: int) -> QuerySet[AuditEntry]:
    """A segment's trail, newest first: its own entries and those of its Mailchimp sync setting."""
    return AuditEntry.objects.filter(segment_id=segment_id).select_related("actor").order_by("-at", "-id")


def target_audit_entries(*, target_type: str, target_id: int) -> QuerySet[AuditEntry]:
    return (
        AuditEntry.objects.filter(Q(target_type=target_type, target_id=target_id))
        .select_related("actor")
        .order_by("-at", "-id")
    )
