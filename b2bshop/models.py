"""Project-wide records: the audit trail of marketer changes."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditEntry(models.Model):
    """Who created, changed, enabled, disabled or deleted a segment, a content block or a sync setting, and how.

    Written only by the service functions (b2bshop.audit.services), in the transaction of the
    change itself, so every change through the admin or the API leaves one entry. Entries keep
    the target's id and label and are never changed or deleted with the target.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        ENABLED = "enabled", "Enabled"
        DISABLED = "disabled", "Disabled"
        DELETED = "deleted", "Deleted"

    class TargetType(models.TextChoices):
        SEGMENT = "segment", "Segment"
        CONTENT_BLOCK = "content_block", "Content block"
        MAILCHIMP_SYNC = "mailchimp_sync", "Mailchimp sync setting"

    at = models.DateTimeField("when", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="Empty: the system (a command, the demo data) or a deleted user (see actor_label).",
    )
    actor_label = models.CharField(max_length=254, blank=True, help_text="The actor's email at the time.")
    action = models.CharField(max_length=16, choices=Action.choices)
    target_type = models.CharField(max_length=24, choices=TargetType.choices)
    target_id = models.PositiveBigIntegerField()
    target_label = models.CharField(max_length=255, help_text="The target's name at the time.")
    segment_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The segment this is about (the segment itself, or a sync setting's segment)."
    )
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder, help_text="Empty when created.")
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder, help_text="Empty when deleted.")

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx"),
            models.Index(fields=["segment_id", "-at"], name="audit_segment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.get_target_type_display().lower()} {self.target_label}"

    @property
    def changed_fields(self) -> list[str]:
        """The fields whose value differs between before and after (all of them when created or deleted)."""
        before, after = self.before or {}, self.after or {}
        return [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]


from b2bshop.outbox.models import PendingTask  # noqa: F401  (the outbox's model, in its own module)
