"""Writes of the Mailchimp sync: settings, enqueueing, and the sync itself (spec mailchimp.md).

A run goes segment by segment. For each synced segment, under the segment's lease:

1. plan (reads and GET calls only): ensure the tag exists under its current name, take
   the segment's members with their consent, compare with what the tag holds (the
   shop's record of it, or Mailchimp's own list in a full reconcile), learn unknown
   members' statuses, and store the calls to make as chunks of <= 500;
2. upsert the members that are new or whose merge fields changed (never `status`);
3. add to and remove from the tag.

Chunks are sent by up to 10 worker threads (each with its own client); every database
write happens in the calling thread, after the answer, in a short transaction, so no
network I/O runs inside `atomic`. A finished chunk is marked done together with what it
changed; a crashed run resumes with the chunks still pending. Sending a chunk again is
harmless: upserts without status, adding a present tag or removing an absent one
change nothing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from b2bshop.audit.services import audit_record
from b2bshop.audit.snapshots import mailchimp_sync_snapshot
from b2bshop.exceptions import ApplicationError, ErrorDetail
from b2bshop.models import AuditEntry
from b2bshop.outbox.services import task_enqueue_on_commit
from integrations.mailchimp.client import MailchimpClient, MemberError, MemberInfo, TagInfo, mailchimp_client
from integrations.mailchimp.conf import MAX_PAGE, MailchimpSettings, mailchimp_settings
from integrations.mailchimp.consent import (
    SkipReason,
    consent_skip_reason,
    email_normalize,
    status_if_new,
    status_skip_reason,
)
from integrations.mailchimp.exceptions import (
    MailchimpError,
    MailchimpNotFoundError,
    MailchimpTransientError,
)
from integrations.mailchimp.merge_fields import merge_digest, merge_field_lookups, merge_values
from integrations.mailchimp.records import db_datetime, rows_upsert
from integrations.mailchimp.selectors import (
    Candidate,
    KnownMember,
    contacts_consent,
    contacts_for_upsert,
    known_members_all,
    mailchimp_segment_is_synced,
    mailchimp_segment_sync_list,
    mailchimp_sync_run_resumable,
    mailchimp_tag_name,
    open_member_errors,
    segment_event_cursor,
    segment_events_since,
    segment_sync_candidates,
    tag_member_emails,
)
from integrations.models import (
    MailchimpMember,
    MailchimpMemberError,
    MailchimpSegmentSync,
    MailchimpSyncChunk,
    MailchimpSyncRun,
    MailchimpTagMember,
)
from segments.models import Segment

logger = logging.getLogger(__name__)

Run = MailchimpSyncRun
Chunk = MailchimpSyncChunk
UNFINISHED = (Run.Status.QUEUED, Run.Status.RUNNING, Run.Status.INTERRUPTED)
_WRITE_BATCH = 2000
T = TypeVar("T")


@dataclass(frozen=True)
class TagPlan:
    segment_id: int
    tag: str
    state: str
    would_add: int
    would_remove: int
    upserts: int
    skipped: dict[str, int]
    events: int
    renamed: bool


@dataclass(frozen=True)
class SyncResult:
    run_id: int
    status: str
    added: int
    removed: int
    upserted: int
    failed: int
    skipped: dict[str, int]
    tags: tuple[TagPlan, ...]


@dataclass(frozen=True)
class SyncProgress:
    run_id: int
    segment_id: int
    tag: str
    phase: str
    chunks_done: int
    chunks_total: int


ProgressCallback = Callable[[SyncProgress], None]


# ------------------------------------------------------------------ settings


@transaction.atomic
def mailchimp_segment_sync_save(
    *, segment: Segment, enabled: bool, tag_prefix: str | None = None, user=None, sync_now: bool = True
) -> MailchimpSegmentSync:
    """Turn a segment's sync on or off (or change the tag prefix); an enabled sync runs after commit. Audited."""
    existing = MailchimpSegmentSync.objects.select_for_update().select_related("segment").filter(segment=segment).first()
    before = mailchimp_sync_snapshot(existing) if existing else None
    sync, _created = MailchimpSegmentSync.objects.get_or_create(
        segment=segment, defaults={"tag_prefix": mailchimp_settings().tag_prefix if tag_prefix is None else tag_prefix}
    )
    sync.enabled = enabled
    if tag_prefix is not None:
        sync.tag_prefix = tag_prefix
    sync.save(update_fields=["enabled", "tag_prefix", "updated_at"])
    audit_record(
        user=user, target_type=AuditEntry.TargetType.MAILCHIMP_SYNC, target_id=sync.pk, target_label=segment.name,
        before=before, after=mailchimp_sync_snapshot(sync), switch_field="enabled", segment_id=segment.pk,
    )
    if enabled and sync_now:
        mailchimp_sync_enqueue(segment_id=segment.pk, trigger=Run.Trigger.ADMIN, user=user)
    return sync


@transaction.atomic
def mailchimp_segment_sync_delete(*, sync: MailchimpSegmentSync, user=None) -> None:
    """Remove a segment's sync setting (the tag stays in Mailchimp). Audited."""
    audit_record(
        user=user, target_type=AuditEntry.TargetType.MAILCHIMP_SYNC, target_id=sync.pk, target_label=sync.segment.name,
        before=mailchimp_sync_snapshot(sync), after=None, switch_field="enabled", segment_id=sync.segment_id,
    )
    sync.delete()


# ------------------------------------------------------------------ starting


