"""Figures a refresh run computes once and every segment of the run shares.

Without them each `sales.*` and `cart.*` condition is a correlated aggregate that the
database evaluates again for every contact (and again for each bound of `between`).
At the start of a run, `run_statistics_prepare` aggregates what the run's rules need in
one grouped pass per sales window (per-company sales figures) and one over the open
carts (per-contact figures), into session-local temporary tables that the unmanaged
models `RunSalesStatistics` and `RunCartStatistics` read. The compiler, given the
returned `RunStatistics`, turns such conditions into semi-joins on those rows
(`sources.statistics_condition`). Each table holds one default row (owner 0) with the
figures of an owner without rows: 0 for counts and sums, NULL for dates. A temporary
table is private to the database session, so concurrent runs never see each other's.

The rows are computed by the same ORM aggregates the correlated sources use, so both
paths compare the same numbers on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, ExpressionWrapper, F, Max, Min, Q, QuerySet, Sum

from segments.fields import FieldRegistry
from segments.models import RunCartStatistics, RunSalesStatistics
from segments.rules import ALL_TIME, RuleNode, SalesWindow, iter_conditions
from segments.sources import MONEY, OpenCartAggregate, Ratio, SalesAggregate, period_filter
from segments.windows import window_period

DEFAULT_OWNER = 0

_COLUMN_TYPES = {
    "postgresql": {"key": "varchar(255)", "id": "bigint", "count": "bigint", "money": "numeric(20, 2)",
                   "instant": "timestamp with time zone"},
    "sqlite": {"key": "varchar(255)", "id": "integer", "count": "integer", "money": "decimal", "instant": "datetime"},
}


def window_key(window: SalesWindow) -> str:
    return json.dumps(window.as_json(), sort_keys=True)


@dataclass(frozen=True)
class RunStatistics:
    """Which figures a run materialised: sales levels ("orders", "lines") per window key, open carts."""

    now: datetime.datetime
    sales: dict[str, frozenset[str]] = field(default_factory=dict)
    cart: bool = False

    def sales_key(self, window: SalesWindow, level: str) -> str | None:
        """The window's key in RunSalesStatistics when the run computed that level, else None."""
        key = window_key(window)
        return key if level in self.sales.get(key, frozenset()) else None


def _aggregate_parts(source) -> Iterable:
    if isinstance(source, Ratio):
        return (source.numerator, source.denominator)
    return (source,)


def run_statistics_needed(*, nodes: Iterable[RuleNode], registry: FieldRegistry) -> tuple[dict[str, tuple[SalesWindow, set[str]]], bool]:
    """(window key -> (window, levels), whether carts are needed) for these rules."""
    sales: dict[str, tuple[SalesWindow, set[str]]] = {}
    cart = False
    for node in nodes:
        for condition in iter_conditions(node):
            spec = registry.get(condition.field)
            if spec is None:
                continue
            window = condition.window or ALL_TIME
            for part in _aggregate_parts(spec.source):
                if isinstance(part, SalesAggregate):
                    sales.setdefault(window_key(window), (window, set()))[1].add(part.level)
                elif isinstance(part, OpenCartAggregate):
                    cart = True
    return sales, cart


def run_statistics_prepare(*, nodes: Iterable[RuleNode], registry: FieldRegistry, now: datetime.datetime) -> RunStatistics:
    """Aggregate, once, the sales and cart figures these rules read; the compiler then reads the rows."""
    sales, cart = run_statistics_needed(nodes=nodes, registry=registry)
    with connection.cursor() as cursor:
        _table_reset(cursor, RunSalesStatistics)
        _sales_fill(cursor, windows=sales, now=now)
        _table_reset(cursor, RunCartStatistics)
        if cart:
            _cart_fill(cursor)
        if connection.vendor == "postgresql":  # autovacuum never analyses temporary tables; the planner needs counts
            cursor.execute(f"ANALYZE {_table(RunSalesStatistics)}, {_table(RunCartStatistics)}")
    return RunStatistics(
        now=now, sales={key: frozenset(levels) for key, (_window, levels) in sales.items()}, cart=cart
    )


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(names: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


_SALES_COLUMNS = (
    ("window_key", "key"), ("owner", "id"), ("revenue", "money"), ("order_count", "count"), ("web_orders", "count"),
    ("quantity", "count"), ("distinct_products", "count"), ("distinct_categories", "count"),
    ("first_order_at", "instant"), ("last_order_at", "instant"),
)
_CART_COLUMNS = (
    ("owner", "id"), ("line_count", "count"), ("quantity", "count"), ("value", "money"), ("last_item_added_at", "instant"),
)
_LAYOUT = {RunSalesStatistics: (_SALES_COLUMNS, ("window_key", "owner")), RunCartStatistics: (_CART_COLUMNS, ("owner",))}


def _table_reset(cursor, model) -> None:
    """Create the session's temporary table if needed and empty it."""
    columns, key = _LAYOUT[model]
    types = _COLUMN_TYPES[connection.vendor]
    definition = ", ".join(
        f"{connection.ops.quote_name(name)} {types[kind]}{'' if kind == 'instant' else ' NOT NULL'}" for name, kind in columns
    )
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_table(model)} ({definition}, PRIMARY KEY ({_columns(key)}))")
    cursor.execute(f"DELETE FROM {_table(model)}")


