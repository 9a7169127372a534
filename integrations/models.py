"""Records of the integrations: ERP connections and import runs."""

import hashlib

from django.db import models


class ErpConnection(models.Model):
    """A scoped API token for one ERP integration; only its SHA-256 digest is stored."""

    name = models.CharField(max_length=120, unique=True)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "ERP connection"

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class ImportRun(models.Model):
    """One ERP import (file or API push), with its counts and row errors."""

    class Entity(models.TextChoices):
        CATEGORIES = "categories", "Categories"
        COMPANIES = "companies", "Companies"
        CONTACTS = "contacts", "Contacts"
        PRODUCTS = "products", "Products"
        PRICES = "prices", "Prices"
        ORDERS = "orders", "Orders"

    class Source(models.TextChoices):
        FILE = "file", "File"
        API = "api", "API"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Succeeded with row errors"
        FAILED = "failed", "Failed"

    entity = models.CharField(max_length=16, choices=Entity.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    source_name = models.CharField(max_length=255, blank=True, help_text="File name or API connection.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    dry_run = models.BooleanField(default=False)
    strict = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="File-level problem, e.g. a missing column.")
    errors = models.JSONField(default=list, blank=True, help_text="Row errors: line, column, value, message.")
    errors_truncated = models.BooleanField(default=False)
    connection = models.ForeignKey(ErpConnection, on_delete=models.SET_NULL, null=True, blank=True)
    triggered_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["entity", "status", "-finished_at"])]

    def __str__(self) -> str:
        return f"{self.entity} import {self.pk} ({self.status})"


# ------------------------------------------------------------------ Mailchimp
# The sync of segments to Mailchimp tags (spec mailchimp.md; docs/mailchimp.md).


class MailchimpSegmentSync(models.Model):
    """Sync settings of one segment: on/off, tag name, and the sync's own state (cursor, tag id, lease)."""

    segment = models.OneToOneField("segments.Segment", on_delete=models.CASCADE, related_name="mailchimp_sync")
    enabled = models.BooleanField(default=True, help_text="Sync this segment's members to a Mailchimp tag.")
    tag_prefix = models.CharField(
        max_length=40, default="shop: ", blank=True, help_text="The tag is named <prefix><segment name>."
    )
    tag_name = models.CharField(max_length=100, blank=True, editable=False, help_text="The tag's name in Mailchimp.")
    mailchimp_segment_id = models.PositiveBigIntegerField(
        "Mailchimp segment id", null=True, blank=True, editable=False
    )
    last_synced_event_id = models.PositiveBigIntegerField(
        null=True, blank=True, editable=False, help_text="Membership events up to this id are in Mailchimp."
    )
    last_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_full_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    rerun_requested = models.BooleanField(
        default=False, editable=False, help_text="A sync was asked for while another one ran."
    )
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Mailchimp segment sync"
        ordering = ["segment__name"]

    def __str__(self) -> str:
        return f"Mailchimp sync of segment {self.segment_id}"


class MailchimpMember(models.Model):
    """What the shop knows of one audience member (by lower-cased email): status and merge fields sent."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribed", "Subscribed"
        PENDING = "pending", "Pending"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        CLEANED = "cleaned", "Cleaned"
        ARCHIVED = "archived", "Archived"
        TRANSACTIONAL = "transactional", "Transactional"

    email = models.CharField(max_length=254, unique=True)
    contact = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices)
    merge_digest = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Mailchimp member"
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"


class MailchimpTagMember(models.Model):
    """An email the shop has put in (and not taken out of) a synced segment's tag."""

    sync = models.ForeignKey(MailchimpSegmentSync, on_delete=models.CASCADE, related_name="tag_members")
    email = models.CharField(max_length=254)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Mailchimp tag member"
        constraints = [models.UniqueConstraint(fields=["sync", "email"], name="mailchimp_tag_member_unique")]

    def __str__(self) -> str:
        return f"{self.email} in {self.sync_id}"


