"""Reads of the Mailchimp sync: synced segments, who should be in a tag, what the shop last sent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, QuerySet

from accounts.models import Contact
from integrations.mailchimp.consent import SkipReason, contact_skip_reason, email_normalize
from integrations.mailchimp.merge_fields import merge_digest, merge_values
from integrations.models import (
    MailchimpMember,
    MailchimpMemberError,
    MailchimpSegmentSync,
    MailchimpSyncRun,
    MailchimpTagMember,
)
from segments.models import MembershipEvent

_IN_BATCH = 5000


@dataclass(frozen=True)
class Candidate:
    """A segment member as the sync sees them."""

    contact_id: int
    email: str  # lower-cased
    skip_reason: SkipReason | None
    merge_fields: dict[str, str]
    digest: str


@dataclass(frozen=True)
class KnownMember:
    status: str
    digest: str


def mailchimp_segment_sync_list(*, segment_id: int | None = None) -> QuerySet[MailchimpSegmentSync]:
    """Enabled syncs (one segment's, or all), in segment id order."""
    syncs = MailchimpSegmentSync.objects.filter(enabled=True).select_related("segment").order_by("segment_id")
    return syncs.filter(segment_id=segment_id) if segment_id is not None else syncs


def mailchimp_segment_is_synced(*, segment_id: int) -> bool:
    return MailchimpSegmentSync.objects.filter(segment_id=segment_id, enabled=True).exists()


def mailchimp_tag_name(*, sync: MailchimpSegmentSync) -> str:
    """`<prefix><segment name>`, cut to Mailchimp's 100 characters."""
    return f"{sync.tag_prefix}{sync.segment.name}"[:100]


def segment_sync_candidates(*, segment_id: int, lookups: dict[str, str]) -> list[Candidate]:
    """Every member of the segment with their skip reason (consent, activity, email) and merge fields.

    One query. Two contacts with the same email in different case are one Mailchimp
    member: the first (lowest id) is kept, the other is skipped.
    """
    rows = (
        Contact.objects.filter(segment_memberships__segment_id=segment_id)
        .order_by("pk")
        .values("pk", "email", "marketing_consent", "is_active", *dict.fromkeys(lookups.values()))
    )
    candidates, seen = [], set()
    for row in rows.iterator(chunk_size=5000):
        email = email_normalize(row["email"])
        reason = contact_skip_reason(email=email, marketing_consent=row["marketing_consent"], is_active=row["is_active"])
        if reason is None and email in seen:
            reason = SkipReason.DUPLICATE_EMAIL
        if reason is None:
            seen.add(email)
        values = merge_values(row, lookups=lookups)
        candidates.append(Candidate(row["pk"], email, reason, values, merge_digest(values)))
    return candidates


def contacts_for_upsert(*, contact_ids: Iterable[int], lookups: dict[str, str]) -> dict[int, dict]:
    """Current data of the given contacts (re-checked right before they are sent)."""
    fields = ("pk", "email", "marketing_consent", "is_active", *dict.fromkeys(lookups.values()))
    return _rows_by_pk(contact_ids, fields)


def contacts_consent(*, contact_ids: Iterable[int]) -> dict[int, dict]:
    """Email, consent and activity of the given contacts, now."""
    return _rows_by_pk(contact_ids, ("pk", "email", "marketing_consent", "is_active"))


def _rows_by_pk(contact_ids: Iterable[int], fields: tuple[str, ...]) -> dict[int, dict]:
    ids = sorted(set(contact_ids))
    found: dict[int, dict] = {}
    for start in range(0, len(ids), _IN_BATCH):
        for row in Contact.objects.filter(pk__in=ids[start : start + _IN_BATCH]).values(*fields):
            found[row["pk"]] = row
    return found


def tag_member_emails(*, sync_id: int) -> set[str]:
    return set(MailchimpTagMember.objects.filter(sync_id=sync_id).values_list("email", flat=True))


def known_members_all() -> dict[str, KnownMember]:
    """Everything the shop knows of the audience, by email (one query; a run keeps it up to date)."""
    rows = MailchimpMember.objects.values_list("email", "status", "merge_digest").iterator(chunk_size=10_000)
    return {email: KnownMember(status, digest) for email, status, digest in rows}


@dataclass(frozen=True)
class OpenMemberError:
    email: str
    operation: str
    scope: str
    permanent: bool
    dead_lettered: bool


def open_member_errors() -> list[OpenMemberError]:
    """Unresolved member errors (few: they are the exceptions)."""
    rows = MailchimpMemberError.objects.filter(resolved_at__isnull=True).values_list(
        "email", "operation", "scope", "permanent", "dead_lettered"
    )
    return [OpenMemberError(*row) for row in rows]


def segment_event_cursor(*, segment_id: int) -> int | None:
    """The newest membership event of the segment (what a sync planned now has seen)."""
    return MembershipEvent.objects.filter(segment_id=segment_id).aggregate(last=Max("id"))["last"]


def segment_events_since(*, segment_id: int, after_id: int | None, up_to_id: int | None) -> int:
    events = MembershipEvent.objects.filter(segment_id=segment_id)
    if after_id is not None:
        events = events.filter(id__gt=after_id)
    if up_to_id is not None:
        events = events.filter(id__lte=up_to_id)
    return events.count()


def syncs_tagging_emails(*, emails: Iterable[str]) -> list[int]:
    """Segment ids of enabled syncs whose tag holds one of the emails."""
    return sorted(
        set(
            MailchimpTagMember.objects.filter(email__in=list(emails), sync__enabled=True).values_list(
                "sync__segment_id", flat=True
            )
        )
    )


def mailchimp_sync_run_list(*, segment_id: int | None = None, status: str | None = None) -> QuerySet[MailchimpSyncRun]:
    runs = MailchimpSyncRun.objects.select_related("segment").order_by("-created_at", "-id")
    if segment_id is not None:
        runs = runs.filter(segment_id=segment_id)
    if status:
        runs = runs.filter(status=status)
    return runs


def mailchimp_sync_run_resumable(*, segment_id: int | None, full: bool) -> MailchimpSyncRun | None:
    """An unfinished, non-dry run of exactly this scope (a crashed or interrupted worker's)."""
    return (
        MailchimpSyncRun.objects.filter(
            segment_id=segment_id,
            full=full,
            dry_run=False,
            status__in=[MailchimpSyncRun.Status.RUNNING, MailchimpSyncRun.Status.INTERRUPTED],
        )
        .order_by("-created_at", "-id")
        .first()
    )


def mailchimp_sync_run_chunk_counts(*, run_id: int) -> dict[str, int]:
    """Chunks of a run by status (progress of a running or interrupted run)."""
    from django.db.models import Count

    from integrations.models import MailchimpSyncChunk

    counts = {value: 0 for value in MailchimpSyncChunk.Status.values}
    rows = MailchimpSyncChunk.objects.filter(run_id=run_id).values("status").annotate(n=Count("id")).order_by()
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
