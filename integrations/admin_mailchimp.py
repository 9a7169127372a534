"""Admin pages of the Mailchimp sync: per-segment settings (marketers edit them), runs, member errors,
webhook events and email changes to review. Actions call the services; records are read-only.

Registered on import; `integrations/admin.py` imports this module.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from b2bshop.exceptions import ApplicationError
from b2bshop.read_only_admin import ReadOnlyModelAdmin
from integrations.mailchimp.consent import SkipReason
from integrations.mailchimp.selectors import mailchimp_sync_run_chunk_counts
from integrations.mailchimp.services import (
    mailchimp_member_errors_retry,
    mailchimp_segment_sync_delete,
    mailchimp_segment_sync_save,
    mailchimp_segment_syncs_enqueue,
)
from integrations.mailchimp.webhooks import (
    mailchimp_email_change_approve,
    mailchimp_email_change_reject,
)
from integrations.models import (
    MailchimpEmailChangeRequest,
    MailchimpMember,
    MailchimpMemberError,
    MailchimpSegmentSync,
    MailchimpSyncRun,
    MailchimpWebhookEvent,
)


def _enqueue(request: HttpRequest, queryset: QuerySet[MailchimpSegmentSync], **options: Any) -> None:
    runs = mailchimp_segment_syncs_enqueue(sync_ids=queryset.values_list("pk", flat=True), user=request.user, **options)
    if runs:
        messages.success(request, "Mailchimp sync queued: " + ", ".join(f"run {run.pk}" for run in runs))
    else:
        messages.warning(request, "None of the selected segments has its sync turned on.")


class MailchimpSegmentSyncForm(forms.ModelForm):
    # The prefix usually ends in a space ("shop: "): keep it.
    tag_prefix = forms.CharField(
        strip=False, required=False, max_length=40, help_text="The tag is named <prefix><segment name>."
    )

    class Meta:
        model = MailchimpSegmentSync
        fields = ("segment", "enabled", "tag_prefix")


@admin.register(MailchimpSegmentSync)
class MailchimpSegmentSyncAdmin(admin.ModelAdmin):
    form = MailchimpSegmentSyncForm
    list_display = (
        "segment", "enabled", "tag_prefix", "tag_name", "mailchimp_segment_id", "last_synced_at", "last_full_sync_at",
    )
    list_filter = ("enabled",)
    search_fields = ("segment__name", "tag_name")
    list_select_related = ("segment",)
    readonly_fields = (
        "tag_name", "mailchimp_segment_id", "last_synced_event_id", "last_synced_at", "last_full_sync_at",
        "created_at", "updated_at",
    )
    actions = ("sync_now", "full_reconcile_now", "dry_run_now")

    def get_fields(self, request: HttpRequest, obj: MailchimpSegmentSync | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("segment", "enabled", "tag_prefix")
        return ("segment", "enabled", "tag_prefix", *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: MailchimpSegmentSync | None = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is None else ("segment", *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: MailchimpSegmentSync, form: Any, change: bool) -> None:
        saved = mailchimp_segment_sync_save(
            segment=obj.segment, enabled=obj.enabled, tag_prefix=obj.tag_prefix, user=request.user
        )
        # The admin goes on with `obj` (history entry, redirect): make it the saved row.
        for model_field in obj._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(saved, model_field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def delete_model(self, request: HttpRequest, obj: MailchimpSegmentSync) -> None:
        mailchimp_segment_sync_delete(sync=obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[MailchimpSegmentSync]) -> None:
        for sync in queryset.select_related("segment"):
            mailchimp_segment_sync_delete(sync=sync, user=request.user)

    @admin.action(description="Sync now (changes since the last sync)", permissions=["change"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[MailchimpSegmentSync]) -> None:
        _enqueue(request, queryset)

    @admin.action(description="Full reconcile now (compare with Mailchimp)", permissions=["change"])
    def full_reconcile_now(self, request: HttpRequest, queryset: QuerySet[MailchimpSegmentSync]) -> None:
        _enqueue(request, queryset, full=True)

    @admin.action(description="Dry run (report only, no changes in Mailchimp)", permissions=["view"])
    def dry_run_now(self, request: HttpRequest, queryset: QuerySet[MailchimpSegmentSync]) -> None:
        _enqueue(request, queryset, dry_run=True, full=True)


@admin.register(MailchimpSyncRun)
class MailchimpSyncRunAdmin(ReadOnlyModelAdmin):
    list_display = (
        "created_at", "segment_label", "trigger", "status", "dry_run", "full", "added", "removed", "upserted",
        "failed", "skipped_total", "progress",
    )
    list_filter = ("status", "trigger", "dry_run", "full")
    date_hierarchy = "created_at"
    list_select_related = ("segment", "triggered_by")
    fieldsets = (
        (None, {"fields": (("segment", "status", "trigger"), ("dry_run", "full"), "triggered_by", "error")}),
        ("Time", {"fields": (("created_at", "started_at", "finished_at"),)}),
        ("Counts", {"fields": (("added", "removed", "upserted", "failed"), "skipped_table", "chunk_table")}),
        ("Per tag", {"fields": ("tags_table",)}),
    )
    readonly_fields = (
        "segment", "status", "trigger", "dry_run", "full", "triggered_by", "error", "created_at", "started_at",
        "finished_at", "added", "removed", "upserted", "failed", "skipped_table", "chunk_table", "tags_table",
    )

    @admin.display(description="Segment")
    def segment_label(self, run: MailchimpSyncRun) -> str:
        return str(run.segment) if run.segment_id else "All synced segments"

    @admin.display(description="Skipped")
    def skipped_total(self, run: MailchimpSyncRun) -> int:
        return sum(run.skipped.values())

    @admin.display(description="Chunks")
    def progress(self, run: MailchimpSyncRun) -> str:
        return f"{run.chunks_done}/{run.chunks_total}"

    @admin.display(description="Skipped by reason")
    def skipped_table(self, run: MailchimpSyncRun) -> str:
        if not run.skipped:
            return "None"
        labels = dict(SkipReason.choices)
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", ((labels.get(k, k), v) for k, v in sorted(run.skipped.items()))),
        )

    @admin.display(description="Chunks by status")
    def chunk_table(self, run: MailchimpSyncRun) -> str:
        counts = mailchimp_sync_run_chunk_counts(run_id=run.pk)
        return ", ".join(f"{status}: {count}" for status, count in counts.items() if count) or "None"

    @admin.display(description="Tags")
    def tags_table(self, run: MailchimpSyncRun) -> str:
        if not run.summary:
            return "None"
        verb = "would " if run.dry_run else ""
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    state.get("tag", ""), state.get("state", ""), state.get("would_add", 0), state.get("would_remove", 0),
                    state.get("upserts", 0),
                    ", ".join(f"{reason}: {count}" for reason, count in state.get("skipped", {}).items()) or "–",
                )
                for _segment_id, state in sorted(run.summary.items(), key=lambda item: int(item[0]))
            ),
        )
        return format_html(
            "<table><thead><tr><th>Tag</th><th>State</th><th>{}add</th><th>{}remove</th><th>Upserts</th>"
            "<th>Skipped</th></tr></thead><tbody>{}</tbody></table>",
            verb, verb, rows,
        )


class _OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Open"), ("no", "Resolved")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[MailchimpMemberError]) -> QuerySet[MailchimpMemberError]:
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(MailchimpMemberError)
class MailchimpMemberErrorAdmin(ReadOnlyModelAdmin):
    list_display = (
        "email", "operation", "sync", "permanent", "dead_lettered", "attempts", "message", "last_seen_at", "resolved_at",
    )
    list_filter = (_OpenFilter, "permanent", "dead_lettered", "operation")
    search_fields = ("email", "message")
    list_select_related = ("sync__segment",)
    readonly_fields = (
        "email", "contact", "operation", "sync", "message", "code", "permanent", "attempts", "dead_lettered",
        "first_seen_at", "last_seen_at", "resolved_at", "last_run",
    )
    fields = readonly_fields
    actions = ("retry",)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.change_mailchimpmembererror")

    @admin.action(description="Retry at the next sync (after fixing the cause)", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[MailchimpMemberError]) -> None:
        count = mailchimp_member_errors_retry(error_ids=queryset.values_list("pk", flat=True))
        messages.success(request, f"{count} member(s) will be sent again at the next sync.")


@admin.register(MailchimpWebhookEvent)
class MailchimpWebhookEventAdmin(ReadOnlyModelAdmin):
    list_display = ("received_at", "type", "email", "status", "message", "fired_at")
    list_filter = ("type", "status")
    search_fields = ("email", "message")
    date_hierarchy = "received_at"
    readonly_fields = ("key", "type", "fired_at", "email", "list_id", "status", "message", "payload", "received_at")
    fields = readonly_fields


@admin.register(MailchimpEmailChangeRequest)
class MailchimpEmailChangeRequestAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "old_email", "new_email", "contact", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("old_email", "new_email")
    list_select_related = ("contact", "decided_by")
    readonly_fields = ("contact", "old_email", "new_email", "status", "note", "created_at", "decided_at", "decided_by", "webhook_event")
    fields = readonly_fields
    actions = ("approve", "reject")

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.change_mailchimpemailchangerequest")

    has_reject_permission = has_approve_permission

    def _decide(self, request: HttpRequest, queryset: QuerySet[MailchimpEmailChangeRequest], decide: Any, verb: str) -> None:
        done = 0
        for change in queryset:
            try:
                decide(change_id=change.pk, user=request.user)
            except ApplicationError as error:
                messages.error(request, f"{change.old_email}: {error.message}")
            else:
                done += 1
        if done:
            messages.success(request, f"{done} email change(s) {verb}.")

    @admin.action(description="Approve: change the contact's email", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[MailchimpEmailChangeRequest]) -> None:
        self._decide(request, queryset, mailchimp_email_change_approve, "approved")

    @admin.action(description="Reject", permissions=["reject"])
    def reject(self, request: HttpRequest, queryset: QuerySet[MailchimpEmailChangeRequest]) -> None:
        self._decide(request, queryset, mailchimp_email_change_reject, "rejected")


@admin.register(MailchimpMember)
class MailchimpMemberAdmin(ReadOnlyModelAdmin):
    list_display = ("email", "status", "contact", "updated_at")
    list_filter = ("status",)
    search_fields = ("email",)
    list_select_related = ("contact",)
    readonly_fields = ("email", "status", "contact", "merge_digest", "updated_at")
    fields = readonly_fields
