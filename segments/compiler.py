"""Validated rule tree -> one Django `Q` over Contact. Pure: no I/O.

Every condition compiles to a two-valued predicate (never SQL NULL), so that `not`
is exactly "the condition is false", including when it is false because of NULL.
Numbers are compared as exact integers (cents, micro-units) and ratios by
cross-multiplying, so SQLite's floating-point sums and PostgreSQL's numerics give
the same members.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from django.db.models import Expression, ExpressionWrapper, Q, Value
from django.db.models.functions import Cast
from django.db.models.lookups import (
    Contains,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)

from accounts.text import fold
from segments.fields import Field, FieldRegistry, FieldType
from segments.rules import ALL_TIME, Condition, Group, Not, RuleNode
from segments.sources import UNITS, CompileContext, DerivedChoice, Ratio, ReferenceSource, ScalarSource
from segments.windows import start_of_day, start_of_day_after

if TYPE_CHECKING:
    from segments.statistics import RunStatistics

TRUE = Q(pk__isnull=False)
FALSE = Q(pk__isnull=True)


class UnknownFieldError(KeyError):
    """A validated rule names a field the registry no longer has (e.g. a deleted attribute)."""


def compile_rule(
    node: RuleNode, *, registry: FieldRegistry, now: datetime.datetime, statistics: RunStatistics | None = None,
    now_parameter: Expression | None = None,
) -> Q:
    """`statistics`: a refresh run's shared aggregates; sales and cart conditions then read them (semi-joins).

    `now_parameter`: an expression for the instant `now` (see CompileContext), for SQL reused during the day.
    """
    ctx = CompileContext(now=now, statistics=statistics, now_parameter=now_parameter)
    return _compile(node, registry=registry, ctx=ctx)


def _compile(node: RuleNode, *, registry: FieldRegistry, ctx: CompileContext) -> Q:
    if isinstance(node, Group):
        if not node.children:
            return TRUE if node.kind == "all" else FALSE
        compiled = [_compile(child, registry=registry, ctx=ctx) for child in node.children]
        combined = compiled[0]
        for item in compiled[1:]:
            combined = combined & item if node.kind == "all" else combined | item
        return combined
    if isinstance(node, Not):
        return ~_compile(node.child, registry=registry, ctx=ctx)
    return compile_condition(node, registry=registry, ctx=ctx)


def compile_condition(condition: Condition, *, registry: FieldRegistry, ctx: CompileContext) -> Q:
    spec = registry.get(condition.field)
    if spec is None:
        raise UnknownFieldError(condition.field)
    window = condition.window or ALL_TIME
    source = spec.source
    if isinstance(source, ReferenceSource):
        return _reference(source, condition, ctx=ctx, window=window)
    if isinstance(source, Ratio):
        compiled = _ratio(source, condition, ctx=ctx, window=window)
    else:
        compiled = _scalar(spec, source, condition, ctx=ctx, window=window)
    return source.scoped(compiled, ctx=ctx, window=window, op=condition.op)


# ------------------------------------------------------------------ references


def _reference(source: ReferenceSource, condition: Condition, *, ctx: CompileContext, window) -> Q:
    values: tuple[str, ...] = condition.value  # type: ignore[assignment]
    if condition.op == "contains_any":
        return Q(source.matching(ctx=ctx, window=window, values=values))
    if condition.op == "contains_none":
        return ~Q(source.matching(ctx=ctx, window=window, values=values))
    combined = TRUE
    for value in values:
        combined &= Q(source.matching(ctx=ctx, window=window, values=(value,)))
    return combined


# ---------------------------------------------------------------------- scalars


def _present(expression: Expression, nullable: bool) -> Q:
    return Q(IsNull(expression, False)) if nullable else Q()


def _scalar(spec: Field, source: ScalarSource, condition: Condition, *, ctx: CompileContext, window) -> Q:
    op = condition.op
    if spec.type == FieldType.NUMBER:
        if op in ("is_empty", "is_not_empty"):
            return _emptiness(source.expression(ctx=ctx, window=window), op, source.nullable, text=False)
        units = source.units_expression(ctx=ctx, window=window)
        return _present(units, source.nullable) & _integer_comparison(units, op, condition.value, source.scale)
    if spec.type == FieldType.TEXT:
        if op in ("is_empty", "is_not_empty"):
            return _emptiness(source.expression(ctx=ctx, window=window), op, source.nullable, text=True)
        folded = source.folded_expression(ctx=ctx, window=window)
        return _present(folded, source.nullable) & _text_comparison(folded, op, condition.value)
    if isinstance(source, DerivedChoice):
        return _derived_choice(source, op, condition.value)
    expression = source.expression(ctx=ctx, window=window)
    if op in ("is_empty", "is_not_empty"):
        return _emptiness(expression, op, source.nullable, text=spec.type == FieldType.ENUM)
    present = _present(expression, source.nullable)
    if spec.type == FieldType.ENUM:
        return present & _equality(expression, op, condition.value)
    if spec.type == FieldType.BOOLEAN:
        return present & Q(Exact(expression, op == "is_true"))
    if spec.type == FieldType.DATETIME:
        return present & _instant_comparison(expression, op, condition.value, ctx)
    return present & _date_comparison(expression, op, condition.value, ctx)


def _derived_choice(source: DerivedChoice, op: str, value) -> Q:
    """Enum and boolean conditions on a derived value, as conditions on the underlying column."""
    defined = source.defined_condition()
    if op == "is_empty":
        return ~defined
    if op == "is_not_empty":
        return defined
    if op in ("is_true", "is_false"):
        return source.choice_condition(op == "is_true")
    values = value if op in ("in", "not_in") else (value,)
    matching = FALSE
    for item in values:
        matching |= source.choice_condition(item)
    return matching if op in ("eq", "in") else defined & ~matching


def _emptiness(expression: Expression, op: str, nullable: bool, *, text: bool) -> Q:
    empty = Q(IsNull(expression, True)) if nullable else FALSE
    if text:
        empty |= Q(Exact(expression, ""))
    return empty if op == "is_empty" else ~empty


def _equality(expression: Expression, op: str, value) -> Q:
    if op == "eq":
        return Q(Exact(expression, value))
    if op == "ne":
        return ~Q(Exact(expression, value))
    if op == "in":
        return Q(In(expression, list(value)))
    return ~Q(In(expression, list(value)))  # not_in


def _text_comparison(folded: Expression, op: str, value) -> Q:
    if op in ("in", "not_in"):
        return _equality(folded, op, [fold(item) for item in value])
    text = fold(value)
    if op == "contains":
        return Q(Contains(folded, text))
    if op == "starts_with":
        return Q(StartsWith(folded, text))
    return _equality(folded, op, text)


def _integer_comparison(units: Expression, op: str, value, scale: int) -> Q:
    """Compare integer `units` with value x scale exactly, whatever the value's decimals."""
    if op == "between":
        low, high = (Decimal(item) * scale for item in value)
        return Q(GreaterThanOrEqual(units, math.ceil(low))) & Q(LessThanOrEqual(units, math.floor(high)))
    target = Decimal(value) * scale
    whole = target == target.to_integral_value()
    if op == "gt":
        return Q(GreaterThan(units, math.floor(target)))
    if op == "gte":
        return Q(GreaterThanOrEqual(units, math.ceil(target)))
    if op == "lt":
        return Q(LessThan(units, math.ceil(target)))
    if op == "lte":
        return Q(LessThanOrEqual(units, math.floor(target)))
    if op == "eq":
        return Q(Exact(units, int(target))) if whole else FALSE
    return ~Q(Exact(units, int(target))) if whole else TRUE  # ne


