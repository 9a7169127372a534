"""The floor: hand-written SQL with per-company aggregates computed once.

For every sales window the segments use, one grouped query over orders and order
lines writes a temporary table of per-company aggregates; one more does the open
carts per contact. Each segment is then one SELECT over contacts joined to those
tables (plus customer value and custom attributes), with reference conditions as
uncorrelated `IN (SELECT company_id ...)` semi-joins. Values are parameters; text
compares the folded shadow columns. This is what a DBA would write by hand for
these 20 segments, and the yardstick for the engine.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.db import connection

from accounts.countries import CONTINENT_BY_COUNTRY, EU_MEMBERS
from bench.evaluators import (
    conditions,
    day_cut,
    midnight,
    number,
    window_bounds,
    window_key,
)

NUMBER_COLUMNS = {  # field -> (sql expression of the numerator, denominator expression, scale)
    "company.employee_count": "co.employee_count", "company.credit_limit": "co.credit_limit",
    "company.payment_terms_days": "co.payment_terms_days",
    "value.rfm_recency": "cv.rfm_recency", "value.rfm_frequency": "cv.rfm_frequency", "value.rfm_monetary": "cv.rfm_monetary",
    "value.lifetime_revenue": "cv.lifetime_revenue", "value.predicted_clv_12m": "cv.predicted_clv_12m",
    "cart.line_count": "COALESCE(ca.line_count, 0)", "cart.quantity": "COALESCE(ca.quantity, 0)",
    "cart.value": "COALESCE(ca.value, 0)",
}
TEXT_COLUMNS = {
    "company.erp_id": "co.erp_id_ci", "company.name": "co.name_ci", "company.region": "co.region_ci",
    "company.city": "co.city_ci", "company.sector": "co.sector_ci", "company.customer_group": "co.customer_group_ci",
    "company.price_group": "co.price_group_ci", "company.country": "LOWER(co.country)",
    "company.account_type": "LOWER(co.account_type)", "contact.email": "LOWER(u.email)", "contact.role": "LOWER(u.role)",
    "contact.language": "LOWER(u.language)", "contact.job_title": "u.job_title_ci", "value.rfm_segment": "LOWER(cv.rfm_segment)",
}
BOOLEAN_COLUMNS = {
    "company.blocked": "co.blocked", "contact.marketing_consent": "u.marketing_consent", "contact.is_active": "u.is_active",
    "value.top_25_percent": "cv.top_25_percent",
}
TIME_COLUMNS = {  # datetime columns (True) and date columns (False)
    "contact.last_login": ("u.last_login", True), "contact.date_joined": ("u.date_joined", True),
    "cart.last_item_added_at": ("ca.last_added", True), "company.customer_since": ("co.customer_since", False),
}
SIZE_BANDS = {"micro": (0, 10), "small": (10, 50), "medium": (50, 250), "large": (250, None)}


class SqlFloor:
    def __init__(self, *, now: datetime.datetime) -> None:
        self.now = now
        self.vendor = connection.vendor
        self.windows: dict[str, str] = {}  # window key -> temp table
        self.tables: list[str] = []

    # ----------------------------------------------------------- shared aggregates

    def _dt(self, value: datetime.datetime) -> Any:
        return connection.ops.adapt_datetimefield_value(value)

    def _execute(self, sql: str, params: list[Any] = ()) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall() if cursor.description else []

    def _window_sql(self, window: Any, column: str = "o.ordered_at") -> tuple[str, list[Any]]:
        start, end, inclusive = window_bounds(window, self.now)
        sql, params = [], []
        if start is not None:
            sql.append(f"{column} >= %s")
            params.append(self._dt(start))
        if end is not None:
            sql.append(f"{column} {'<=' if inclusive else '<'} %s")
            params.append(self._dt(end))
        return (" AND ".join(sql) or "1=1"), params

    def _temp(self, name: str, select: str, params: list[Any]) -> str:
        self._execute(f"DROP TABLE IF EXISTS {name}")
        self._execute(f"CREATE TEMP TABLE {name} AS {select}", params)
        self._execute(f"CREATE INDEX {name}_key ON {name} ({'contact_id' if name == 'floor_cart' else 'company_id'})")
        self._execute(f"ANALYZE {name}")  # autovacuum never analyzes temporary tables
        self.tables.append(name)
        return name

    def _sales_table(self, window: Any) -> str:
        key = window_key(window)
        if key not in self.windows:
            where, params = self._window_sql(window)
            name = f"floor_sales_{len(self.windows)}"
            self.windows[key] = self._temp(name, f"""
                SELECT o.company_id, o.order_count, o.orders, o.web_orders, o.first_at, o.last_at,
                       COALESCE(l.revenue, 0) AS revenue, COALESCE(l.quantity, 0) AS quantity,
                       COALESCE(l.products, 0) AS products, COALESCE(l.categories, 0) AS categories
                FROM (SELECT o.company_id, COUNT(DISTINCT o.order_number) AS order_count, COUNT(*) AS orders,
                             SUM(CASE WHEN o.channel = 'web' THEN 1 ELSE 0 END) AS web_orders,
                             MIN(o.ordered_at) AS first_at, MAX(o.ordered_at) AS last_at
                      FROM orders_order o WHERE o.status <> 'cancelled' AND {where} GROUP BY o.company_id) o
                LEFT JOIN (SELECT o.company_id, SUM(l.quantity * l.unit_price) AS revenue, SUM(l.quantity) AS quantity,
                                  COUNT(DISTINCT l.product_id) AS products, COUNT(DISTINCT p.category_id) AS categories
                           FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
                           JOIN catalog_product p ON p.id = l.product_id
                           WHERE o.status <> 'cancelled' AND {where} GROUP BY o.company_id) l
                  ON l.company_id = o.company_id""", params + params)
        return self.windows[key]

    def prepare(self, segments: list[dict[str, Any]]) -> None:
        """The per-company (and per-cart) aggregates, once for all segments."""
        for segment in segments:
            for node in conditions(segment["rule"]):
                if node["field"].startswith("sales.") and node["field"].split(".")[1] not in ("channel", "bought_product", "bought_category"):
                    self._sales_table(node.get("window"))
        self._temp("floor_cart", """
            SELECT c.contact_id, COUNT(*) AS line_count, SUM(l.quantity) AS quantity,
                   SUM(l.quantity * l.unit_price) AS value, MAX(l.added_at) AS last_added
            FROM orders_cartline l JOIN orders_cart c ON c.id = l.cart_id WHERE c.status = 'open' GROUP BY c.contact_id""", [])
        self._execute("DROP TABLE IF EXISTS floor_members")
        self._execute("CREATE TEMP TABLE floor_members (slug VARCHAR(120), contact_id BIGINT)")
        self.tables.append("floor_members")

    def close(self) -> None:
        for name in self.tables:
            self._execute(f"DROP TABLE IF EXISTS {name}")

    # ---------------------------------------------------------------- predicates

    def _compare(self, numerator: str, denominator: str | None, op: str, raw: Any, params: list[Any]) -> str:
        """numerator / denominator op raw, exactly (cross-multiplied); false on NULL or a zero denominator."""
        present = f"{numerator} IS NOT NULL" + (f" AND {denominator} > 0" if denominator else "")
        if op == "is_empty":
            return f"NOT ({present})"
        if op == "is_not_empty":
            return present
        parts = []
        for target, sign in ([(raw[0], ">="), (raw[1], "<=")] if op == "between" else [(raw, {
            "eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op])]):
            target = number(target)
            parts.append(f"{numerator} * %s {sign} %s * {denominator or '1'}")
            params.extend([target.denominator, target.numerator])
        return f"({present}) AND " + " AND ".join(parts)

    def _text(self, column: str, op: str, raw: Any, params: list[Any]) -> str:
        if op == "is_empty":
            return f"({column} IS NULL OR {column} = '')"
        if op == "is_not_empty":
            return f"({column} IS NOT NULL AND {column} <> '')"
        if op in ("in", "not_in"):
            items = sorted({str(item).strip().lower() for item in raw})
            params.extend(items)
            return f"{column} {'IN' if op == 'in' else 'NOT IN'} ({', '.join(['%s'] * len(items))})"
        target = str(raw).strip().lower()
        if op == "contains":
            params.append(target)
            return f"strpos({column}, %s) > 0" if self.vendor == "postgresql" else f"instr({column}, %s) > 0"
        if op == "starts_with":
            params.extend([len(target), target])
            return f"substr({column}, 1, %s) = %s"
        params.append(target)
        return f"{column} {'=' if op == 'eq' else '<>'} %s"

    def _time(self, column: str, is_datetime: bool, op: str, raw: Any, params: list[Any]) -> str:
        if op == "is_empty":
            return f"{column} IS NULL"
        if op == "is_not_empty":
            return f"{column} IS NOT NULL"
        def bound(day: datetime.date) -> Any:
            return self._dt(midnight(day)) if is_datetime else day
        if op in ("within_last_days", "more_than_days_ago"):
            params.append(bound(day_cut(op, raw, self.now)))
            return f"{column} {'>=' if op == 'within_last_days' else '<'} %s"
        one = datetime.timedelta(days=1)
        if op == "between":
            low, high = (datetime.date.fromisoformat(item.strip()) for item in raw)
            params.extend([bound(low), bound(high + one)] if is_datetime else [low, high])
            return f"{column} >= %s AND {column} {'<' if is_datetime else '<='} %s"
        day = datetime.date.fromisoformat(str(raw).strip())
        if op == "before":
            params.append(bound(day))
            return f"{column} < %s"
        params.append(bound(day + one) if is_datetime else day)  # after
        return f"{column} {'>=' if is_datetime else '>'} %s"

    def _reference(self, key: str, op: str, raw: Any, window: Any, params: list[Any]) -> str:
        items = sorted({str(item).strip() for item in raw})
        marks = ", ".join(["%s"] * len(items))
        namespace, name = key.split(".", 1)
        if namespace == "segment":
            owner, select, item_params = "u.id", f"SELECT contact_id AS owner, slug AS item FROM floor_members WHERE slug IN ({marks})", []
        elif namespace == "cart":
            column = "p.sku" if name == "contains_product" else "c2.slug"
            join = "" if name == "contains_product" else (
                " JOIN catalog_categoryancestry a ON a.category_id = p.category_id JOIN catalog_category c2 ON c2.id = a.ancestor_id")
            owner, item_params = "u.id", []
            select = (f"SELECT c.contact_id AS owner, {column} AS item FROM orders_cartline l JOIN orders_cart c ON c.id = l.cart_id"
                      f" JOIN catalog_product p ON p.id = l.product_id{join} WHERE c.status = 'open' AND {column} IN ({marks})")
        else:
            where, item_params = self._window_sql(window)
            owner = "co.id"
            if name == "channel":
                select = (f"SELECT o.company_id AS owner, o.channel AS item FROM orders_order o"
                          f" WHERE o.status <> 'cancelled' AND {where} AND o.channel IN ({marks})")
            else:
                column = "p.sku" if name == "bought_product" else "c2.slug"
                join = "" if name == "bought_product" else (
                    " JOIN catalog_categoryancestry a ON a.category_id = p.category_id JOIN catalog_category c2 ON c2.id = a.ancestor_id")
                select = (f"SELECT o.company_id AS owner, {column} AS item FROM orders_orderline l"
                          f" JOIN orders_order o ON o.id = l.order_id JOIN catalog_product p ON p.id = l.product_id{join}"
                          f" WHERE o.status <> 'cancelled' AND {where} AND {column} IN ({marks})")
        params.extend(item_params + items)
        if op == "contains_all":
            params.append(len(items))
            return f"{owner} IN (SELECT owner FROM ({select}) x GROUP BY owner HAVING COUNT(DISTINCT item) = %s)"
        return f"{owner} {'IN' if op == 'contains_any' else 'NOT IN'} (SELECT owner FROM ({select}) x)"

    def _condition(self, node: dict[str, Any], joins: dict[str, tuple[str, list[Any]]], params: list[Any]) -> str:
        key, op, raw, window = node["field"], node["op"], node.get("value"), node.get("window")
        if op in ("contains_any", "contains_all", "contains_none"):
            return self._reference(key, op, raw, window, params)
        if key.startswith("company.attr."):
            name = key.removeprefix("company.attr.")
            alias = f"av{len(joins)}"
            value_type = self._execute("SELECT value_type FROM accounts_companyattributedefinition WHERE name = %s", [name])[0][0]
            join = (f"LEFT JOIN accounts_companyattributevalue {alias} ON {alias}.company_id = co.id AND "
                    f"{alias}.definition_id = (SELECT id FROM accounts_companyattributedefinition WHERE name = %s)")
            joins.setdefault(f"attr:{name}", (join, [name]))
            alias = joins[f"attr:{name}"][0].split()[3]
            if value_type == "text":
                return self._text(f"{alias}.text_value", op, raw, params)
            if value_type == "number":
                return self._compare(f"{alias}.number_value", None, op, raw, params)
            if value_type == "date":
                return self._time(f"{alias}.date_value", False, op, raw, params)
            return self._boolean(f"{alias}.boolean_value", op, params)
        if key == "company.continent":
            if op in ("is_empty", "is_not_empty"):
                known = sorted(CONTINENT_BY_COUNTRY)
                params.extend(known)
                return f"UPPER(co.country) {'NOT IN' if op == 'is_empty' else 'IN'} ({', '.join(['%s'] * len(known))})"
            wanted = {str(item).strip().lower() for item in (raw if isinstance(raw, list) else [raw])}
            hits = sorted(c for c, continent in CONTINENT_BY_COUNTRY.items() if (continent in wanted) == (op in ("eq", "in")))
            params.extend(hits or [""])
            return f"UPPER(co.country) IN ({', '.join(['%s'] * len(hits or ['']))})"
        if key == "company.eu_member":
            countries = sorted(EU_MEMBERS) if op == "is_true" else sorted(set(CONTINENT_BY_COUNTRY) - set(EU_MEMBERS))
            params.extend(countries)
            return f"UPPER(co.country) IN ({', '.join(['%s'] * len(countries))})"
        if key == "company.size_band":
            if op in ("is_empty", "is_not_empty"):
                return f"co.employee_count IS {'' if op == 'is_empty' else 'NOT '}NULL"
            wanted = {str(item).strip().lower() for item in (raw if isinstance(raw, list) else [raw])}
            bands = [band for band in SIZE_BANDS if (band in wanted) == (op in ("eq", "in"))]
            parts = []
            for band in bands:
                low, high = SIZE_BANDS[band]
                parts.append(f"(co.employee_count >= {low}" + (f" AND co.employee_count < {high})" if high else ")"))
            return "(" + (" OR ".join(parts) or "1=0") + ")"
        if key in NUMBER_COLUMNS:
            return self._compare(NUMBER_COLUMNS[key], None, op, raw, params)
        if key == "value.revenue_percentile":
            return self._compare("100 * cv.revenue_rank", "cv.company_total", op, raw, params)
        if key in TEXT_COLUMNS:
            return self._text(TEXT_COLUMNS[key], op, raw, params)
        if key in BOOLEAN_COLUMNS:
            return self._boolean(BOOLEAN_COLUMNS[key], op, params)
        if key in TIME_COLUMNS:
            return self._time(*TIME_COLUMNS[key], op, raw, params)
        name = key.removeprefix("sales.")
        table = self._sales_table(window)
        alias = f"s_{table}"
        joins.setdefault(table, (f"LEFT JOIN {table} {alias} ON {alias}.company_id = co.id", []))
        if name in ("last_order_at", "first_order_at"):
            return self._time(f"{alias}.{'last_at' if name == 'last_order_at' else 'first_at'}", True, op, raw, params)
        if name == "average_order_value":
            return self._compare(f"COALESCE({alias}.revenue, 0)", f"{alias}.order_count", op, raw, params)
        if name == "web_share":
            return self._compare(f"100 * {alias}.web_orders", f"{alias}.orders", op, raw, params)
        column = {"revenue": "revenue", "order_count": "order_count", "quantity": "quantity",
                  "distinct_products": "products", "distinct_categories": "categories"}[name]
        return self._compare(f"COALESCE({alias}.{column}, 0)", None, op, raw, params)

    def _boolean(self, column: str, op: str, params: list[Any]) -> str:
        params.append(op == "is_true")
        return f"{column} = %s"

    def _predicate(self, node: dict[str, Any], joins, params: list[Any]) -> str:
        if "all" in node:
            return "(" + (" AND ".join(self._predicate(child, joins, params) for child in node["all"]) or "1=1") + ")"
        if "any" in node:
            return "(" + (" OR ".join(self._predicate(child, joins, params) for child in node["any"]) or "1=0") + ")"
        if "not" in node:
            return f"NOT {self._predicate(node['not'], joins, params)}"
        return f"COALESCE(({self._condition(node, joins, params)}), 1=0)"  # two-valued

    def segment_sql(self, rule: dict[str, Any]) -> tuple[str, list[Any]]:
        joins: dict[str, tuple[str, list[Any]]] = {}
        params: list[Any] = []
        where = self._predicate(rule, joins, params)
        join_params = [param for _sql, join_params in joins.values() for param in join_params]
        sql = ("SELECT u.id FROM accounts_user u JOIN accounts_company co ON co.id = u.company_id"
               " LEFT JOIN segments_companyvalue cv ON cv.company_id = co.id"
               " LEFT JOIN floor_cart ca ON ca.contact_id = u.id "
               + " ".join(join_sql for join_sql, _params in joins.values()) + f" WHERE {where}")
        return sql, join_params + params

    def members(self, segments: list[dict[str, Any]]) -> dict[str, set[int]]:
        referenced = {
            str(item).strip() for segment in segments for node in conditions(segment["rule"])
            if node["field"] == "segment.member_of" for item in node["value"]
        }
        result = {}
        self.seconds: dict[str, float] = {}
        for segment in segments:  # referenced segments first
            started = time.perf_counter()
            sql, params = self.segment_sql(segment["rule"])
            ids = {row[0] for row in self._execute(sql, params)}
            result[segment["slug"]] = ids
            if segment["slug"] in referenced:  # kept for segment.member_of, like a materialised membership
                self._execute(f"INSERT INTO floor_members (slug, contact_id) {sql.replace('SELECT u.id', 'SELECT %s, u.id', 1)}",
                              [segment["slug"], *params])
                self._execute("ANALYZE floor_members")
            self.seconds[segment["slug"]] = round(time.perf_counter() - started, 3)
        return result
