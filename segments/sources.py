"""Where a rule field's value comes from, as ORM expressions over `Contact`.

Each registry field (segments/fields.py) names one source. A scalar source gives the
field's value as an expression (for comparisons and explain); a reference source
answers "does the contact's set contain any of these" with an `Exists`. Nothing here
evaluates a rule per contact in Python: every value is SQL.

Two forms, one meaning. Without run statistics (explain, preview, one contact) the
company and cart aggregates are correlated subqueries: exact and cheap for a few
contacts. A refresh run passes `RunStatistics` (segments/statistics.py): a sales or
cart condition is then built over the run's pre-aggregated rows and `scoped` into a
semi-join (`owner IN (rows matching the condition)`), custom attributes and reference
fields become uncorrelated semi-joins, which the database hashes once per query
instead of probing once per contact.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from segments.statistics import RunStatistics

MONEY = DecimalField(max_digits=20, decimal_places=2)
UNITS = DecimalField(max_digits=30, decimal_places=0)


@dataclass(frozen=True)
class CompileContext:
    """The instant a rule is evaluated at; relative dates and windows derive from it."""

    now: datetime.datetime
    statistics: RunStatistics | None = None  # a refresh run's shared aggregates (bulk form)
    # An expression standing for `now` where the SQL needs the instant itself (the end of a
    # last_days window), so that compiled SQL can be reused during the day with a later now.
    now_parameter: Expression | None = None

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

    def scoped(self, condition: Q, *, ctx: CompileContext, window: SalesWindow, op: str) -> Q:
        """`condition`, built over this source's expressions, as a condition over Contact."""
        return condition


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


def context_period(*, ctx: CompileContext, window: SalesWindow) -> Period:
    """The window's instants; its end is `ctx.now_parameter` when the window ends now."""
    period = window_period(window, now=ctx.now)
    if ctx.now_parameter is not None and window.kind == "last_days":
        return Period(period.start, ctx.now_parameter, end_inclusive=period.end_inclusive)  # type: ignore[arg-type]
    return period


def period_filter(prefix: str, period: Period) -> Q:
    condition = Q()
    if period.start is not None:
        condition &= Q(**{f"{prefix}__gte": period.start})
    if period.end is not None:
        lookup = "lte" if period.end_inclusive else "lt"
        condition &= Q(**{f"{prefix}__{lookup}": period.end})
    return condition


def counted_orders(*, ctx: CompileContext, window: SalesWindow) -> QuerySet:
    """Counted orders (not cancelled) of every company within the window."""
    from orders.models import Order

    return Order.objects.filter(period_filter("ordered_at", context_period(ctx=ctx, window=window))).exclude(
        status=Order.Status.CANCELLED
    )


def counted_order_lines(*, ctx: CompileContext, window: SalesWindow) -> QuerySet:
    from orders.models import Order, OrderLine

    return OrderLine.objects.filter(period_filter("order__ordered_at", context_period(ctx=ctx, window=window))).exclude(
        order__status=Order.Status.CANCELLED
    )


def company_orders(*, ctx: CompileContext, window: SalesWindow) -> QuerySet:
    """Counted orders of the outer contact's company within the window."""
    return counted_orders(ctx=ctx, window=window).filter(company_id=OuterRef("company_id"))


def company_order_lines(*, ctx: CompileContext, window: SalesWindow) -> QuerySet:
    return counted_order_lines(ctx=ctx, window=window).filter(order__company_id=OuterRef("company_id"))


def statistics_condition(rows: QuerySet, condition: Q, *, outer: str) -> Q:
    """Contacts whose owner's row (company or contact) satisfies `condition`.

    An owner without a row has the figures of the default row (owner 0): the contact
    matches when that row does and its owner has no row of its own. Every part is an
    uncorrelated subquery, which the database evaluates once per query.
    """
    from segments.statistics import DEFAULT_OWNER

    owned = rows.exclude(owner=DEFAULT_OWNER)
    matching = Q(**{f"{outer}__in": owned.filter(condition).values("owner")})
    default_matches = Exists(rows.filter(owner=DEFAULT_OWNER).filter(condition))
    return matching | (Q(default_matches) & ~Q(**{f"{outer}__in": owned.values("owner")}))


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

    @property
    def level(self) -> str:
        """Whether the figure needs order lines or only orders."""
        return "lines" if self.kind in ("quantity", "distinct_products", "distinct_categories") else "orders"

    def _statistics_key(self, ctx: CompileContext, window: SalesWindow) -> str | None:
        return ctx.statistics.sales_key(window, self.level) if ctx.statistics is not None else None

    def scoped(self, condition: Q, *, ctx: CompileContext, window: SalesWindow, op: str) -> Q:
        key = self._statistics_key(ctx, window)
        if key is None:
            return condition
        from segments.models import RunSalesStatistics

        return statistics_condition(RunSalesStatistics.objects.filter(window_key=key), condition, outer="company_id")

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        if self._statistics_key(ctx, window) is not None:
            return F(self.kind)  # a column of the run's RunSalesStatistics row
        if self.level == "lines":
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

    def scoped(self, condition: Q, *, ctx: CompileContext, window: SalesWindow, op: str) -> Q:
        # Both parts come from the same row (the same statistics or the same contact).
        return self.numerator.scoped(condition, ctx=ctx, window=window, op=op)


