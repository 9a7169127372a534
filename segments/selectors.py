"""Reads of the segment engine: the registry with custom attributes, members, a contact's segments."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import CompanyAttributeDefinition, Contact
from segments.compiler import compile_rule
from segments.fields import FieldRegistry, field_registry_build
from segments.models import MembershipEvent, RefreshRun, Segment, SegmentMembership
from segments.rules import RuleNode
from segments.validation import validate_rule

CONTACT_SEGMENTS_CACHE_SECONDS = 15 * 60


def field_registry() -> FieldRegistry:
    """The static fields plus one field per declared custom ERP attribute (one query)."""
    attributes = CompanyAttributeDefinition.objects.order_by("name").values_list("name", "value_type", "label", "help_text")
    return field_registry_build(attributes)


def rule_matching_contacts(*, node: RuleNode, registry: FieldRegistry, now: datetime.datetime) -> QuerySet[Contact]:
    """Every contact the rule matches: one SQL query when evaluated."""
    return Contact.objects.filter(compile_rule(node, registry=registry, now=now))


def segment_rule_tree(*, segment: Segment, registry: FieldRegistry) -> RuleNode:
    return validate_rule(segment.rule, registry=registry)


def segment_member_list(*, segment: Segment) -> QuerySet[Contact]:
    """Members with their company and `membership_since`, by email."""
    since = SegmentMembership.objects.filter(segment=segment, contact_id=OuterRef("pk")).values("since")[:1]
    return (
        Contact.objects.filter(segment_memberships__segment=segment)
        .annotate(membership_since=Subquery(since))
        .select_related("company")
        .order_by("email")
    )


def segment_member_ids(*, segment_id: int) -> set[int]:
    return set(SegmentMembership.objects.filter(segment_id=segment_id).values_list("contact_id", flat=True))


def contact_segments_cache_key(contact_id: int) -> str:
    return f"segments:contact:{contact_id}"


def contact_segment_ids(*, contact_id: int) -> frozenset[int]:
    """The contact's segment ids, cached until their membership changes (cache outages fall back to SQL)."""
    key = contact_segments_cache_key(contact_id)
    cached = cache.get(key)
    if cached is not None:
        return frozenset(cached)
    ids = frozenset(SegmentMembership.objects.filter(contact_id=contact_id).values_list("segment_id", flat=True))
    cache.set(key, sorted(ids), CONTACT_SEGMENTS_CACHE_SECONDS)
    return ids


def contact_segments_cache_clear(contact_ids: Iterable[int]) -> None:
    keys = [contact_segments_cache_key(contact_id) for contact_id in contact_ids]
    for start in range(0, len(keys), 1000):
        cache.delete_many(keys[start : start + 1000])


def contact_segment_list(*, contact_id: int) -> QuerySet[Segment]:
    return Segment.objects.filter(memberships__contact_id=contact_id).order_by("name")


def segment_dependencies() -> dict[int, frozenset[int]]:
    """Segment id -> ids of the segments its rule refers to (segment.member_of), one query."""
    edges: dict[int, set[int]] = {}
    for source, target in Segment.depends_on.through.objects.values_list("from_segment_id", "to_segment_id"):
        edges.setdefault(source, set()).add(target)
    return {source: frozenset(targets) for source, targets in edges.items()}


def segments_in_dependency_order(
    segments: Iterable[Segment] | None = None, *, dependencies: dict[int, frozenset[int]] | None = None
) -> list[Segment]:
    """Active segments, each after the segments its rule refers to (the graph is kept acyclic)."""
    chosen = list(segments) if segments is not None else list(Segment.objects.filter(is_active=True))
    edges = dependencies if dependencies is not None else segment_dependencies()
    by_id = {segment.pk: segment for segment in chosen}
    ordered: list[Segment] = []
    done: set[int] = set()

    def visit(segment_id: int) -> None:
        if segment_id in done or segment_id not in by_id:
            return
        done.add(segment_id)
        for dependency_id in sorted(edges.get(segment_id, ())):
            visit(dependency_id)
        ordered.append(by_id[segment_id])

    for segment in sorted(chosen, key=lambda s: s.pk):
        visit(segment.pk)
    return ordered


def segment_history(*, segment: Segment, limit: int = 200) -> tuple[list[RefreshRun], list[MembershipEvent]]:
    runs = list(segment.refresh_runs.filter(status=RefreshRun.Status.SUCCEEDED).order_by("started_at"))
    events = list(segment.membership_events.select_related("contact").order_by("-at", "-id")[:limit])
    return runs, events