class MailchimpSyncRun(models.Model):
    """One sync: what it was asked to do, per-tag plan and counts, and how it ended."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        INTERRUPTED = "interrupted", "Interrupted (Mailchimp unavailable; resumes)"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Succeeded with member errors"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another sync was running)"
        SUPERSEDED = "superseded", "Superseded by a later run"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Command"
        API = "api", "API"
        ADMIN = "admin", "Admin"
        MEMBERSHIP = "membership", "Segment membership changed"
        WEBHOOK = "webhook", "Mailchimp webhook"
        SCHEDULE = "schedule", "Nightly reconcile"

    segment = models.ForeignKey(
        "segments.Segment", on_delete=models.SET_NULL, null=True, blank=True, related_name="mailchimp_sync_runs",
        help_text="Empty: every synced segment.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    dry_run = models.BooleanField(default=False)
    full = models.BooleanField(default=False, help_text="Compare with the tags' members in Mailchimp.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    added = models.PositiveIntegerField(default=0, help_text="Tag memberships added.")
    removed = models.PositiveIntegerField(default=0, help_text="Tag memberships removed.")
    upserted = models.PositiveIntegerField(default=0, help_text="Members created or updated in the audience.")
    failed = models.PositiveIntegerField(default=0, help_text="Member errors.")
    skipped = models.JSONField(default=dict, blank=True, help_text="Skipped contacts by reason.")
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(
        default=dict, blank=True, help_text="Per segment id: tag, plan (would add/remove, upserts, skipped) and state."
    )
    error = models.TextField(blank=True)
    triggered_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "Mailchimp sync run"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "segment"]), models.Index(fields=["-created_at"])]

    def __str__(self) -> str:
        return f"Mailchimp sync {self.pk} ({self.status})"


class MailchimpSyncChunk(models.Model):
    """One planned call of a run (<= 500 members): done chunks are never sent again by that run."""

    class Phase(models.TextChoices):
        UPSERT = "upsert", "Upsert members"
        TAG_ADD = "tag_add", "Add to tag"
        TAG_REMOVE = "tag_remove", "Remove from tag"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded"

    run = models.ForeignKey(MailchimpSyncRun, on_delete=models.CASCADE, related_name="chunks")
    sync = models.ForeignKey(MailchimpSegmentSync, on_delete=models.CASCADE, related_name="chunks")
    phase = models.CharField(max_length=16, choices=Phase.choices)
    seq = models.PositiveIntegerField()
    items = models.JSONField(default=list, help_text="Emails (tags) or [contact id, email] pairs (upserts).")
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Mailchimp sync chunk"
        ordering = ["run", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "sync", "phase", "seq"], name="mailchimp_sync_chunk_unique")
        ]
        indexes = [models.Index(fields=["sync", "status"])]

    def __str__(self) -> str:
        return f"{self.phase} {self.seq} of run {self.run_id} ({self.status})"


class MailchimpMemberError(models.Model):
    """A member Mailchimp refused: permanent errors wait for a person; others retry, then dead-letter."""

    class Operation(models.TextChoices):
        UPSERT = "upsert", "Upsert member"
        TAG_ADD = "tag_add", "Add to tag"
        TAG_REMOVE = "tag_remove", "Remove from tag"

    email = models.CharField(max_length=254)
    contact = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    operation = models.CharField(max_length=16, choices=Operation.choices)
    sync = models.ForeignKey(
        MailchimpSegmentSync, on_delete=models.CASCADE, null=True, blank=True, related_name="member_errors",
        help_text="The tag, for tag operations.",
    )
    scope = models.CharField(max_length=32, editable=False, help_text="'audience' or the sync id (uniqueness).")
    message = models.TextField()
    code = models.CharField(max_length=64, blank=True)
    permanent = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=1)
    dead_lettered = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey(MailchimpSyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "Mailchimp member error"
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["email", "operation", "scope"], name="mailchimp_member_error_unique")
        ]
        indexes = [models.Index(fields=["resolved_at", "permanent", "dead_lettered"])]

    def __str__(self) -> str:
        return f"{self.email}: {self.operation} ({'permanent' if self.permanent else f'{self.attempts} attempts'})"


class MailchimpWebhookEvent(models.Model):
    """A webhook delivery, stored once per unique content (Mailchimp may deliver twice)."""

    class Status(models.TextChoices):
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"

    key = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the delivery's form data.")
    type = models.CharField(max_length=32)
    fired_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=254, blank=True)
    list_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROCESSED)
    message = models.TextField(blank=True)
    contacts = models.ManyToManyField("accounts.User", blank=True, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Mailchimp webhook event"
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["type", "-received_at"]), models.Index(fields=["email"])]

    def __str__(self) -> str:
        return f"{self.type} {self.email}"


class MailchimpEmailChangeRequest(models.Model):
    """An email change made in Mailchimp (upemail): recorded for review, applied only when approved."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved and applied"
        REJECTED = "rejected", "Rejected"

    contact = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    old_email = models.CharField(max_length=254)
    new_email = models.CharField(max_length=254)
    webhook_event = models.OneToOneField(
        MailchimpWebhookEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="email_change"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "Mailchimp email change"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.old_email} -> {self.new_email} ({self.status})"
