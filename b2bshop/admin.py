"""The audit trail in the admin: read-only; the Marketing group views it (`accounts.services.MARKETING_PERMISSIONS`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.loader import render_to_string

from b2bshop.audit.diff import field_changes
from b2bshop.models import AuditEntry
from b2bshop.outbox.models import PendingTask
from b2bshop.read_only_admin import ReadOnlyModelAdmin


class SegmentIdFilter(admin.SimpleListFilter):
    """?segment_id=<pk>: one segment's trail (its own entries and its sync setting's), linked from its page."""

    title = "segment"
    parameter_name = "segment_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, f"segment {value}")] if value and value.isdigit() else []

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = self.value()
        return queryset.filter(segment_id=int(value)) if value and value.isdigit() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("at", "who", "action", "target_type", "target_label", "changed")
    list_filter = ("action", "target_type", "at", ("actor", admin.RelatedOnlyFieldListFilter), SegmentIdFilter)
    search_fields = ("target_label", "actor_label", "actor__email")
    date_hierarchy = "at"
    list_select_related = ("actor",)
    fields = ("at", "who", "action", "target_type", "target_id", "target_label", "changes")
    readonly_fields = fields

    @admin.display(description="who", ordering="actor_label")
    def who(self, entry: AuditEntry) -> str:
        return entry.actor.email if entry.actor else (entry.actor_label or "the system")

    @admin.display(description="changed fields")
    def changed(self, entry: AuditEntry) -> str:
        return ", ".join(entry.changed_fields) if entry.action not in ("created", "deleted") else "—"

    @admin.display(description="before and after")
    def changes(self, entry: AuditEntry) -> str:
        return render_to_string(
            "admin/b2bshop/audit_entry_changes.html",
            {"entry": entry, "changes": field_changes(entry.before, entry.after)},
        )


@admin.register(PendingTask)
class PendingTaskAdmin(ReadOnlyModelAdmin):
    """Tasks that could not be queued (broker down); `outbox_flush` queues them again. Read-only."""

    list_display = ("task_name", "created_at", "attempts", "claimed_until", "last_error")
    list_filter = ("task_name",)
    fields = ("task_name", "kwargs", "created_at", "attempts", "claimed_until", "last_error")
    readonly_fields = fields