@dataclass(frozen=True)
class OpenCartAggregate(ScalarSource):
    kind: str  # line_count, quantity, value, last_item_added_at
    nullable: bool = False
    scale: int = 1

    def scoped(self, condition: Q, *, ctx: CompileContext, window: SalesWindow, op: str) -> Q:
        if ctx.statistics is None or not ctx.statistics.cart:
            return condition
        from segments.models import RunCartStatistics

        return statistics_condition(RunCartStatistics.objects.all(), condition, outer="pk")

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        if ctx.statistics is not None and ctx.statistics.cart:
            return F(self.kind)  # a column of the run's RunCartStatistics row
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

    def scoped(self, condition: Q, *, ctx: CompileContext, window: SalesWindow, op: str) -> Q:
        if ctx.statistics is None:
            return condition
        from accounts.models import CompanyAttributeValue

        rows = CompanyAttributeValue.objects.filter(definition__name=self.name)
        matching = Q(company_id__in=rows.filter(condition).values("company_id"))
        if op != "is_empty":  # a company without a value has NULL: only is_empty holds (rules.md, null semantics)
            return matching
        return matching | ~Q(company_id__in=rows.values("company_id"))

    def expression(self, *, ctx: CompileContext, window: SalesWindow) -> Expression:
        if ctx.statistics is not None:
            return F(self.column)  # of the CompanyAttributeValue row, see `scoped`
        from accounts.models import CompanyAttributeValue

        values = CompanyAttributeValue.objects.filter(company_id=OuterRef("company_id"), definition__name=self.name)
        return Subquery(values.values(self.column)[:1])


# ---------------------------------------------------------------- reference sources


def categories_under(slugs: tuple[str, ...]) -> QuerySet:
    """Ids of the categories with these slugs and of all their descendants (the closure table)."""
    from catalog.models import CategoryAncestry

    return CategoryAncestry.objects.filter(ancestor__slug__in=slugs).values("category_id")


def _company_of(contact_id: int) -> Subquery:
    from accounts.models import Contact

    return Subquery(Contact.objects.filter(pk=contact_id).values("company_id")[:1])


class ReferenceSource:
    """A set per contact (channels used, products bought, ...): `Exists` per contact, or a semi-join in a run."""

    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists | Q:
        raise NotImplementedError

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        """The contact's actual set, for explain."""
        raise NotImplementedError


@dataclass(frozen=True)
class ChannelsUsed(ReferenceSource):
    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists | Q:
        if ctx.statistics is not None:
            return Q(company_id__in=counted_orders(ctx=ctx, window=window).filter(channel__in=values).values("company_id"))
        return Exists(company_orders(ctx=ctx, window=window).filter(channel__in=values))

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        from orders.models import Order

        orders = Order.objects.filter(
            period_filter("ordered_at", window_period(window, now=ctx.now)),
            company_id=_company_of(contact_id),
        ).exclude(status=Order.Status.CANCELLED)
        return sorted(set(orders.values_list("channel", flat=True)))


@dataclass(frozen=True)
class BoughtProducts(ReferenceSource):
    by_category: bool = False

    def _lines(self, lines: QuerySet, values: tuple[str, ...]) -> QuerySet:
        if self.by_category:
            return lines.filter(product__category_id__in=categories_under(values))
        return lines.filter(product__sku__in=values)

    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists | Q:
        if ctx.statistics is not None:
            lines = self._lines(counted_order_lines(ctx=ctx, window=window), values)
            return Q(company_id__in=lines.values("order__company_id"))
        return Exists(self._lines(company_order_lines(ctx=ctx, window=window), values))

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        from orders.models import Order, OrderLine

        lines = OrderLine.objects.filter(
            period_filter("order__ordered_at", window_period(window, now=ctx.now)),
            order__company_id=_company_of(contact_id),
        ).exclude(order__status=Order.Status.CANCELLED)
        column = "product__category__slug" if self.by_category else "product__sku"
        return sorted(set(lines.values_list(column, flat=True)))


@dataclass(frozen=True)
class CartProducts(ReferenceSource):
    by_category: bool = False

    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists | Q:
        from orders.models import Cart, CartLine

        lines = CartLine.objects.filter(cart__status=Cart.Status.OPEN)
        if self.by_category:
            lines = lines.filter(product__category_id__in=categories_under(values))
        else:
            lines = lines.filter(product__sku__in=values)
        if ctx.statistics is not None:
            return Q(pk__in=lines.values("cart__contact_id"))
        return Exists(lines.filter(cart__contact_id=OuterRef("pk")))

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        from orders.models import Cart, CartLine

        lines = CartLine.objects.filter(cart__contact_id=contact_id, cart__status=Cart.Status.OPEN)
        column = "product__category__slug" if self.by_category else "product__sku"
        return sorted(set(lines.values_list(column, flat=True)))


@dataclass(frozen=True)
class SegmentsJoined(ReferenceSource):
    def matching(self, *, ctx: CompileContext, window: SalesWindow, values: tuple[str, ...]) -> Exists | Q:
        from segments.models import SegmentMembership

        memberships = SegmentMembership.objects.filter(segment__slug__in=values)
        if ctx.statistics is not None:
            return Q(pk__in=memberships.values("contact_id"))
        return Exists(memberships.filter(contact_id=OuterRef("pk")))

    def members(self, *, ctx: CompileContext, window: SalesWindow, contact_id: int) -> list[str]:
        from segments.models import SegmentMembership

        memberships = SegmentMembership.objects.filter(contact_id=contact_id)
        return sorted(memberships.values_list("segment__slug", flat=True))