def _select(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _sales_fill(cursor, *, windows: dict[str, tuple[SalesWindow, set[str]]], now: datetime.datetime) -> None:
    """One grouped pass over the orders and one over the order lines for every window at once.

    Each window's figures are aggregates filtered to its period; a company gets a row per
    window (figures of a company without orders in a window equal the default row's).
    """
    from orders.models import Order, OrderLine

    if not windows:
        return
    keys = list(windows)
    periods = [window_period(windows[key][0], now=now) for key in keys]
    order_periods = [period_filter("ordered_at", period) for period in periods]
    line_periods = [period_filter("order__ordered_at", period) for period in periods]
    order_figures, line_figures = {}, {}
    for index, (in_period, lines_in_period) in enumerate(zip(order_periods, line_periods, strict=True)):
        order_figures.update({
            f"revenue_{index}": Sum("total_amount", filter=in_period),
            f"orders_{index}": Count("id", filter=in_period),
            f"web_{index}": Count("id", filter=in_period & Q(channel=Order.Channel.WEB)),
            f"first_{index}": Min("ordered_at", filter=in_period),
            f"last_{index}": Max("ordered_at", filter=in_period),
        })
        if "lines" in windows[keys[index]][1]:
            line_figures.update({
                f"quantity_{index}": Sum("quantity", filter=lines_in_period),
                f"products_{index}": Count("product_id", distinct=True, filter=lines_in_period),
                f"categories_{index}": Count("product__category_id", distinct=True, filter=lines_in_period),
            })
    orders = Order.objects.filter(_union(order_periods)).exclude(status=Order.Status.CANCELLED).order_by()
    orders_sql, orders_params = _select(orders.values(owner_key=F("company_id")).annotate(**order_figures))
    ctes, params = [f"o AS ({orders_sql})"], [*orders_params]
    if line_figures:
        lines = OrderLine.objects.filter(_union(line_periods)).exclude(order__status=Order.Status.CANCELLED).order_by()
        lines_sql, lines_params = _select(lines.values(owner_key=F("order__company_id")).annotate(**line_figures))
        ctes.append(f"l AS ({lines_sql})")
        params.extend(lines_params)
    selects = []
    for index, key in enumerate(keys):
        if f"quantity_{index}" in line_figures:
            from_lines = (f"COALESCE(l.quantity_{index}, 0), COALESCE(l.products_{index}, 0), "
                          f"COALESCE(l.categories_{index}, 0)")
            join = " LEFT JOIN l ON l.owner_key = o.owner_key"
        else:  # never read: the run marks the window as orders-only
            from_lines, join = "0, 0, 0", ""
        selects.append(
            f"SELECT %s, o.owner_key, COALESCE(o.revenue_{index}, 0), o.orders_{index}, o.web_{index}, {from_lines}, "
            f"o.first_{index}, o.last_{index} FROM o{join}"
        )
        params.append(key)
    columns = _columns(name for name, _kind in _SALES_COLUMNS)
    cursor.execute(
        f"WITH {', '.join(ctes)} INSERT INTO {_table(RunSalesStatistics)} ({columns}) {' UNION ALL '.join(selects)}",
        params,
    )
    for key in keys:
        cursor.execute(
            f"INSERT INTO {_table(RunSalesStatistics)} ({columns}) VALUES (%s, %s, 0, 0, 0, 0, 0, 0, NULL, NULL)",
            (key, DEFAULT_OWNER),
        )


def _union(periods: list[Q]) -> Q:
    """Rows in any of the periods (no condition when one of them is unbounded)."""
    if any(not period for period in periods):
        return Q()
    combined = Q()
    for period in periods:
        combined |= period
    return combined


def _cart_fill(cursor) -> None:
    from orders.models import Cart, CartLine

    lines = (
        CartLine.objects.filter(cart__status=Cart.Status.OPEN)
        .order_by()
        .values(owner_key=F("cart__contact_id"))
        .annotate(
            agg_lines=Count("id"), agg_quantity=Sum("quantity"),
            agg_value=Sum(ExpressionWrapper(F("quantity") * F("unit_price"), output_field=MONEY)),
            agg_last=Max("added_at"),
        )
    )
    sql, params = _select(lines)
    columns = _columns(name for name, _kind in _CART_COLUMNS)
    cursor.execute(
        f"INSERT INTO {_table(RunCartStatistics)} ({columns}) "
        f"SELECT c.owner_key, c.agg_lines, c.agg_quantity, c.agg_value, c.agg_last FROM ({sql}) c",
        params,
    )
    cursor.execute(f"INSERT INTO {_table(RunCartStatistics)} ({columns}) VALUES (%s, 0, 0, 0, NULL)", (DEFAULT_OWNER,))
