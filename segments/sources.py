"""Where a rule field's value comes from, as ORM expressions over `Contact`.

Each registry field (segments/fields.py) names one source. A scalar source gives the
field's value as an expression (for comparisons and explain); a reference source
answers "does the contact's set contain any of these" with an `Exists`. Nothing here
evaluates a rule per contact in Python: every value is SQL.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round

from accounts.countries import CONTINENT_BY_COUNTRY, CONTINENTS, COUNTRY_CODES, EU_MEMBERS
from segments.rules import SalesWindow
from segments.windows import Period, local_today, window_period

MONEY = DecimalField(max_digits=20, decimal_places=2)
UNITS = DecimalField(max_digits=30, decimal_places=0)


@dataclass(frozen=True)
class CompileContext:
    """The instant a rule is evaluated at; relative dates and windows derive from it."""

    now: datetime.datetime

    @cached_property
    def today(self) -> datetime.date:
        return local_today(self.now)


# ---------------------------------------------------------------- scalar sources


class ScalarSource:
    """A single value per contact. `scale` turns numbers into exact integer units (cents...)."""

    nullable: bool = True
    scale: int = 1

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        raise NotImplementedError

    def folded_expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        """The case-folded text to compare (text fields only)."""
        return self.expression(ctx=ctx, window=window)

    def units_expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        value = self.expression(ctx=ctx, window=window)
        if self.scale == 1:
            return value
        return Round(ExpressionWrapper(value * Value(self.scale), output_field=UNITS))


@dataclass(frozen=True)
class Column(ScalarSource):
    """A column reached from Contact, e.g. `company__city`; `folded` is its `*_ci` shadow."""

    path: str
    folded: str | None = None
    nullable: bool = True
    scale: int = 1

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        return F(self.path)

    def folded_expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        return F(self.folded or self.path)


class DerivedChoice(ScalarSource):
    """A value derived from a column by a fixed table (continent, EU membership, size band).

    Conditions on it compile to plain conditions on the column (`country IN (...)`), which
    the database estimates and indexes well; the CASE expression only serves explain.
    """

    def choice_condition(self, value: object) -> Q:
        """The contacts whose derived value is `value`."""
        raise NotImplementedError

    def defined_condition(self) -> Q:
        """The contacts whose derived value is not NULL."""
        raise NotImplementedError


_CONTINENT_CODES = {
    continent: sorted(code for code, cont in CONTINENT_BY_COUNTRY.items() if cont == continent) for continent in CONTINENTS
}


@dataclass(frozen=True)
class Continent(DerivedChoice):
    def choice_condition(self, value: object) -> Q:
        return Q(company__country__in=_CONTINENT_CODES[str(value)])

    def defined_condition(self) -> Q:
        return Q(company__country__in=sorted(COUNTRY_CODES))

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        whens = [When(company__country__in=_CONTINENT_CODES[continent], then=Value(continent)) for continent in CONTINENTS]
        return Case(*whens, default=Value(None), output_field=CharField())


@dataclass(frozen=True)
class EuMember(DerivedChoice):
    def choice_condition(self, value: object) -> Q:
        members = EU_MEMBERS if value else COUNTRY_CODES - EU_MEMBERS
        return Q(company__country__in=sorted(members))

    def defined_condition(self) -> Q:
        return Q(company__country__in=sorted(COUNTRY_CODES))

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        return Case(
            When(company__country__in=sorted(EU_MEMBERS), then=Value(True)),
            When(company__country__in=sorted(COUNTRY_CODES - EU_MEMBERS), then=Value(False)),
            default=Value(None),
            output_field=BooleanField(),
        )


SIZE_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("micro", "Micro (fewer than 10 employees)", 0, 9),
    ("small", "Small (10 to 49)", 10, 49),
    ("medium", "Medium (50 to 249)", 50, 249),
    ("large", "Large (250 or more)", 250, None),
)


def _size_band_condition(low: int, high: int | None) -> Q:
    return Q(company__employee_count__gte=low) & (Q() if high is None else Q(company__employee_count__lte=high))


@dataclass(frozen=True)
class SizeBand(DerivedChoice):
    def choice_condition(self, value: object) -> Q:
        low, high = next((low, high) for band, _label, low, high in SIZE_BANDS if band == value)
        return _size_band_condition(low, high)

    def defined_condition(self) -> Q:
        return Q(company__employee_count__isnull=False)

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        whens = [When(_size_band_condition(low, high), then=Value(band)) for band, _label, low, high in SIZE_BANDS]
        return Case(*whens, default=Value(None), output_field=CharField())


def _period_filter(prefix: str, period: Period) -> Q:
    condition = Q()
    if period.start is not None:
        condition &= Q(**{f"{prefix}__gte": period.start})
    if period.end is not None:
        lookup = "lte" if period.end_inclusive else "lt"
        condition &= Q(**{f"{prefix}__{lookup}": period.end})
    return condition


def company_orders(*, ctx: CompileContext, window: SalesWindow) -> QuerySet:
    """Counted orders (not cancelled) of the outer contact's company within the window."""
    from orders.models import Order

    return Order.objects.filter(
        _period_filter("ordered_at", window_period(window, now=ctx.now)),
        company_id=OuterRef("company_id"),
    ).exclude(status=Order.Status.CANCELLED)


