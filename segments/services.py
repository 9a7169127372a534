"""Writes of the segment engine: saving segments, refreshing membership, re-evaluating one contact."""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Contact
from b2bshop.audit.services import audit_record
from b2bshop.audit.snapshots import segment_snapshot
from b2bshop.exceptions import ApplicationError, ErrorDetail
from b2bshop.models import AuditEntry
from b2bshop.outbox.services import task_enqueue_on_commit
from catalog.models import Category, Product
from segments.compiler import compile_rule
from segments.fields import FieldRegistry
from segments.models import MembershipEvent, RefreshRun, Segment, SegmentMembership
from segments.rules import RuleNode, referenced_segment_slugs
from segments.selectors import (
    contact_evaluation_plan,
    contact_segments_cache_clear,
    evaluation_layer_matches,
    field_registry,
    segment_dependencies,
    segments_in_dependency_order,
)
from segments.statistics import RunStatistics, run_statistics_prepare
from segments.validation import RuleValidationError, validate_rule
from segments.value import company_values_ensure_current, company_values_refresh

logger = logging.getLogger(__name__)

WRITE_BATCH = 5000
REFRESH_LOCK_SECONDS = 15 * 60
REFRESH_INTERRUPTED = (
    "interrupted: the process running this refresh stopped before it finished (killed or crashed); "
    "the membership was left as it was"
)


class SegmentCycleError(ApplicationError):
    pass


class SegmentSlugError(ApplicationError):
    """No usable slug: none given and none can be made from the name."""


@dataclass(frozen=True)
class RefreshResult:
    segment_id: int
    run_id: int | None
    status: str
    joined: int
    left: int
    member_count: int
    seconds: float = 0.0


# ----------------------------------------------------------------- saving


def _iter_raw_conditions(data: Any, path: str = ""):
    """(pointer, condition dict) for every condition of a rule that passed validation."""
    if isinstance(data, dict):
        for key in ("all", "any"):
            if key in data:
                for index, child in enumerate(data[key]):
                    yield from _iter_raw_conditions(child, f"{path}/{key}/{index}")
                return
        if "not" in data:
            yield from _iter_raw_conditions(data["not"], f"{path}/not")
            return
        yield path, data


_REFERENCE_MODELS = {"product": (Product, "sku"), "category": (Category, "slug"), "segment": (Segment, "slug")}


def _check_references(data: Any, *, registry: FieldRegistry, own_slug: str | None) -> list[ErrorDetail]:
    """Referenced SKUs, category slugs and segment slugs must exist (one query per kind)."""
    wanted: dict[str, list[tuple[str, str]]] = {kind: [] for kind in _REFERENCE_MODELS}
    for path, condition in _iter_raw_conditions(data):
        spec = registry.get(condition["field"])
        if spec is not None and spec.reference in wanted:
            wanted[spec.reference].extend(
                (f"{path}/value/{index}", str(value).strip()) for index, value in enumerate(condition["value"])
            )
    errors = []
    for kind, items in wanted.items():
        if not items:
            continue
        model, key = _REFERENCE_MODELS[kind]
        existing = set(model.objects.filter(**{f"{key}__in": {value for _path, value in items}}).values_list(key, flat=True))
        for path, value in items:
            if kind == "segment" and value == own_slug:
                errors.append(ErrorDetail(path=path, message="a segment cannot refer to itself"))
            elif value not in existing:
                errors.append(ErrorDetail(path=path, message=f"there is no {kind} '{value}'"))
    return errors


def segment_rule_check(*, rule: Any, registry: FieldRegistry | None = None, own_slug: str | None = None) -> RuleNode:
    """Validate a rule and its references; raise RuleValidationError with every problem."""
    registry = registry or field_registry()
    node = validate_rule(rule, registry=registry)
    errors = _check_references(rule, registry=registry, own_slug=own_slug)
    if errors:
        raise RuleValidationError(errors)
    return node


def _dependency_cycle(segment: Segment, dependency_ids: set[int]) -> list[str] | None:
    """The slugs of a cycle the new dependencies would close, if any."""
    edges: dict[int, frozenset[int] | set[int]] = {**segment_dependencies(), segment.pk: dependency_ids}
    path: list[int] = []

    def reaches_segment(node: int, seen: set[int]) -> bool:
        for target in edges.get(node, ()):
            if target == segment.pk:
                path.append(target)
                return True
            if target not in seen:
                seen.add(target)
                if reaches_segment(target, seen):
                    path.append(target)
                    return True
        return False

    if not reaches_segment(segment.pk, set()):
        return None
    slugs = dict(Segment.objects.filter(pk__in=[segment.pk, *path]).values_list("pk", "slug"))
    return [slugs[segment.pk]] + [slugs[node] for node in reversed(path)]