def _scope_check(segment_id: int | None) -> None:
    if segment_id is not None and not mailchimp_segment_is_synced(segment_id=segment_id):
        raise ApplicationError(
            "This segment is not synced to Mailchimp.",
            errors=[ErrorDetail(path="/segment", message="turn on the Mailchimp sync of this segment first")],
        )


def mailchimp_sync_enqueue(
    *, segment_id: int | None = None, dry_run: bool = False, full: bool = False,
    trigger: str = Run.Trigger.MANUAL, user=None,
) -> MailchimpSyncRun:
    """Queue a sync (one segment, or every synced one) to run after commit; returns its run.

    A run of the same scope that is still queued is reused: it plans when it starts,
    so it will include whatever changed until then.
    """
    from integrations.mailchimp.tasks import mailchimp_sync_task

    with transaction.atomic():
        _scope_check(segment_id)
        recent = timezone.now() - timedelta(seconds=mailchimp_settings().lease_seconds)
        queued = Run.objects.filter(
            segment_id=segment_id, dry_run=dry_run, full=full, status=Run.Status.QUEUED, created_at__gte=recent
        ).first()
        if queued is not None:
            return queued
        run = Run.objects.create(segment_id=segment_id, dry_run=dry_run, full=full, trigger=trigger, triggered_by=user)
        task_enqueue_on_commit(mailchimp_sync_task, run_id=run.pk)
    return run


def mailchimp_segment_syncs_enqueue(
    *, sync_ids: Iterable[int], dry_run: bool = False, full: bool = False, trigger: str = Run.Trigger.ADMIN, user=None
) -> list[MailchimpSyncRun]:
    """Queue a sync of each of these segment syncs that is enabled (admin actions)."""
    segment_ids = MailchimpSegmentSync.objects.filter(pk__in=list(sync_ids), enabled=True).order_by("segment_id")
    return [
        mailchimp_sync_enqueue(segment_id=segment_id, dry_run=dry_run, full=full, trigger=trigger, user=user)
        for segment_id in segment_ids.values_list("segment_id", flat=True)
    ]


def mailchimp_full_reconcile_enqueue() -> MailchimpSyncRun | None:
    """The nightly reconcile of every synced segment against Mailchimp."""
    if not mailchimp_segment_sync_list().exists():
        return None
    return mailchimp_sync_enqueue(full=True, trigger=Run.Trigger.SCHEDULE)


def mailchimp_sync(
    *, segment_id: int | None = None, dry_run: bool = False, full: bool = False,
    trigger: str = Run.Trigger.MANUAL, user=None, on_progress: ProgressCallback | None = None,
) -> SyncResult:
    """Sync now, in this process (the command). An unfinished run of the same scope is resumed."""
    run = None if dry_run else mailchimp_sync_run_resumable(segment_id=segment_id, full=full)
    if run is None:
        _scope_check(segment_id)
        run = Run.objects.create(segment_id=segment_id, dry_run=dry_run, full=full, trigger=trigger, triggered_by=user)
    return _run_execute(run_id=run.pk, on_progress=on_progress)


def mailchimp_sync_execute(*, run_id: int, on_progress: ProgressCallback | None = None) -> SyncResult:
    """Carry out a queued run, or resume an unfinished one (the task). Idempotent for finished runs.

    Raises MailchimpTransientError when Mailchimp stayed unavailable, so the task is
    retried later; the retry resumes this run where it stopped.
    """
    result = _run_execute(run_id=run_id, on_progress=on_progress)
    if result.status == Run.Status.INTERRUPTED:
        run = Run.objects.get(pk=run_id)
        raise MailchimpTransientError(run.error or "Mailchimp was unavailable; the run will resume.")
    return result


def _run_execute(*, run_id: int, on_progress: ProgressCallback | None) -> SyncResult:
    run = Run.objects.get(pk=run_id)
    if run.status not in UNFINISHED or (run.status == Run.Status.RUNNING and _run_is_live(run)):
        # Finished, or being carried out right now by another worker (a redelivered task).
        return sync_result(run=run)
    engine = _SyncEngine(run=run, conf=mailchimp_settings(), on_progress=on_progress)  # checks the configuration
    run.status = Run.Status.RUNNING
    run.started_at = run.started_at or timezone.now()
    run.error = ""
    run.save(update_fields=["status", "started_at", "error"])
    try:
        syncs = list(mailchimp_segment_sync_list(segment_id=run.segment_id))
        for sync in syncs:
            engine.segment(sync)
    except Exception as exc:
        logger.exception("Mailchimp sync run %s failed", run.pk)
        Run.objects.filter(pk=run.pk).update(
            status=Run.Status.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:4000]
        )
        raise
    finally:
        engine.close()
    engine.finish(segment_count=len(syncs))
    return sync_result(run=run)


def _run_is_live(run: MailchimpSyncRun) -> bool:
    """A running run whose segments hold no unexpired lease lost its worker: it may be resumed."""
    syncs = MailchimpSegmentSync.objects.filter(lease_expires_at__gt=timezone.now())
    if run.segment_id is not None:
        syncs = syncs.filter(segment_id=run.segment_id)
    return syncs.exists()


def sync_result(*, run: MailchimpSyncRun) -> SyncResult:
    tags = tuple(
        TagPlan(
            segment_id=int(segment_id),
            tag=state.get("tag", ""),
            state=state.get("state", ""),
            would_add=state.get("would_add", 0),
            would_remove=state.get("would_remove", 0),
            upserts=state.get("upserts", 0),
            skipped=dict(state.get("skipped", {})),
            events=state.get("events", 0),
            renamed=bool(state.get("renamed")),
        )
        for segment_id, state in sorted(run.summary.items(), key=lambda item: int(item[0]))
    )
    return SyncResult(
        run_id=run.pk, status=run.status, added=run.added, removed=run.removed, upserted=run.upserted,
        failed=run.failed, skipped=dict(run.skipped), tags=tags,
    )


