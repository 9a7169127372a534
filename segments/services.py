"""Writes of the segment engine: saving segments, refreshing membership, re-evaluating one contact."""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import BooleanField, ExpressionWrapper, F
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Contact
from b2bshop.exceptions import ApplicationError, ErrorDetail
from catalog.models import Category, Product
from segments.compiler import compile_rule
from segments.fields import FieldRegistry
from segments.models import MembershipEvent, RefreshRun, Segment, SegmentMembership
from segments.rules import RuleNode, referenced_segment_slugs
from segments.selectors import (
    contact_segments_cache_clear,
    field_registry,
    segment_dependencies,
    segments_in_dependency_order,
)
from segments.validation import RuleValidationError, validate_rule
from segments.value import company_values_ensure_current, company_values_refresh

logger = logging.getLogger(__name__)

WRITE_BATCH = 5000
REFRESH_LOCK_SECONDS = 15 * 60


class SegmentCycleError(ApplicationError):
    pass


@dataclass(frozen=True)
class RefreshResult:
    segment_id: int
    run_id: int | None
    status: str
    joined: int
    left: int
    member_count: int


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
    """Create or update a segment: validated rule, acyclic references, refreshed after commit."""
    slug = slug or (segment.slug if segment else slugify(name))
    registry = field_registry()
    node = segment_rule_check(rule=rule, registry=registry, own_slug=slug)
    if segment is None:
        segment = Segment(created_by=user)
    segment.name, segment.slug, segment.description, segment.is_active = name, slug, description, is_active
    segment.rule = rule
    segment.is_dirty = True
    segment.save()
    dependency_ids = set(Segment.objects.filter(slug__in=referenced_segment_slugs(node)).values_list("pk", flat=True))
    cycle = _dependency_cycle(segment, dependency_ids)
    if cycle:
        raise SegmentCycleError(
            f"segments would refer to each other in a circle: {' -> '.join(cycle)}",
            errors=[ErrorDetail(path="/rule", message=f"circular reference: {' -> '.join(cycle)}")],
        )
    segment.depends_on.set(dependency_ids)
    if refresh:
        segment_refresh_enqueue(segment=segment, trigger=RefreshRun.Trigger.SAVE)
    return segment


def segment_delete(*, segment: Segment) -> None:
    if segment.dependents.exists():
        names = ", ".join(segment.dependents.values_list("name", flat=True))
        raise ApplicationError(f"'{segment.name}' is used by other segments ({names}); change those rules first.")
    contact_ids = list(segment.memberships.values_list("contact_id", flat=True))
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
    transaction.on_commit(partial(segment_refresh_task.delay, segment_id=segment.pk, trigger=trigger, run_id=run.pk))
    return run


def segment_refresh(
    *, segment_id: int, now: datetime.datetime | None = None, trigger: str = RefreshRun.Trigger.MANUAL,
    registry: FieldRegistry | None = None, values_current: bool = False, run_id: int | None = None,
) -> RefreshResult:
    """Recompute one segment's members and apply the difference in one transaction."""
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
        if not values_current:
            company_values_ensure_current(now=now)
        registry = registry or field_registry()
        if segment.is_active:
            query = Contact.objects.filter(compile_rule(validate_rule(segment.rule, registry=registry), registry=registry, now=now))
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
        RefreshRun.objects.filter(pk=run.pk).update(
            status=RefreshRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        raise
    return RefreshResult(segment_id, run.pk, run.status, run.joined, run.left, run.member_count)


def refresh_lock_key(segment_id: int) -> str:
    return f"segments:refresh-lock:{segment_id}"


def segment_refresh_locked(
    *, segment_id: int, trigger: str = RefreshRun.Trigger.MANUAL, now: datetime.datetime | None = None,
    run_id: int | None = None,
) -> RefreshResult:
    """Refresh unless another refresh of the segment is running; then record a skipped run.

    The cache lock spares a second worker the evaluation; the row lock taken while
    applying the difference keeps the membership consistent even without the cache.
    """
    key = refresh_lock_key(segment_id)
    acquired = cache.add(key, "1", timeout=REFRESH_LOCK_SECONDS)
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
        SegmentMembership.objects.bulk_create(
            [SegmentMembership(segment=segment, contact_id=contact_id, since=now) for contact_id in sorted(joined)],
            batch_size=WRITE_BATCH,
        )
    if joined or left:
        MembershipEvent.objects.bulk_create(
            [MembershipEvent(segment=segment, contact_id=c, kind=MembershipEvent.Kind.JOINED, at=now, refresh_run=run) for c in sorted(joined)]
            + [MembershipEvent(segment=segment, contact_id=c, kind=MembershipEvent.Kind.LEFT, at=now, refresh_run=run) for c in sorted(left)],
            batch_size=WRITE_BATCH,
        )
    return joined, left


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
    return [
        segment_refresh(segment_id=segment.pk, now=now, trigger=trigger, registry=registry, values_current=True)
        for segment in segments
    ]


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

    transaction.on_commit(partial(contacts_reevaluate_task.delay, contact_ids=sorted(set(contact_ids))))


def contacts_segments_reevaluate(*, contact_ids: list[int], now: datetime.datetime | None = None) -> ContactEvaluation:
    """Re-evaluate a few contacts (one, or a company's) against every active segment, right now.

    One query per dependency layer evaluates all segments at once; the stored membership
    is then corrected in one transaction, so the contact's next page view reflects it.
    """
    now = now or timezone.now()
    registry = field_registry()
    wanted = set(contact_ids)
    current = set(SegmentMembership.objects.filter(contact_id__in=wanted).values_list("segment_id", "contact_id"))
    joined: set[tuple[int, int]] = set()
    left: set[tuple[int, int]] = set()
    dependencies = segment_dependencies()
    ordered = segments_in_dependency_order(dependencies=dependencies)
    for layer in _dependency_layers(ordered, dependencies=dependencies):
        annotations = {
            f"s{segment.pk}": ExpressionWrapper(
                compile_rule(validate_rule(segment.rule, registry=registry), registry=registry, now=now),
                output_field=BooleanField(),
            )
            for segment in layer
        }
        rows = Contact.objects.filter(pk__in=wanted).order_by().annotate(**annotations).values("pk", *annotations)
        matched = {(segment.pk, row["pk"]) for row in rows for segment in layer if row[f"s{segment.pk}"]}
        layer_ids = {segment.pk for segment in layer}
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


def _dependency_layers(ordered: list[Segment], *, dependencies: dict[int, frozenset[int]]) -> list[list[Segment]]:
    """Group segments so that each only depends on segments of earlier layers."""
    if not ordered:
        return []
    layer_of: dict[int, int] = {}
    for segment in ordered:  # dependencies come first in `ordered`
        targets = dependencies.get(segment.pk, frozenset())
        layer_of[segment.pk] = 1 + max((layer_of.get(target, -1) for target in targets), default=-1)
    layers: list[list[Segment]] = [[] for _ in range(max(layer_of.values()) + 1)]
    for segment in ordered:
        layers[layer_of[segment.pk]].append(segment)
    return layers