def company_order_lines(*, ctx: CompileContext, window: SalesWindow) -> QuerySet:
    from orders.models import Order, OrderLine

    return OrderLine.objects.filter(
        _period_filter("order__ordered_at", window_period(window, now=ctx.now)),
        order__company_id=OuterRef("company_id"),
    ).exclude(order__status=Order.Status.CANCELLED)


def _aggregate(queryset: QuerySet, group_by: str, aggregate: Expression, output_field) -> Subquery:
    return Subquery(
        queryset.order_by().values(group_by).annotate(result=aggregate).values("result")[:1],
        output_field=output_field,
    )


@dataclass(frozen=True)
class SalesAggregate(ScalarSource):
    """A company-level sales statistic within the condition's window."""

    kind: str  # revenue, order_count, web_orders, quantity, distinct_products, distinct_categories, last/first_order_at
    nullable: bool = False
    scale: int = 1

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        if self.kind in ("quantity", "distinct_products", "distinct_categories"):
            lines = company_order_lines(ctx=ctx, window=window)
            aggregate = {
                "quantity": Sum("quantity"),
                "distinct_products": Count("product_id", distinct=True),
                "distinct_categories": Count("product__category_id", distinct=True),
            }[self.kind]
            return Coalesce(_aggregate(lines, "order__company_id", aggregate, IntegerField()), Value(0))
        orders = company_orders(ctx=ctx, window=window)
        if self.kind == "revenue":
            return Coalesce(_aggregate(orders, "company_id", Sum("total_amount"), MONEY), Value(0), output_field=MONEY)
        if self.kind == "order_count":
            return Coalesce(_aggregate(orders, "company_id", Count("id"), IntegerField()), Value(0))
        if self.kind == "web_orders":
            web = orders.filter(channel="web")
            return Coalesce(_aggregate(web, "company_id", Count("id"), IntegerField()), Value(0))
        aggregate = Max("ordered_at") if self.kind == "last_order_at" else Min("ordered_at")
        return _aggregate(orders, "company_id", aggregate, None)


@dataclass(frozen=True)
class Ratio:
    """numerator / denominator, NULL when the denominator is 0; compared exactly by cross-multiplying."""

    numerator: ScalarSource
    denominator: ScalarSource
    factor: int = 1  # 100 for percentages
    scale: int = 1  # units of the numerator per unit of the compared value (cents for money)
    nullable: bool = True

    def parts(self, *, ctx: CompileContext, window: SalesWindow) -> tuple[Expression, Expression]:
        numerator = self.numerator.units_expression(ctx=ctx, window=window)
        if self.factor != 1:
            numerator = ExpressionWrapper(numerator * Value(self.factor), output_field=UNITS)
        return numerator, self.denominator.units_expression(ctx=ctx, window=window)