@transaction.atomic
def segment_save(
    *,
    segment: Segment | None = None,
    name: str,
    rule: Any,
    slug: str | None = None,
    description: str = "",
    is_active: bool = True,
    user=None,
    refresh: bool = True,
) -> Segment:
    """Create or update a segment: validated rule, acyclic references, refreshed after commit, audited."""
    slug = slug or (segment.slug if segment else slugify(name))
    if not slug:
        raise SegmentSlugError(
            "the name has no letters or digits to make a slug of: give a slug",
            errors=[ErrorDetail(path="/slug", message="give a slug: the name has no letters or digits to make one of")],
        )
    registry = field_registry()
    node = segment_rule_check(rule=rule, registry=registry, own_slug=slug)
    # Read from the database: an admin form has already set its new values on the instance.
    before = segment_snapshot(Segment.objects.select_for_update().get(pk=segment.pk)) if segment and segment.pk else None
    if segment is None:
        segment = Segment(created_by=user)
    segment.name, segment.slug, segment.description, segment.is_active = name, slug, description, is_active
    segment.rule = rule
    segment.is_dirty = True
    if segment.pk:
        # Only what the marketer edits: a stale instance must not write back member_count or refresh times.
        segment.save(update_fields=["name", "slug", "description", "is_active", "rule", "is_dirty", "updated_at"])
    else:
        segment.save()
    dependency_ids = set(Segment.objects.filter(slug__in=referenced_segment_slugs(node)).values_list("pk", flat=True))
    cycle = _dependency_cycle(segment, dependency_ids)
    if cycle:
        raise SegmentCycleError(
            f"segments would refer to each other in a circle: {' -> '.join(cycle)}",
            errors=[ErrorDetail(path="/rule", message=f"circular reference: {' -> '.join(cycle)}")],
        )
    segment.depends_on.set(dependency_ids)
    audit_record(
        user=user, target_type=AuditEntry.TargetType.SEGMENT, target_id=segment.pk, target_label=segment.name,
        before=before, after=segment_snapshot(segment), switch_field="is_active", segment_id=segment.pk,
    )
    if refresh:
        segment_refresh_enqueue(segment=segment, trigger=RefreshRun.Trigger.SAVE)
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, user=None) -> None:
    if segment.dependents.exists():
        names = ", ".join(segment.dependents.values_list("name", flat=True))
        raise ApplicationError(f"'{segment.name}' is used by other segments ({names}); change those rules first.")
    contact_ids = list(segment.memberships.values_list("contact_id", flat=True))
    audit_record(
        user=user, target_type=AuditEntry.TargetType.SEGMENT, target_id=segment.pk, target_label=segment.name,
        before=segment_snapshot(Segment.objects.get(pk=segment.pk)), after=None, switch_field="is_active",
        segment_id=segment.pk,
    )
    segment.delete()
    transaction.on_commit(partial(contact_segments_cache_clear, contact_ids))


def segments_mark_dirty(*, reason: str = "") -> int:
    """Data changed: every active segment needs a refresh."""
    return Segment.objects.filter(is_active=True, is_dirty=False).update(is_dirty=True)


# ---------------------------------------------------------------- refresh


def segment_refresh_enqueue(*, segment: Segment, trigger: str = RefreshRun.Trigger.MANUAL) -> RefreshRun:
    """Queue a refresh after commit; the returned run is the one the worker fills in."""
    from segments.tasks import segment_refresh_task

    run = RefreshRun.objects.create(segment=segment, trigger=trigger, status=RefreshRun.Status.QUEUED)
    task_enqueue_on_commit(segment_refresh_task, segment_id=segment.pk, trigger=trigger, run_id=run.pk)
    return run


