"""Explain, preview and impact: answers for the marketer editing a rule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from accounts.models import Contact
from segments.compiler import compile_condition, compile_rule
from segments.fields import FieldRegistry
from segments.models import Segment, SegmentMembership
from segments.rules import ALL_TIME, Condition, Group, Not, RuleNode
from segments.selectors import field_registry
from segments.sources import CompileContext, Ratio, ReferenceSource
from segments.validation import rule_to_json, validate_rule

PREVIEW_SAMPLE_SIZE = 20


@dataclass
class ExplainNode:
    kind: str  # all, any, not, condition
    result: bool
    children: list["ExplainNode"] = field(default_factory=list)
    condition: dict[str, Any] | None = None
    label: str = ""
    actual: Any = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "result": self.result}
        if self.condition is not None:
            data.update({"condition": self.condition, "label": self.label, "actual": _json_value(self.actual)})
        if self.kind != "condition":
            data["children"] = [child.as_dict() for child in self.children]
        return data


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    return value


def explain(*, rule: Any, contact: Contact, now: datetime.datetime | None = None,
            registry: FieldRegistry | None = None) -> ExplainNode:
    """The rule tree with every condition's actual value for the contact and each node's result."""
    now = now or timezone.now()
    registry = registry or field_registry()
    node = validate_rule(rule, registry=registry)
    ctx = CompileContext(now=now)
    conditions: list[Condition] = []
    _collect(node, conditions)
    annotations: dict[str, Any] = {}
    for index, condition in enumerate(conditions):
        annotations[f"r{index}"] = ExpressionWrapper(compile_condition(condition, registry=registry, ctx=ctx), output_field=BooleanField())
        spec = registry.get(condition.field)
        window = condition.window or ALL_TIME
        if isinstance(spec.source, Ratio):
            numerator, denominator = spec.source.parts(ctx=ctx, window=window)
            annotations[f"n{index}"], annotations[f"d{index}"] = numerator, denominator
        elif not isinstance(spec.source, ReferenceSource):
            annotations[f"v{index}"] = spec.source.expression(ctx=ctx, window=window)
    row = Contact.objects.filter(pk=contact.pk).annotate(**annotations).values(*annotations).get()
    results = iter(range(len(conditions)))
    return _build(node, row=row, conditions=conditions, order=results, registry=registry, ctx=ctx, contact=contact)


def _collect(node: RuleNode, into: list[Condition]) -> None:
    if isinstance(node, Condition):
        into.append(node)
    elif isinstance(node, Group):
        for child in node.children:
            _collect(child, into)
    else:
        _collect(node.child, into)


def _build(node: RuleNode, *, row, conditions, order, registry, ctx, contact) -> ExplainNode:
    if isinstance(node, Group):
        children = [_build(child, row=row, conditions=conditions, order=order, registry=registry, ctx=ctx, contact=contact)
                    for child in node.children]
        result = all(c.result for c in children) if node.kind == "all" else any(c.result for c in children)
        return ExplainNode(kind=node.kind, result=result, children=children)
    if isinstance(node, Not):
        child = _build(node.child, row=row, conditions=conditions, order=order, registry=registry, ctx=ctx, contact=contact)
        return ExplainNode(kind="not", result=not child.result, children=[child])
    index = next(order)
    spec = registry.get(node.field)
    window = node.window or ALL_TIME
    if isinstance(spec.source, ReferenceSource):
        actual: Any = spec.source.members(ctx=ctx, window=window, contact_id=contact.pk)
    elif isinstance(spec.source, Ratio):
        numerator, denominator = row[f"n{index}"], row[f"d{index}"]
        actual = (
            (Decimal(numerator) / Decimal(denominator) / spec.source.scale).quantize(Decimal("0.01"))
            if denominator else None
        )
    else:
        actual = row[f"v{index}"]
    return ExplainNode(
        kind="condition", result=bool(row[f"r{index}"]), condition=rule_to_json(node), label=spec.label, actual=actual
    )


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[dict[str, Any]]


def preview(*, rule: Any, now: datetime.datetime | None = None, registry: FieldRegistry | None = None) -> Preview:
    """Member count and a sample of the rule without saving anything."""
    now = now or timezone.now()
    registry = registry or field_registry()
    node = validate_rule(rule, registry=registry)
    matching = Contact.objects.filter(compile_rule(node, registry=registry, now=now))
    sample = list(
        matching.order_by("email").values("pk", "email", "first_name", "last_name", "company__name", "company__erp_id")[
            :PREVIEW_SAMPLE_SIZE
        ]
    )
    return Preview(count=matching.count(), sample=sample)


@dataclass(frozen=True)
class Impact:
    would_join: int
    would_leave: int
    would_stay: int


def impact(*, segment: Segment, rule: Any, now: datetime.datetime | None = None,
           registry: FieldRegistry | None = None) -> Impact:
    """How saving `rule` for `segment` would change its current members."""
    now = now or timezone.now()
    registry = registry or field_registry()
    matching = Q(compile_rule(validate_rule(rule, registry=registry), registry=registry, now=now))
    members = SegmentMembership.objects.filter(segment=segment).values("contact_id")
    matched = Contact.objects.filter(matching)
    would_join = matched.exclude(pk__in=members).count()
    would_stay = matched.filter(pk__in=members).count()
    return Impact(would_join=would_join, would_leave=segment.memberships.count() - would_stay, would_stay=would_stay)