@dataclass(frozen=True)
class OpenCartAggregate(ScalarSource):
    kind: str  # line_count, quantity, value, last_item_added_at
    nullable: bool = False
    scale: int = 1

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        from orders.models import Cart, CartLine

        lines = CartLine.objects.filter(cart__contact_id=OuterRef("pk"), cart__status=Cart.Status.OPEN)
        if self.kind == "line_count":
            return Coalesce(_aggregate(lines, "cart_id", Count("id"), IntegerField()), Value(0))
        if self.kind == "quantity":
            return Coalesce(_aggregate(lines, "cart_id", Sum("quantity"), IntegerField()), Value(0))
        if self.kind == "value":
            line_value = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=MONEY)
            return Coalesce(_aggregate(lines, "cart_id", Sum(line_value), MONEY), Value(0), output_field=MONEY)
        return _aggregate(lines, "cart_id", Max("added_at"), None)


@dataclass(frozen=True)
class AttributeValue(ScalarSource):
    """A declared custom ERP attribute (`company.attr.<name>`)."""

    name: str
    column: str  # text_value, number_value, date_value, boolean_value
    scale: int = 1

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        from accounts.models import CompanyAttributeValue

        values = CompanyAttributeValue.objects.filter(company_id=OuterRef("company_id"), definition__name=self.name)
        return Subquery(values.values(self.column)[:1])


# ---------------------------------------------------------------- reference sources


def _company_of(contact_id: int) -> Subquery:
    from accounts.models import Contact

    return Subquery(Contact.objects.filter(pk=contact_id).values("company_id")[:1])


class ReferenceSource:
    """A set per contact (channels used, products bought, ...), matched with `Exists`."""

    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists:
        raise NotImplementedError

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        """The contact's actual set, for explain."""
        raise NotImplementedError


@dataclass(frozen=True)
class ChannelsUsed(ReferenceSource):
    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists:
        return Exists(company_orders(ctx=ctx, window=window).filter(channel__in=values))

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        from orders.models import Order

        orders = Order.objects.filter(
            _period_filter("ordered_at", window_period(window, now=ctx.now)),
            company_id=_company_of(contact_id),
        ).exclude(status=Order.Status.CANCELLED)
        return sorted(set(orders.values_list("channel", flat=True)))


@dataclass(frozen=True)
class BoughtProducts(ReferenceSource):
    by_category: bool = False

    def _lines(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> QuerySet:
        lines = company_order_lines(ctx=ctx, window=window)
        if self.by_category:
            return lines.filter(product__category__ancestry__ancestor__slug__in=values)
        return lines.filter(product__sku__in=values)

    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists:
        return Exists(self._lines(ctx=ctx, window=window, values=values))

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        from orders.models import Order, OrderLine

        lines = OrderLine.objects.filter(
            _period_filter("order__ordered_at", window_period(window, now=ctx.now)),
            order__company_id=_company_of(contact_id),
        ).exclude(order__status=Order.Status.CANCELLED)
        column = "product__category__slug" if self.by_category else "product__sku"
        return sorted(set(lines.values_list(column, flat=True)))


@dataclass(frozen=True)
class CartProducts(ReferenceSource):
    by_category: bool = False

    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists:
        from orders.models import Cart, CartLine

        lines = CartLine.objects.filter(cart__contact_id=OuterRef("pk"), cart__status=Cart.Status.OPEN)
        if self.by_category:
            return Exists(lines.filter(product__category__ancestry__ancestor__slug__in=values))
        return Exists(lines.filter(product__sku__in=values))

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        from orders.models import Cart, CartLine

        lines = CartLine.objects.filter(cart__contact_id=contact_id, cart__status=Cart.Status.OPEN)
        column = "product__category__slug" if self.by_category else "product__sku"
        return sorted(set(lines.values_list(column, flat=True)))


@dataclass(frozen=True)
class SegmentsJoined(ReferenceSource):
    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists:
        from segments.models import SegmentMembership

        return Exists(SegmentMembership.objects.filter(contact_id=OuterRef("pk"), segment__slug__in=values))

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        from segments.models import SegmentMembership

        memberships = SegmentMembership.objects.filter(contact_id=contact_id)
        return sorted(memberships.values_list("segment__slug", flat=True))