def _ratio(source: Ratio, condition: Condition, *, ctx: CompileContext, window) -> Q:
    numerator, denominator = source.parts(ctx=ctx, window=window)
    defined = Q(IsNull(denominator, False)) & Q(GreaterThan(denominator, 0)) & Q(IsNull(numerator, False))
    op = condition.op
    if op == "is_not_empty":
        return defined
    if op == "is_empty":
        return ~defined
    if op == "between":
        low, high = condition.value  # type: ignore[misc]
        return defined & _cross_compare(numerator, denominator, "gte", low, source.scale) & _cross_compare(
            numerator, denominator, "lte", high, source.scale
        )
    return defined & _cross_compare(numerator, denominator, op, condition.value, source.scale)


_LOOKUPS = {"gt": GreaterThan, "gte": GreaterThanOrEqual, "lt": LessThan, "lte": LessThanOrEqual, "eq": Exact, "ne": Exact}


def _cross_compare(numerator: Expression, denominator: Expression, op: str, value, scale: int) -> Q:
    """numerator / denominator <op> value, as numerator x q <op> p x denominator with value x scale = p / q."""
    target = Fraction(Decimal(value) * scale)
    # numeric, not bigint: a count times a 16-digit threshold overflows 64 bits on PostgreSQL.
    left = ExpressionWrapper(Cast(numerator, UNITS) * Value(Decimal(target.denominator)), output_field=UNITS)
    right = ExpressionWrapper(Cast(denominator, UNITS) * Value(Decimal(target.numerator)), output_field=UNITS)
    comparison = Q(_LOOKUPS[op](left, right))
    return ~comparison if op == "ne" else comparison


# ------------------------------------------------------------------------ dates


def _instant_comparison(expression: Expression, op: str, value, ctx: CompileContext) -> Q:
    """Datetimes compare by their local calendar day in SHOP_TIME_ZONE.

    Day boundaries beyond what a datetime holds (around 0001-01-01 and 9999-12-31)
    mean "no bound": nothing is before the first day or after the last.
    """
    if op == "before":
        bound = start_of_day_after(value)
        return Q(LessThan(expression, bound)) if bound else FALSE
    if op == "after":
        bound = start_of_day_after(value, 1)
        return Q(GreaterThanOrEqual(expression, bound)) if bound else FALSE
    if op == "between":
        low, high = start_of_day_after(value[0]), start_of_day_after(value[1], 1)
        lower = Q(GreaterThanOrEqual(expression, low)) if low else Q()
        upper = Q(LessThan(expression, high)) if high else Q()
        return (lower & upper) or TRUE
    cut = start_of_day(ctx.today - datetime.timedelta(days=value))
    if op == "within_last_days":
        return Q(GreaterThanOrEqual(expression, cut))
    return Q(LessThan(expression, cut))  # more_than_days_ago


def _date_comparison(expression: Expression, op: str, value, ctx: CompileContext) -> Q:
    if op == "before":
        return Q(LessThan(expression, value))
    if op == "after":
        return Q(GreaterThan(expression, value))
    if op == "between":
        low, high = value
        return Q(GreaterThanOrEqual(expression, low)) & Q(LessThanOrEqual(expression, high))
    cut = ctx.today - datetime.timedelta(days=value)
    if op == "within_last_days":
        return Q(GreaterThanOrEqual(expression, cut))
    return Q(LessThan(expression, cut))  # more_than_days_ago