# -------------------------------------------------------------------- engine


@dataclass
class _Prepared:
    """A chunk made ready to send: the request body parts and what the answer will be matched with."""

    members: list[dict[str, Any]] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    meta: dict[str, tuple[int, str]] = field(default_factory=dict)  # email -> (contact id, merge digest)
    changed: int = 0


class _SyncEngine:
    def __init__(self, *, run: MailchimpSyncRun, conf: MailchimpSettings, on_progress: ProgressCallback | None) -> None:
        self.run = run
        self.conf = conf
        self.on_progress = on_progress
        self.lookups = merge_field_lookups(conf.merge_fields)
        self.merge_tags = sorted(self.lookups)
        self.token = uuid.uuid4().hex
        self.transient: MailchimpTransientError | None = None
        self.failures: list[str] = []
        self._local = threading.local()
        self._pool: ThreadPoolExecutor | None = None
        self._main_client: MailchimpClient | None = None
        # Run-wide knowledge, loaded once and kept current by the run itself.
        self._members: dict[str, KnownMember] | None = None
        self._open_errors: dict[tuple[str, str, str], tuple[bool, bool]] | None = None  # (email, op, scope) -> (permanent, dead)
        self._audience_scan: dict[str, MemberInfo] | None = None
        self._learned: set[str] = set()  # emails whose status Mailchimp told this run
        self._tags: dict[str, TagInfo] | None = None
        self._planned: dict[int, Candidate] = {}  # contact id -> as read by this execution's plan

    @property
    def members(self) -> dict[str, KnownMember]:
        if self._members is None:
            self._members = known_members_all()
        return self._members

    @property
    def open_errors(self) -> dict[tuple[str, str, str], tuple[bool, bool]]:
        if self._open_errors is None:
            self._open_errors = {
                (e.email, e.operation, e.scope): (e.permanent, e.dead_lettered) for e in open_member_errors()
            }
        return self._open_errors

    def _blocked(self, sync: MailchimpSegmentSync) -> dict[str, SkipReason]:
        """Emails not to send: an open permanent or dead-lettered error (they wait for a person)."""
        scopes = {("upsert", "audience"), ("tag_add", str(sync.pk))}
        blocked = {}
        for (email, operation, scope), (permanent, dead) in self.open_errors.items():
            if (operation, scope) in scopes and (permanent or dead):
                blocked[email] = SkipReason.PERMANENT_ERROR if permanent else SkipReason.DEAD_LETTERED
        return blocked

    # ------------------------------------------------------- connections

    @property
    def client(self) -> MailchimpClient:
        if self._main_client is None:
            self._main_client = mailchimp_client(conf=self.conf)
        return self._main_client

    def _thread_client(self) -> MailchimpClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = mailchimp_client(conf=self.conf)
        return client

    def _map(self, function: Callable[[MailchimpClient, T], Any], items: Iterable[T]) -> Iterator[tuple[T, Any]]:
        """Run `function(client, item)` on up to `max_connections` threads; yield (item, result or MailchimpError)."""
        items = list(items)
        if not items:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.conf.max_connections, thread_name_prefix="mailchimp")
        futures = {self._pool.submit(self._in_thread, function, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            yield items[futures[future]], future.result()

    def _in_thread(self, function: Callable[[MailchimpClient, T], Any], item: T) -> Any:
        try:
            return function(self._thread_client(), item)
        except MailchimpError as error:
            return error

    def close(self) -> None:
        if self._pool is not None:
            # Queued calls are dropped: a crashed or failed run must not keep sending.
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    # ------------------------------------------------------------ leases

    def _lease_acquire(self, sync: MailchimpSegmentSync) -> bool:
        now = timezone.now()
        return (
            MailchimpSegmentSync.objects.filter(pk=sync.pk)
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now) | Q(lease_token=self.token))
            .update(lease_token=self.token, lease_expires_at=now + timedelta(seconds=self.conf.lease_seconds))
            == 1
        )

    def _lease_renew(self, sync: MailchimpSegmentSync) -> None:
        MailchimpSegmentSync.objects.filter(pk=sync.pk, lease_token=self.token).update(
            lease_expires_at=timezone.now() + timedelta(seconds=self.conf.lease_seconds)
        )

    def _lease_release(self, sync: MailchimpSegmentSync) -> None:
        MailchimpSegmentSync.objects.filter(pk=sync.pk, lease_token=self.token).update(lease_token="", lease_expires_at=None)

    # ------------------------------------------------------------ run state

    def _state_save(self, sync: MailchimpSegmentSync, state: dict[str, Any]) -> None:
        self.run.summary[str(sync.segment_id)] = state
        self.run.save(update_fields=["summary"])

    def _skipped_add(self, counts: Counter[str] | dict[str, int]) -> None:
        for reason, count in counts.items():
            if count:
                self.run.skipped[str(reason)] = self.run.skipped.get(str(reason), 0) + count

    def _progress(self, sync: MailchimpSegmentSync, phase: str) -> None:
        if self.on_progress is not None:
            state = self.run.summary.get(str(sync.segment_id), {})
            self.on_progress(
                SyncProgress(self.run.pk, sync.segment_id, state.get("tag", ""), phase, self.run.chunks_done, self.run.chunks_total)
            )

    def finish(self, *, segment_count: int) -> None:
        states = [state.get("state") for state in self.run.summary.values()]
        run = self.run
        if self.transient is not None or "interrupted" in states:
            run.status = Run.Status.INTERRUPTED
            run.error = str(self.transient.message if self.transient else "Mailchimp was unavailable.")
        elif segment_count and states and all(state == "locked" for state in states):
            run.status = Run.Status.SKIPPED
        elif self.failures and not any(state == "done" for state in states):
            run.status = Run.Status.FAILED
        elif self.failures or run.failed or "locked" in states:
            run.status = Run.Status.PARTIAL
        else:
            run.status = Run.Status.SUCCEEDED
        if self.failures:
            run.error = "\n".join(self.failures)[:4000]
        if run.status != Run.Status.INTERRUPTED:
            run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])

    # ----------------------------------------------------------- segments

    def segment(self, sync: MailchimpSegmentSync) -> None:
        state = dict(self.run.summary.get(str(sync.segment_id)) or {})
        if state.get("state") in ("done", "superseded"):
            return
        if self.run.dry_run:  # GET calls only, nothing written: no lease needed
            self._guarded(sync, state, lambda: self._plan(sync))
            return
        if not self._lease_acquire(sync):
            MailchimpSegmentSync.objects.filter(pk=sync.pk).update(rerun_requested=True)
            self._state_save(sync, {**state, "tag": mailchimp_tag_name(sync=sync), "state": "locked"})
            return
        try:
            rerun = self._guarded(sync, state, lambda: self._segment_run(sync, state))
        finally:
            self._lease_release(sync)
        if rerun:
            mailchimp_sync_enqueue(segment_id=sync.segment_id, trigger=Run.Trigger.MEMBERSHIP)

    def _guarded(self, sync: MailchimpSegmentSync, state: dict[str, Any], work: Callable[[], Any]) -> Any:
        """Mailchimp faults end this segment's part of the run: transient ones resumably, others as failed."""
        try:
            return work()
        except MailchimpTransientError as error:
            self.transient = error
            state = self.run.summary.get(str(sync.segment_id), state)
            self._state_save(sync, {**state, "tag": mailchimp_tag_name(sync=sync), "state": "interrupted"})
        except MailchimpError as error:
            self.failures.append(f"{sync.segment.name}: {error.message}")
            state = self.run.summary.get(str(sync.segment_id), state)
            self._state_save(
                sync, {**state, "tag": mailchimp_tag_name(sync=sync), "state": "failed", "error": error.message}
            )
        return None

    def _segment_run(self, sync: MailchimpSegmentSync, state: dict[str, Any]) -> bool:
        """Plan (unless this run already did), then upserts, then tag changes. True: run again after."""
        if state.get("planned"):
            self._planned = {}  # resumed: the contacts are read again before they are sent
            if self.run.chunks.filter(sync=sync, status=Chunk.Status.SUPERSEDED).exists():
                self._state_save(sync, {**state, "state": "superseded"})
                return False
            self._state_save(sync, {**state, "state": "planned"})
        else:
            state = self._plan(sync)
        sync.refresh_from_db()
        for phases in ([Chunk.Phase.UPSERT], [Chunk.Phase.TAG_ADD, Chunk.Phase.TAG_REMOVE]):
            self._execute(sync, phases)
            # Tag adds wait for every upsert: a member must be in the audience before the tag.
            if self.run.chunks.filter(sync=sync, phase__in=phases, status=Chunk.Status.PENDING).exists():
                self._state_save(sync, {**state, "state": "interrupted"})
                return False
        return self._segment_done(sync, state)

    def _segment_done(self, sync: MailchimpSegmentSync, state: dict[str, Any]) -> bool:
        now = timezone.now()
        with transaction.atomic():
            updates: dict[str, Any] = {"last_synced_at": now}
            if state.get("full"):
                updates["last_full_sync_at"] = now
            MailchimpSegmentSync.objects.filter(pk=sync.pk).update(**updates)
            cursor = state.get("event_cursor")
            if cursor is not None:
                MailchimpSegmentSync.objects.filter(pk=sync.pk).filter(
                    Q(last_synced_event_id__isnull=True) | Q(last_synced_event_id__lt=cursor)
                ).update(last_synced_event_id=cursor)
            self._state_save(sync, {**state, "state": "done"})
            rerun = MailchimpSegmentSync.objects.filter(pk=sync.pk, rerun_requested=True).update(rerun_requested=False)
        return bool(rerun)

    def _supersede_others(self, sync: MailchimpSegmentSync) -> None:
        """Pending chunks of older unfinished runs are dropped: this plan starts from what is done."""
        others = Chunk.objects.filter(sync=sync, status=Chunk.Status.PENDING).exclude(run=self.run)
        run_ids = set(others.values_list("run_id", flat=True))
        if not run_ids:
            return
        with transaction.atomic():
            others.update(status=Chunk.Status.SUPERSEDED)
            finished = Run.objects.filter(
                pk__in=run_ids, status__in=[Run.Status.RUNNING, Run.Status.INTERRUPTED]
            ).exclude(chunks__status=Chunk.Status.PENDING)
            finished.update(status=Run.Status.SUPERSEDED, finished_at=timezone.now())

    # -------------------------------------------------------------- tag

    def _tag_ensure(self, sync: MailchimpSegmentSync, name: str) -> tuple[int | None, str, bool]:
        """(tag id, what the shop knows of its content, renamed).

        Content: "known" (the shop's record holds), "fresh" (just created, or none yet in a
        dry run: empty) or "adopted" (found in Mailchimp by name: read it).
        """
        tag_id = sync.mailchimp_segment_id
        if tag_id is not None:
            if sync.tag_name == name:
                return tag_id, "known", False
            if self.run.dry_run:
                return tag_id, "known", True
            try:
                self.client.tag_rename(tag_id=tag_id, name=name)
            except MailchimpNotFoundError:
                logger.warning("Mailchimp tag %s of segment %s is gone; creating it again", tag_id, sync.segment_id)
            else:
                MailchimpSegmentSync.objects.filter(pk=sync.pk).update(tag_name=name)
                sync.tag_name = name
                return tag_id, "known", True
        if self._tags is None:  # one listing of the audience's tags per run
            self._tags = {}
            offset = 0
            while True:
                page, total = self.client.tags_page(offset=offset)
                self._tags.update({tag.name: tag for tag in page})
                offset += len(page)
                if not page or offset >= total:
                    break
        found = self._tags.get(name)
        if found is None and self.run.dry_run:
            return None, "fresh", False
        tag = found or self.client.tag_create(name=name)
        self._tags[name] = tag
        MailchimpSegmentSync.objects.filter(pk=sync.pk).update(mailchimp_segment_id=tag.id, tag_name=name)
        sync.mailchimp_segment_id, sync.tag_name = tag.id, name
        return tag.id, ("adopted" if found else "fresh"), False

    def _paged(self, fetch: Callable[[MailchimpClient, int], tuple[list[MemberInfo], int]]) -> list[MemberInfo]:
        """Every page of a member listing: the first to learn the total, the rest in parallel."""
        first, total = fetch(self.client, 0)
        pages = {0: first}
        for offset, outcome in self._map(fetch, range(MAX_PAGE, total, MAX_PAGE)):
            if isinstance(outcome, MailchimpError):
                raise outcome
            pages[offset] = outcome[0]
        return [member for offset in sorted(pages) for member in pages[offset]]

    def _status_lookup(self, emails: list[str]) -> dict[str, MemberInfo | None]:
        """The audience status of members the shop does not know (None: not in the audience). GETs only."""
        if not emails:
            return {}
        if len(emails) > self.conf.status_scan_threshold:
            # One listing of the whole audience per run: later segments' unknown members are
            # either in it or were created by this run (and are known since).
            if self._audience_scan is None:
                audience = self._paged(lambda client, offset: client.members_page(offset=offset))
                self._audience_scan = {member.email: member for member in audience}
            return {email: self._audience_scan.get(email) for email in emails}
        looked: dict[str, MemberInfo | None] = {}
        for email, outcome in self._map(lambda client, address: client.member_get(email=address), emails):
            if isinstance(outcome, MailchimpError):
                raise outcome
            looked[email] = outcome
        return looked

    # --------------------------------------------------------------- plan

    def _plan(self, sync: MailchimpSegmentSync) -> dict[str, Any]:
        dry = self.run.dry_run
        if not dry:
            self._supersede_others(sync)
        name = mailchimp_tag_name(sync=sync)
        tag_id, content, renamed = self._tag_ensure(sync, name)
        full = self.run.full or content != "known"
        segment_id = sync.segment_id
        cursor = segment_event_cursor(segment_id=segment_id)
        events = segment_events_since(segment_id=segment_id, after_id=sync.last_synced_event_id, up_to_id=cursor)

        skipped: Counter[str] = Counter()
        eligible = []
        for candidate in segment_sync_candidates(segment_id=segment_id, lookups=self.lookups):
            if candidate.skip_reason is not None:
                skipped[candidate.skip_reason] += 1
            else:
                eligible.append(candidate)
        blocks = self._blocked(sync)
        for candidate in eligible:
            if candidate.email in blocks:
                skipped[blocks[candidate.email]] += 1
        eligible = [c for c in eligible if c.email not in blocks]

        known: dict[str, KnownMember] = {}
        if full:
            tag_id, remote = self._tag_read(sync, name, tag_id, content)
            tagged = set(remote)
            known.update({email: self._known(member) for email, member in remote.items()})
            learned_rows = self._members_learn(remote.values())
            # Not in the tag: ask Mailchimp, unless this run already learned the member's status.
            members, learned = self.members, self._learned
            known.update({c.email: members[c.email] for c in eligible if c.email not in remote and c.email in learned and c.email in members})
            unknown = [c.email for c in eligible if c.email not in remote and c.email not in learned]
        else:
            tagged = tag_member_emails(sync_id=sync.pk)
            members = self.members
            known.update({c.email: members[c.email] for c in eligible if c.email in members})
            unknown = [c.email for c in eligible if c.email not in known]
            learned_rows = []
        looked = self._status_lookup(unknown)
        learned_rows += self._members_learn(member for member in looked.values() if member is not None)
        forgotten = self._members_forget([email for email, member in looked.items() if member is None])
        for email, member in looked.items():
            if member is None:
                known.pop(email, None)
            else:
                known[email] = self._known(member)

        desired = []
        for candidate in eligible:
            member = known.get(candidate.email)
            reason = status_skip_reason(member.status if member else None)
            if reason is not None:
                skipped[reason] += 1
            else:
                desired.append(candidate)
        desired_ids = {c.email: c.contact_id for c in desired}
        self._planned = {c.contact_id: c for c in desired}
        adds = sorted(set(desired_ids) - tagged)
        removes = sorted(tagged - set(desired_ids))
        upserts = [c for c in desired if c.email not in known or known[c.email].digest != c.digest]

        state = {
            "tag": name, "tag_id": tag_id, "full": full, "event_cursor": cursor, "events": events,
            "would_add": len(adds), "would_remove": len(removes), "upserts": len(upserts),
            "skipped": {str(reason): count for reason, count in sorted(skipped.items())}, "renamed": renamed,
            "state": "done" if dry else "planned", "planned": not dry,
        }
        size = self.conf.chunk_size
        chunks = [
            *self._chunks(sync, Chunk.Phase.UPSERT, [[c.contact_id, c.email] for c in upserts], size, start=0),
            *self._chunks(sync, Chunk.Phase.TAG_ADD, [[desired_ids[email], email] for email in adds], size, start=10**6),
            *self._chunks(sync, Chunk.Phase.TAG_REMOVE, [[None, email] for email in removes], size, start=2 * 10**6),
        ]
        with transaction.atomic():  # everything the plan learned and decided, at once
            if not dry:
                if full:
                    self._tag_mirror_replace(sync, tagged)
                self._members_write(learned_rows)
                self._members_delete(forgotten)
                Chunk.objects.bulk_create(chunks, batch_size=500)
                self.run.chunks_total += len(chunks)
            self._skipped_add(skipped)
            self.run.summary[str(segment_id)] = state
            self.run.save(update_fields=["summary", "skipped", "chunks_total"])
        self._progress(sync, "planned")
        return state

    def _tag_read(
        self, sync: MailchimpSegmentSync, name: str, tag_id: int | None, content: str
    ) -> tuple[int | None, dict[str, MemberInfo]]:
        """The tag's members in Mailchimp; a tag deleted there is created again (and is empty)."""
        if tag_id is None or content == "fresh":
            return tag_id, {}
        try:
            members = self._paged(lambda client, offset: client.tag_members_page(tag_id=tag_id, offset=offset))
        except MailchimpNotFoundError:
            logger.warning("Mailchimp tag %s of segment %s is gone; creating it again", tag_id, sync.segment_id)
            if not self.run.dry_run:
                MailchimpSegmentSync.objects.filter(pk=sync.pk).update(mailchimp_segment_id=None, tag_name="")
            sync.mailchimp_segment_id, sync.tag_name = None, ""
            tag_id, content, _renamed = self._tag_ensure(sync, name)
            return self._tag_read(sync, name, tag_id, content) if content == "adopted" else (tag_id, {})
        return tag_id, {member.email: member for member in members}

    def _known(self, member: MemberInfo) -> KnownMember:
        return KnownMember(member.status, merge_digest(member.merge_fields, tags=self.merge_tags))

    def _chunks(self, sync: MailchimpSegmentSync, phase: str, items: list[list[Any]], size: int, *, start: int) -> list[MailchimpSyncChunk]:
        return [
            Chunk(run=self.run, sync=sync, phase=phase, seq=start + index, items=items[offset : offset + size],
                  size=len(items[offset : offset + size]))
            for index, offset in enumerate(range(0, len(items), size))
        ]

    # ------------------------------------------------------ local records

    def _tag_mirror_replace(self, sync: MailchimpSegmentSync, emails: set[str]) -> None:
        current = tag_member_emails(sync_id=sync.pk)
        gone, new = sorted(current - emails), sorted(emails - current)
        with transaction.atomic():
            for start in range(0, len(gone), _WRITE_BATCH):
                MailchimpTagMember.objects.filter(sync=sync, email__in=gone[start : start + _WRITE_BATCH]).delete()
            self._tag_mirror_add(sync, new)

    def _tag_mirror_add(self, sync: MailchimpSegmentSync, emails: list[str]) -> None:
        now = db_datetime(timezone.now())
        rows_upsert(
            MailchimpTagMember, fields=["sync", "email", "added_at"], rows=[(sync.pk, email, now) for email in emails],
            conflict=["sync", "email"],
        )

    def _members_learn(
        self, members: Iterable[MemberInfo], contacts: dict[str, tuple[int, str]] | None = None
    ) -> list[MailchimpMember]:
        """Note members' statuses and merge digests (of our merge tags); returns the rows that changed."""
        known = self.members
        rows = {}
        for member in members:
            self._learned.add(member.email)
            contact_id, digest = (contacts or {}).get(member.email, (None, None))
            if digest is None:
                digest = merge_digest(member.merge_fields, tags=self.merge_tags)
            current = known.get(member.email)
            if current is not None and (current.status, current.digest) == (member.status, digest) and contact_id is None:
                continue
            known[member.email] = KnownMember(member.status, digest)
            rows[member.email] = MailchimpMember(
                email=member.email, contact_id=contact_id, status=member.status, merge_digest=digest
            )
        return list(rows.values())

    def _members_write(self, rows: list[MailchimpMember]) -> None:
        if not rows:
            return
        now = db_datetime(timezone.now())
        with_contact = [row for row in rows if row.contact_id is not None]
        without = [row for row in rows if row.contact_id is None]
        for batch, update in ((with_contact, ["status", "merge_digest", "updated_at", "contact"]),
                              (without, ["status", "merge_digest", "updated_at"])):
            rows_upsert(
                MailchimpMember, fields=["email", "contact", "status", "merge_digest", "updated_at"],
                rows=[(row.email, row.contact_id, row.status, row.merge_digest, now) for row in batch],
                conflict=["email"], update=update,
            )

    def _members_forget(self, emails: list[str]) -> list[str]:
        """Note members Mailchimp does not have; returns the ones the shop had a record of."""
        known = self.members
        self._learned.update(emails)
        gone = [email for email in emails if email in known]
        for email in gone:
            del known[email]
        return gone

    def _members_delete(self, emails: list[str]) -> None:
        for start in range(0, len(emails), _WRITE_BATCH):
            MailchimpMember.objects.filter(email__in=emails[start : start + _WRITE_BATCH]).delete()

    def _errors_record(
        self, *, operation: str, sync: MailchimpSegmentSync | None, errors: list[MemberError], contacts: dict[str, int | None]
    ) -> None:
        scope = "audience" if sync is None else str(sync.pk)
        for error in errors:
            existing = MailchimpMemberError.objects.filter(email=error.email, operation=operation, scope=scope).first()
            attempts = 1 if existing is None or existing.resolved_at is not None else existing.attempts + 1
            dead = not error.permanent and attempts >= self.conf.member_max_attempts
            values = {
                "contact_id": contacts.get(error.email), "sync": sync, "message": error.message[:2000],
                "code": error.code[:64], "permanent": error.permanent, "attempts": attempts,
                "dead_lettered": dead, "resolved_at": None, "last_run": self.run,
            }
            if existing is None:
                MailchimpMemberError.objects.create(email=error.email, operation=operation, scope=scope, **values)
            else:
                for name, value in values.items():
                    setattr(existing, name, value)
                existing.save()
            self.open_errors[(error.email, operation, scope)] = (error.permanent, dead)

    def _errors_resolve(self, *, operation: str, sync: MailchimpSegmentSync | None, emails: list[str]) -> None:
        scope = "audience" if sync is None else str(sync.pk)
        open_errors = self.open_errors
        resolved = [email for email in emails if (email, operation, scope) in open_errors]
        if not resolved:
            return
        MailchimpMemberError.objects.filter(
            email__in=resolved, operation=operation, scope=scope, resolved_at__isnull=True
        ).update(resolved_at=timezone.now())
        for email in resolved:
            del open_errors[(email, operation, scope)]

    # ------------------------------------------------------------ execute

    def _execute(self, sync: MailchimpSegmentSync, phases: list[str]) -> None:
        chunks = list(self.run.chunks.filter(sync=sync, phase__in=phases, status=Chunk.Status.PENDING).order_by("seq"))
        ready = []
        for chunk, prepared in self._prepare(chunks):
            if prepared.changed:
                self._skipped_add({SkipReason.CHANGED_SINCE_PLAN: prepared.changed})
            if prepared.members or prepared.emails:
                ready.append((chunk, prepared))
            else:
                self._chunk_done(sync, chunk, {"sent": 0})
                self._after_chunk(sync, chunk)
        send = partial(_send, tag_id=sync.mailchimp_segment_id)
        for (chunk, prepared), outcome in self._map(send, ready):
            self._apply(sync, chunk, prepared, outcome)

    def _prepare(self, chunks: list[MailchimpSyncChunk]) -> list[tuple[MailchimpSyncChunk, _Prepared]]:
        """Re-check what the plan said against the data now (consent may be gone since); one read per phase."""
        # Chunks planned by this execution use the plan's reading; resumed ones read the contacts again.
        planned = self._planned
        ids = [
            contact_id for chunk in chunks if chunk.phase != Chunk.Phase.TAG_REMOVE
            for contact_id, _email in chunk.items if contact_id not in planned
        ]
        upsert_ids = [
            cid for chunk in chunks if chunk.phase == Chunk.Phase.UPSERT for cid, _email in chunk.items if cid not in planned
        ]
        rows = contacts_for_upsert(contact_ids=upsert_ids, lookups=self.lookups) if upsert_ids else {}
        if len(upsert_ids) < len(ids):
            rows.update(contacts_consent(contact_ids=[cid for cid in ids if cid not in rows]))
        new_status = status_if_new(double_opt_in=self.conf.double_opt_in)
        members, open_errors = self.members, self.open_errors
        prepared_chunks = []
        for chunk in chunks:
            prepared = _Prepared()
            prepared_chunks.append((chunk, prepared))
            if chunk.phase == Chunk.Phase.TAG_REMOVE:
                prepared.emails = [email for _contact_id, email in chunk.items]
                continue
            for contact_id, email in chunk.items:
                candidate = planned.get(contact_id)
                if candidate is not None and candidate.email == email:
                    values, digest = candidate.merge_fields, candidate.digest
                else:
                    row = rows.get(contact_id)
                    if row is None or email_normalize(row["email"]) != email or consent_skip_reason(
                        marketing_consent=row["marketing_consent"], is_active=row["is_active"]
                    ):
                        prepared.changed += 1
                        continue
                    values = merge_values(row, lookups=self.lookups) if chunk.phase == Chunk.Phase.UPSERT else {}
                    digest = merge_digest(values, tags=self.merge_tags)
                if chunk.phase == Chunk.Phase.UPSERT:
                    # Never `status`: it would resubscribe people who unsubscribed in Mailchimp.
                    prepared.members.append({"email_address": email, "status_if_new": new_status, "merge_fields": values})
                    prepared.meta[email] = (contact_id, digest)
                    continue
                # Tag adds: only members now in the audience with a status we may tag, and no open upsert error.
                member = members.get(email)
                if (
                    member is not None and status_skip_reason(member.status) is None
                    and (email, MailchimpMemberError.Operation.UPSERT, "audience") not in open_errors
                ):
                    prepared.emails.append(email)
                    prepared.meta[email] = (contact_id, "")
        return prepared_chunks

    def _apply(self, sync: MailchimpSegmentSync, chunk: MailchimpSyncChunk, prepared: _Prepared, outcome: Any) -> None:
        if isinstance(outcome, MailchimpTransientError):
            chunk.attempts += 1
            chunk.error = outcome.message[:2000]
            chunk.save(update_fields=["attempts", "error"])
            self.transient = outcome
            return
        if isinstance(outcome, MailchimpError):
            if isinstance(outcome, MailchimpNotFoundError) and chunk.phase != Chunk.Phase.UPSERT:
                # The tag was deleted in Mailchimp: the next run finds or creates it again.
                MailchimpSegmentSync.objects.filter(pk=sync.pk).update(mailchimp_segment_id=None, tag_name="")
            self.failures.append(f"{sync.segment.name}: {chunk.phase} chunk {chunk.seq}: {outcome.message}")
            with transaction.atomic():
                chunk.status, chunk.error, chunk.attempts = Chunk.Status.FAILED, outcome.message[:2000], chunk.attempts + 1
                chunk.save(update_fields=["status", "error", "attempts"])
                self.run.chunks_done += 1
                self.run.save(update_fields=["chunks_done"])
                self._lease_renew(sync)
            self._after_chunk(sync, chunk)
            return
        contacts = {email: contact_id for email, (contact_id, _digest) in prepared.meta.items()}
        with transaction.atomic():
            if chunk.phase == Chunk.Phase.UPSERT:
                result = self._apply_upsert(prepared, outcome, contacts)
            else:
                result = self._apply_tag(sync, chunk.phase, prepared, outcome, contacts)
            self._chunk_done(sync, chunk, result)
        self._after_chunk(sync, chunk)

    def _apply_upsert(self, prepared: _Prepared, outcome: Any, contacts: dict[str, int | None]) -> dict[str, int]:
        answered = [*outcome.created, *outcome.updated]
        self._members_write(self._members_learn(answered, contacts=prepared.meta))
        refused = Counter(status_skip_reason(m.status) for m in answered if status_skip_reason(m.status) is not None)
        self._skipped_add(refused)
        failed = {error.email for error in outcome.errors}
        self._errors_resolve(operation=MailchimpMemberError.Operation.UPSERT, sync=None,
                             emails=[m.email for m in answered if m.email not in failed])
        self._errors_record(operation=MailchimpMemberError.Operation.UPSERT, sync=None, errors=outcome.errors, contacts=contacts)
        self.run.upserted += len(answered)
        self.run.failed += len(outcome.errors)
        return {"created": len(outcome.created), "updated": len(outcome.updated), "errors": len(outcome.errors)}

    def _apply_tag(
        self, sync: MailchimpSegmentSync, phase: str, prepared: _Prepared, outcome: Any, contacts: dict[str, int | None]
    ) -> dict[str, int]:
        failed = {error.email for error in outcome.errors}
        done = [email for email in prepared.emails if email not in failed]
        operation = MailchimpMemberError.Operation.TAG_ADD if phase == Chunk.Phase.TAG_ADD else MailchimpMemberError.Operation.TAG_REMOVE
        # The run counts the members it put in or took out of the tag, not Mailchimp's `total_added`:
        # a chunk sent again after a crash finds its members already there (0), yet this run added them.
        if phase == Chunk.Phase.TAG_ADD:
            self._tag_mirror_add(sync, done)
            self.run.added += len(done)
        else:
            MailchimpTagMember.objects.filter(sync=sync, email__in=done).delete()
            self.run.removed += len(done)
        self._errors_resolve(operation=operation, sync=sync, emails=done)
        self._errors_record(operation=operation, sync=sync, errors=outcome.errors, contacts=contacts)
        self.run.failed += len(outcome.errors)
        return {"added": outcome.added, "removed": outcome.removed, "errors": len(outcome.errors)}

    def _chunk_done(self, sync: MailchimpSegmentSync, chunk: MailchimpSyncChunk, result: dict[str, int]) -> None:
        with transaction.atomic():
            chunk.status, chunk.result, chunk.done_at, chunk.error = Chunk.Status.DONE, result, timezone.now(), ""
            chunk.save(update_fields=["status", "result", "done_at", "error"])
            self.run.chunks_done += 1
            self.run.save(update_fields=["chunks_done", "added", "removed", "upserted", "failed", "skipped"])
            self._lease_renew(sync)

    def _after_chunk(self, sync: MailchimpSegmentSync, chunk: MailchimpSyncChunk) -> None:
        """Outside any transaction: the chunk's result is committed before anyone hears of it."""
        self._progress(sync, chunk.phase)


def _send(client: MailchimpClient, item: tuple[MailchimpSyncChunk, _Prepared], *, tag_id: int | None) -> Any:
    """One chunk's call, in a worker thread: network only, no database."""
    chunk, prepared = item
    if chunk.phase == Chunk.Phase.UPSERT:
        return client.members_upsert(members=prepared.members)
    if tag_id is None:
        raise MailchimpNotFoundError("the segment has no Mailchimp tag", status=404)
    if chunk.phase == Chunk.Phase.TAG_ADD:
        return client.tag_update(tag_id=tag_id, add=prepared.emails)
    return client.tag_update(tag_id=tag_id, remove=prepared.emails)


# ---------------------------------------------------------- member errors


def mailchimp_member_errors_retry(*, error_ids: Iterable[int]) -> int:
    """Let the next sync try these members again (after someone fixed the cause)."""
    return MailchimpMemberError.objects.filter(pk__in=list(error_ids), resolved_at__isnull=True).update(
        resolved_at=timezone.now(), dead_lettered=False
    )