def segment_refresh(
    *, segment_id: int, now: datetime.datetime | None = None, trigger: str = RefreshRun.Trigger.MANUAL,
    registry: FieldRegistry | None = None, values_current: bool = False, run_id: int | None = None,
    statistics: RunStatistics | None = None,
) -> RefreshResult:
    """Recompute one segment's members and apply the difference in one transaction.

    `statistics`: the run's shared aggregates (`run_statistics_prepare` with this `now`);
    without them the refresh prepares its own for this segment's rule.
    """
    now = now or timezone.now()
    segment = Segment.objects.get(pk=segment_id)
    run = RefreshRun.objects.filter(pk=run_id, segment=segment).first() if run_id else None
    if run is None:
        run = RefreshRun.objects.create(segment=segment, trigger=trigger, evaluated_at=now)
    else:
        run.status, run.evaluated_at = RefreshRun.Status.RUNNING, now
        run.save(update_fields=["status", "evaluated_at"])
    started = time.monotonic()
    try:
        refresh_runs_interrupted_mark(segment_id=segment_id, exclude_run_id=run.pk)
        if not values_current:
            company_values_ensure_current(now=now)
        registry = registry or field_registry()
        if segment.is_active:
            node = validate_rule(segment.rule, registry=registry)
            if statistics is None or statistics.now != now:
                statistics = run_statistics_prepare(nodes=[node], registry=registry, now=now)
            query = Contact.objects.filter(compile_rule(node, registry=registry, now=now, statistics=statistics))
            new_ids = set(query.order_by().values_list("pk", flat=True))  # no ORDER BY email: it misleads the planner
        else:
            new_ids = set()
        with transaction.atomic():
            locked = Segment.objects.select_for_update().get(pk=segment_id)
            joined, left = _membership_apply(segment=locked, new_ids=new_ids, now=now, run=run)
            locked.member_count = len(new_ids)
            locked.last_refreshed_at = now
            locked.is_dirty = False
            locked.save(update_fields=["member_count", "last_refreshed_at", "is_dirty", "updated_at"])
            run.status = RefreshRun.Status.SUCCEEDED
            run.joined, run.left, run.member_count = len(joined), len(left), len(new_ids)
            run.finished_at = timezone.now()
            run.duration_ms = int((time.monotonic() - started) * 1000)
            run.save()
            if joined or left:
                transaction.on_commit(partial(_membership_changed, segment_id=segment_id, contact_ids=joined | left))
    except (RuleValidationError, DatabaseError) as exc:
        logger.exception("refresh of segment %s failed", segment_id)
        if not connection.in_atomic_block:
            # A session the server ended outside a transaction (say, while the rule was evaluated)
            # stays in Django until dropped; the failure is then recorded on a new connection.
            connection.close_if_unusable_or_obsolete()
        RefreshRun.objects.filter(pk=run.pk).update(
            status=RefreshRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        raise
    return RefreshResult(
        segment_id, run.pk, run.status, run.joined, run.left, run.member_count, seconds=time.monotonic() - started
    )


def refresh_runs_interrupted_mark(*, segment_id: int, exclude_run_id: int | None = None) -> int:
    """Mark the segment's runs left `running` for longer than a refresh may take as failed; returns how many.

    Their process died (killed worker, crash): its write transaction was rolled back, so
    the membership is the old one. A live refresh holds no lock while it evaluates the
    rule, so age is the sign: past the refresh lock's time-out another refresh would
    start anyway. A run marked by mistake sets its real status when it finishes.
    """
    cutoff = timezone.now() - datetime.timedelta(seconds=REFRESH_LOCK_SECONDS)
    return (
        RefreshRun.objects.filter(segment_id=segment_id, status=RefreshRun.Status.RUNNING, started_at__lt=cutoff)
        .exclude(pk=exclude_run_id)
        .update(status=RefreshRun.Status.FAILED, error=REFRESH_INTERRUPTED, finished_at=timezone.now())
    )


def refresh_lock_key(segment_id: int) -> str:
    return f"segments:refresh-lock:{segment_id}"


def segment_refresh_locked(
    *, segment_id: int, trigger: str = RefreshRun.Trigger.MANUAL, now: datetime.datetime | None = None,
    run_id: int | None = None,
) -> RefreshResult:
    """Refresh unless another refresh of the segment is running; then record a skipped run.

    The cache lock spares a second worker the evaluation; the row lock taken while
    applying the difference keeps the membership consistent even without the cache.
    The lock names the queued run that holds it: a task delivered again for that same
    run (its worker was killed, `reject_on_worker_lost`) takes the lock over instead of
    waiting for it to expire. The broker redelivers an unacknowledged task only after
    its worker is lost or after the visibility time-out, which is longer than the lock's.
    """
    key = refresh_lock_key(segment_id)
    holder = f"run:{run_id}" if run_id is not None else "1"
    acquired = cache.add(key, holder, timeout=REFRESH_LOCK_SECONDS)
    if acquired is False and run_id is not None and cache.get(key) == holder:
        cache.set(key, holder, timeout=REFRESH_LOCK_SECONDS)
        acquired = True
    if acquired is False:
        run, _ = RefreshRun.objects.update_or_create(
            pk=run_id, segment_id=segment_id,
            defaults={"trigger": trigger, "status": RefreshRun.Status.SKIPPED, "finished_at": timezone.now()},
        )
        return RefreshResult(segment_id, run.pk, run.status, 0, 0, 0)
    try:
        return segment_refresh(segment_id=segment_id, trigger=trigger, now=now, run_id=run_id)
    finally:
        if acquired:
            cache.delete(key)


def _membership_apply(*, segment: Segment, new_ids: set[int], now: datetime.datetime, run: RefreshRun | None) -> tuple[set[int], set[int]]:
    """Write the difference between the stored and the new member set; nothing when they are equal."""
    current = set(SegmentMembership.objects.filter(segment=segment).values_list("contact_id", flat=True))
    joined, left = new_ids - current, current - new_ids
    if left:
        ordered = sorted(left)
        for start in range(0, len(ordered), WRITE_BATCH):
            SegmentMembership.objects.filter(segment=segment, contact_id__in=ordered[start : start + WRITE_BATCH]).delete()
    if joined:
        _rows_insert(SegmentMembership, ("segment", "contact", "since"), [(segment.pk, c, now) for c in sorted(joined)])
    if joined or left:
        run_id = run.pk if run is not None else None
        Kind = MembershipEvent.Kind
        _rows_insert(
            MembershipEvent, ("segment", "contact", "kind", "at", "refresh_run"),
            [(segment.pk, c, Kind.JOINED.value, now, run_id) for c in sorted(joined)]
            + [(segment.pk, c, Kind.LEFT.value, now, run_id) for c in sorted(left)],
        )
    return joined, left


def _rows_insert(model, fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Multi-row INSERTs of plain values (ids, text, instants).

    A first refresh writes hundreds of thousands of memberships and events; building a
    model instance per row cost most of its time (`bulk_create`). No signals or save()
    logic exist on these append-only rows.
    """
    if not rows:
        return
    columns = [model._meta.get_field(name) for name in fields]
    names = ", ".join(connection.ops.quote_name(column.column) for column in columns)
    limit = connection.features.max_query_params  # SQLite's bound on parameters per statement; None on PostgreSQL
    per_statement = WRITE_BATCH if limit is None else max(1, min(WRITE_BATCH, limit // len(fields)))
    adapt = [
        connection.ops.adapt_datetimefield_value if column.get_internal_type() == "DateTimeField" else None
        for column in columns
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(chunk))
            params = [adapter(value) if adapter else value for row in chunk for adapter, value in zip(adapt, row, strict=True)]
            cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) VALUES {values}", params)


def _membership_changed(*, segment_id: int, contact_ids: set[int]) -> None:
    contact_segments_cache_clear(contact_ids)
    from segments.signals import membership_changed

    membership_changed.send(sender=Segment, segment_id=segment_id, contact_ids=frozenset(contact_ids))


def segments_refresh_all(
    *, now: datetime.datetime | None = None, trigger: str = RefreshRun.Trigger.SCHEDULE, only_dirty: bool = False
) -> list[RefreshResult]:
    """Refresh active segments in dependency order, after recomputing customer value once."""
    now = now or timezone.now()
    dependencies = segment_dependencies()
    segments = segments_in_dependency_order(dependencies=dependencies)
    if not segments:
        return []  # customer value is computed for segments; none are active
    company_values_refresh(now=now)
    registry = field_registry()
    if only_dirty:
        segments = _dirty_and_dependents(segments, dependencies=dependencies)
    return segments_refresh_ordered(segments=segments, now=now, trigger=trigger, registry=registry)


def segments_refresh_ordered(
    *, segments: list[Segment], now: datetime.datetime, trigger: str = RefreshRun.Trigger.SCHEDULE,
    registry: FieldRegistry | None = None, statistics: RunStatistics | None = None,
) -> list[RefreshResult]:
    """Refresh segments given in dependency order with current customer values, sharing one run's statistics.

    The per-company sales and per-contact cart figures all their rules read are
    aggregated once (`run_statistics_prepare`), not once per segment and contact.
    """
    registry = registry or field_registry()
    if statistics is None:
        statistics = segments_statistics_prepare(segments=segments, now=now, registry=registry)
    return [
        segment_refresh(
            segment_id=segment.pk, now=now, trigger=trigger, registry=registry, values_current=True, statistics=statistics
        )
        for segment in segments
    ]


def segments_statistics_prepare(*, segments: list[Segment], now: datetime.datetime, registry: FieldRegistry) -> RunStatistics:
    """The run statistics for these segments' rules (rules that no longer validate are skipped here)."""
    nodes = []
    for segment in segments:
        if segment.is_active:
            try:
                nodes.append(validate_rule(segment.rule, registry=registry))
            except RuleValidationError:
                continue  # its own refresh records the failure
    return run_statistics_prepare(nodes=nodes, registry=registry, now=now)


def _dirty_and_dependents(ordered: list[Segment], *, dependencies: dict[int, frozenset[int]]) -> list[Segment]:
    """The dirty segments and every segment that (transitively) refers to one, in dependency order."""
    needed = {segment.pk for segment in ordered if segment.is_dirty}
    for segment in ordered:  # dependencies come first, so one pass reaches every dependent
        if dependencies.get(segment.pk, frozenset()) & needed:
            needed.add(segment.pk)
    return [segment for segment in ordered if segment.pk in needed]


# ---------------------------------------------- one contact, all segments


@dataclass(frozen=True)
class ContactEvaluation:
    contact_ids: frozenset[int]
    joined: frozenset[tuple[int, int]]  # (segment id, contact id)
    left: frozenset[tuple[int, int]]


def contacts_reevaluate_enqueue(*, contact_ids: list[int]) -> None:
    """After commit, re-evaluate these contacts against every segment (a login, cart change or order)."""
    from segments.tasks import contacts_reevaluate_task

    task_enqueue_on_commit(contacts_reevaluate_task, contact_ids=sorted(set(contact_ids)))


def contacts_segments_reevaluate(*, contact_ids: list[int], now: datetime.datetime | None = None) -> ContactEvaluation:
    """Re-evaluate a few contacts (one, or a company's) against every active segment, right now.

    One query per dependency layer evaluates all segments at once, with SQL compiled once
    per day and rule set (`selectors.contact_evaluation_plan`); the stored membership is
    then corrected in one transaction, so the contact's next page view reflects it.
    """
    now = now or timezone.now()
    wanted = sorted(set(contact_ids))
    if not wanted:
        return ContactEvaluation(frozenset(), frozenset(), frozenset())
    current = set(SegmentMembership.objects.filter(contact_id__in=wanted).values_list("segment_id", "contact_id"))
    joined: set[tuple[int, int]] = set()
    left: set[tuple[int, int]] = set()
    plan = contact_evaluation_plan(contact_count=len(wanted), now=now)
    for layer in plan.layers:
        matched = evaluation_layer_matches(layer=layer, contact_ids=wanted, now=now)
        layer_ids = set(layer.segment_ids)
        stored = {pair for pair in current if pair[0] in layer_ids}
        layer_joined, layer_left = matched - stored, stored - matched
        if layer_joined or layer_left:
            with transaction.atomic():
                _pairs_apply(joined=layer_joined, left=layer_left, now=now)
        joined |= layer_joined
        left |= layer_left
    if joined or left:
        contact_segments_cache_clear({contact_id for _segment, contact_id in joined | left})
    return ContactEvaluation(frozenset(wanted), frozenset(joined), frozenset(left))


def _pairs_apply(*, joined: set[tuple[int, int]], left: set[tuple[int, int]], now: datetime.datetime) -> None:
    Kind = MembershipEvent.Kind
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment_id=s, contact_id=c, since=now) for s, c in sorted(joined)], ignore_conflicts=True
    )
    for segment_id, contact_id in sorted(left):
        SegmentMembership.objects.filter(segment_id=segment_id, contact_id=contact_id).delete()
    MembershipEvent.objects.bulk_create(
        [MembershipEvent(segment_id=s, contact_id=c, kind=Kind.JOINED, at=now) for s, c in sorted(joined)]
        + [MembershipEvent(segment_id=s, contact_id=c, kind=Kind.LEFT, at=now) for s, c in sorted(left)]
    )
    for segment_id in {s for s, _c in joined | left}:
        delta = sum(1 for s, _c in joined if s == segment_id) - sum(1 for s, _c in left if s == segment_id)
        Segment.objects.filter(pk=segment_id).update(member_count=F("member_count") + delta)
