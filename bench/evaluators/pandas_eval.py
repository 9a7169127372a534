"""The pandas evaluator: load the tables into dataframes, evaluate every rule there.

End to end: `PandasEvaluator(now=...).members(segments)` reads the contacts,
companies, orders, order lines, open carts, products, categories, customer value
rows and custom attributes with one query each, then evaluates each condition as a
vectorised mask over all contacts. Numbers are exact: money in integer cents, ratios
compared by cross-multiplying, custom numbers in millionths.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection

from bench.evaluators import (
    day_cut,
    midnight,
    number,
    window_bounds,
    window_key,
)

# (type, source) of each static field. Sources: c.<col> contact column, co.<col> company column,
# v.<col> customer value column; sales/cart/derived ones are computed below.
NUMBER, TEXT, ENUM, BOOLEAN, DATETIME, DATE, REFERENCE = "number", "text", "enum", "boolean", "datetime", "date", "reference"
COMPANY_FIELDS = {
    "erp_id": TEXT, "name": TEXT, "country": ENUM, "region": TEXT, "city": TEXT, "sector": TEXT, "customer_group": TEXT,
    "price_group": TEXT, "employee_count": NUMBER, "credit_limit": NUMBER, "payment_terms_days": NUMBER,
    "customer_since": DATE, "blocked": BOOLEAN, "account_type": ENUM,
}
CONTACT_FIELDS = {
    "email": TEXT, "role": ENUM, "language": ENUM, "last_login": DATETIME, "date_joined": DATETIME,
    "marketing_consent": BOOLEAN, "job_title": TEXT, "is_active": BOOLEAN,
}
VALUE_FIELDS = {
    "rfm_recency": NUMBER, "rfm_frequency": NUMBER, "rfm_monetary": NUMBER, "rfm_segment": ENUM,
    "top_25_percent": BOOLEAN, "lifetime_revenue": NUMBER, "predicted_clv_12m": NUMBER, "revenue_percentile": NUMBER,
}
SCALES = {"credit_limit": 100, "lifetime_revenue": 100, "predicted_clv_12m": 100}


def _frame(sql: str, columns: list[str]) -> pd.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def _cents(expression: str, scale: int = 100) -> str:
    return f"CAST(ROUND({expression} * {scale}) AS BIGINT)"


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, format="ISO8601") if len(series) else pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns, UTC]")


def _ts(value: datetime.datetime) -> pd.Timestamp:
    return pd.Timestamp(value).tz_convert("UTC")


class PandasEvaluator:
    def __init__(self, *, now: datetime.datetime) -> None:
        self.now = now
        self.contacts = _frame(
            "SELECT u.id, u.company_id, u.email, u.role, u.language, u.last_login, u.date_joined, u.marketing_consent,"
            " u.job_title, u.is_active FROM accounts_user u WHERE u.company_id IS NOT NULL",
            ["id", "company_id", *CONTACT_FIELDS],
        )
        for column in ("last_login", "date_joined"):
            self.contacts[column] = _utc(self.contacts[column])
        self.companies = _frame(
            "SELECT id, erp_id, name, country, region, city, sector, customer_group, price_group, employee_count, "
            f"{_cents('credit_limit')}, payment_terms_days, customer_since, blocked, account_type FROM accounts_company",
            ["company_id", *COMPANY_FIELDS],
        ).set_index("company_id")
        self.orders = _frame(
            "SELECT id, company_id, order_number, ordered_at, channel FROM orders_order WHERE status <> 'cancelled'",
            ["order_id", "company_id", "order_number", "ordered_at", "channel"],
        )
        self.orders["ordered_at"] = _utc(self.orders["ordered_at"])
        lines = _frame(
            f"SELECT order_id, product_id, quantity, {_cents('unit_price')} FROM orders_orderline",
            ["order_id", "product_id", "quantity", "price_cents"],
        )
        self.lines = lines.merge(self.orders[["order_id", "company_id", "ordered_at"]], on="order_id")
        self.lines["amount"] = self.lines["quantity"].astype("int64") * self.lines["price_cents"].astype("int64")
        self.cart_lines = _frame(
            f"SELECT c.contact_id, l.product_id, l.quantity, {_cents('l.unit_price')}, l.added_at FROM orders_cartline l"
            " JOIN orders_cart c ON c.id = l.cart_id WHERE c.status = 'open'",
            ["contact_id", "product_id", "quantity", "price_cents", "added_at"],
        )
        self.cart_lines["added_at"] = _utc(self.cart_lines["added_at"])
        products = _frame("SELECT id, sku, category_id FROM catalog_product", ["product_id", "sku", "category_id"])
        categories = _frame("SELECT id, parent_id, slug FROM catalog_category", ["id", "parent_id", "slug"])
        parent = dict(zip(categories["id"], categories["parent_id"]))
        slug = dict(zip(categories["id"], categories["slug"]))
        pairs = []
        for category in parent:
            current = category
            while current is not None and not pd.isna(current):
                pairs.append((category, slug[current]))
                current = parent[current]
        ancestry = pd.DataFrame(pairs, columns=["category_id", "ancestor"])
        self.product_categories = products.merge(ancestry, on="category_id")[["product_id", "ancestor"]]
        self.products = products.set_index("product_id")
        self.values = _frame(
            "SELECT company_id, rfm_recency, rfm_frequency, rfm_monetary, rfm_segment, top_25_percent, "
            f"{_cents('lifetime_revenue')}, {_cents('predicted_clv_12m')}, revenue_rank, company_total FROM segments_companyvalue",
            ["company_id", *[key for key in VALUE_FIELDS if key != "revenue_percentile"], "revenue_rank", "company_total"],
        ).set_index("company_id")
        self.attributes = _frame(
            "SELECT v.company_id, d.name, d.value_type, v.text_value, "
            f"{_cents('v.number_value', 10**6)}, v.date_value, v.boolean_value FROM accounts_companyattributevalue v "
            "JOIN accounts_companyattributedefinition d ON d.id = v.definition_id",
            ["company_id", "name", "value_type", "text_value", "number_value", "date_value", "boolean_value"],
        )
        self.attribute_types = dict(_frame("SELECT name, value_type FROM accounts_companyattributedefinition", ["name", "t"]).values)
        self.company_of = self.contacts["company_id"].to_numpy()
        self.contact_ids = self.contacts["id"].to_numpy()
        self._sales: dict[str, pd.DataFrame] = {}
        self.memberships: dict[str, np.ndarray] = {}

    # ---------------------------------------------------------------- values per contact

    def _by_company(self, series: pd.Series) -> pd.Series:
        return series.reindex(self.company_of).reset_index(drop=True)

    def _by_contact(self, series: pd.Series) -> pd.Series:
        return series.reindex(self.contact_ids).reset_index(drop=True)

    def _window_mask(self, times: pd.Series, window: Any) -> pd.Series:
        start, end, inclusive = window_bounds(window, self.now)
        mask = pd.Series(True, index=times.index)
        if start is not None:
            mask &= times >= _ts(start)
        if end is not None:
            mask &= (times <= _ts(end)) if inclusive else (times < _ts(end))
        return mask

    def _sales_frame(self, window: Any) -> pd.DataFrame:
        key = window_key(window)
        if key not in self._sales:
            orders = self.orders[self._window_mask(self.orders["ordered_at"], window)]
            lines = self.lines[self._window_mask(self.lines["ordered_at"], window)]
            by_order = orders.groupby("company_id")
            by_line = lines.groupby("company_id")
            lines_cat = lines.merge(self.products[["category_id"]], left_on="product_id", right_index=True)
            frame = pd.DataFrame({
                "order_count": by_order["order_number"].nunique(),
                "orders": by_order.size(),
                "web_orders": (orders["channel"] == "web").groupby(orders["company_id"]).sum(),
                "last_order_at": by_order["ordered_at"].max(),
                "first_order_at": by_order["ordered_at"].min(),
            }).join(pd.DataFrame({
                "revenue": by_line["amount"].sum(),
                "quantity": by_line["quantity"].sum(),
                "distinct_products": by_line["product_id"].nunique(),
                "distinct_categories": lines_cat.groupby("company_id")["category_id"].nunique(),
            }), how="outer")
            self._sales[key] = (frame, orders, lines)
        return self._sales[key]

    def _reference(self, key: str, op: str, wanted: list[str], window: Any) -> np.ndarray:
        """contains_any / contains_all / contains_none as a mask over contacts."""
        wanted = sorted({str(item).strip() for item in wanted})
        namespace, name = key.split(".", 1)
        if namespace == "segment":
            hits = pd.DataFrame({
                "owner": np.concatenate([self.contact_ids[self.memberships[slug]] for slug in wanted]) if wanted else [],
                "item": np.concatenate([[slug] * int(self.memberships[slug].sum()) for slug in wanted]) if wanted else [],
            })
            by_contact = True
        elif namespace == "sales":
            _stats, orders, lines = self._sales_frame(window)
            if name == "channel":
                hits = orders[orders["channel"].isin(wanted)].rename(columns={"company_id": "owner", "channel": "item"})
            elif name == "bought_product":
                joined = lines.merge(self.products[["sku"]], left_on="product_id", right_index=True)
                hits = joined[joined["sku"].isin(wanted)].rename(columns={"company_id": "owner", "sku": "item"})
            else:
                joined = lines[["company_id", "product_id"]].drop_duplicates().merge(self.product_categories, on="product_id")
                hits = joined[joined["ancestor"].isin(wanted)].rename(columns={"company_id": "owner", "ancestor": "item"})
            by_contact = False
        else:  # cart
            if name == "contains_product":
                joined = self.cart_lines.merge(self.products[["sku"]], left_on="product_id", right_index=True)
                hits = joined[joined["sku"].isin(wanted)].rename(columns={"contact_id": "owner", "sku": "item"})
            else:
                joined = self.cart_lines.merge(self.product_categories, on="product_id")
                hits = joined[joined["ancestor"].isin(wanted)].rename(columns={"contact_id": "owner", "ancestor": "item"})
            by_contact = True
        found = hits.groupby("owner")["item"].nunique() if len(hits) else pd.Series(dtype="int64")
        counts = (self._by_contact(found) if by_contact else self._by_company(found)).fillna(0).to_numpy()
        if op == "contains_any":
            return counts > 0
        if op == "contains_all":
            return counts == len(wanted)
        return counts == 0

    def _value(self, key: str, window: Any) -> tuple[str, Any]:
        """(kind, values): numbers as (numerator Series, denominator Series or int), text folded."""
        namespace, name = key.split(".", 1)
        if namespace == "company" and name.startswith("attr."):
            attribute = name.removeprefix("attr.")
            kind = {"text": TEXT, "number": NUMBER, "date": DATE, "boolean": BOOLEAN}[self.attribute_types[attribute]]
            rows = self.attributes[self.attributes["name"] == attribute].set_index("company_id")
            column = {TEXT: "text_value", NUMBER: "number_value", DATE: "date_value", BOOLEAN: "boolean_value"}[kind]
            values = self._by_company(rows[column])
            return (kind, (values, 10**6)) if kind == NUMBER else (kind, values)
        if namespace == "company" and name in ("continent", "eu_member"):
            from accounts.countries import CONTINENT_BY_COUNTRY, EU_MEMBERS

            country = self._by_company(self.companies["country"])
            continent = country.map(CONTINENT_BY_COUNTRY)
            if name == "continent":
                return ENUM, continent.where(continent.notna(), None)
            return BOOLEAN, country.isin(EU_MEMBERS).astype(object).where(continent.notna(), None)
        if namespace == "company" and name == "size_band":
            employees = self._by_company(self.companies["employee_count"]).astype("Float64")
            bands = pd.Series(None, index=employees.index, dtype=object)
            for band, low, high in (("micro", 0, 10), ("small", 10, 50), ("medium", 50, 250), ("large", 250, np.inf)):
                bands[((employees >= low) & (employees < high)).fillna(False).astype(bool)] = band
            return ENUM, bands
        if namespace == "company":
            kind = COMPANY_FIELDS[name]
            values = self._by_company(self.companies[name])
            return (kind, (values, SCALES.get(name, 1))) if kind == NUMBER else (kind, values)
        if namespace == "contact":
            return CONTACT_FIELDS[name], self.contacts[name].reset_index(drop=True)
        if namespace == "value":
            if name == "revenue_percentile":
                return NUMBER, (100 * self._by_company(self.values["revenue_rank"]), self._by_company(self.values["company_total"]))
            kind = VALUE_FIELDS[name]
            values = self._by_company(self.values[name])
            return (kind, (values, SCALES.get(name, 1))) if kind == NUMBER else (kind, values)
        if namespace == "cart":
            grouped = self.cart_lines.assign(value=self.cart_lines["quantity"].astype("int64") * self.cart_lines["price_cents"].astype("int64")).groupby("contact_id")
            if name == "last_item_added_at":
                return DATETIME, self._by_contact(grouped["added_at"].max())
            column = {"line_count": grouped.size(), "quantity": grouped["quantity"].sum(), "value": grouped["value"].sum()}[name]
            return NUMBER, (self._by_contact(column).fillna(0), 100 if name == "value" else 1)
        frame = self._sales_frame(window)[0]
        if name in ("last_order_at", "first_order_at"):
            return DATETIME, self._by_company(frame[name])
        orders = self._by_company(frame["order_count"]).fillna(0)
        if name == "average_order_value":
            return NUMBER, (self._by_company(frame["revenue"]).fillna(0), 100 * orders)
        if name == "web_share":
            return NUMBER, (100 * self._by_company(frame["web_orders"]).fillna(0), self._by_company(frame["orders"]).fillna(0))
        return NUMBER, (self._by_company(frame[name]).fillna(0), 100 if name == "revenue" else 1)

    # ------------------------------------------------------------------- operators

    def _condition(self, node: dict[str, Any]) -> np.ndarray:
        key, op, raw = node["field"], node["op"], node.get("value")
        if op in ("contains_any", "contains_all", "contains_none"):
            return self._reference(key, op, raw, node.get("window"))
        kind, values = self._value(key, node.get("window"))
        if kind == NUMBER:
            numerator, denominator = values
            numerator = pd.Series(numerator, dtype=object)
            denominator = denominator if isinstance(denominator, int) else pd.Series(denominator, dtype=object)
            present = numerator.notna() & ((denominator > 0) if not isinstance(denominator, int) else True)
            present = np.asarray(present, dtype=bool)
            if op == "is_empty":
                return ~present
            if op == "is_not_empty":
                return present
            num = numerator.where(present, 0).astype(object)
            den = denominator if isinstance(denominator, int) else denominator.where(present, 1).astype(object)

            def compare(target, operator):
                target = number(target)
                left, right = num * target.denominator, den * target.numerator  # exact Python ints
                return np.asarray(operator(left, right), dtype=bool) & present

            if op == "between":
                return compare(raw[0], lambda a, b: a >= b) & compare(raw[1], lambda a, b: a <= b)
            operators = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
                         "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
            return compare(raw, operators[op])
        series = pd.Series(values, dtype=object)
        null = series.isna().to_numpy()
        if kind in (TEXT, ENUM):
            if op == "is_empty":
                return null | (series == "").to_numpy()
            if op == "is_not_empty":
                return ~(null | (series == "").to_numpy())
            text = series.where(~null, "").map(str.lower)
            if op in ("in", "not_in"):
                found = text.isin({str(item).strip().lower() for item in raw}).to_numpy()
                return (found if op == "in" else ~found) & ~null
            target = str(raw).strip().lower()
            result = {
                "eq": lambda: text == target, "ne": lambda: text != target,
                "contains": lambda: text.map(lambda value: target in value),
                "starts_with": lambda: text.map(lambda value: value.startswith(target)),
            }[op]()
            return np.asarray(result, dtype=bool) & ~null
        if kind == BOOLEAN:
            return np.asarray(series.map(lambda value: value is not None and not pd.isna(value) and bool(value) is (op == "is_true")), dtype=bool)
        if op == "is_empty":
            return null
        if op == "is_not_empty":
            return ~null
        if kind == DATE:
            days = series.map(lambda value: None if value is None or pd.isna(value) else (value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))))
            def day_test(test):
                return np.asarray(days.map(lambda day: day is not None and test(day)), dtype=bool)
        else:
            times = pd.to_datetime(series, utc=True)
            def day_test(test):
                raise AssertionError
        if op in ("within_last_days", "more_than_days_ago"):
            cut = day_cut(op, raw, self.now)
            if kind == DATE:
                return day_test((lambda day: day >= cut) if op == "within_last_days" else (lambda day: day < cut))
            bound = _ts(midnight(cut))
            return np.asarray((times >= bound) if op == "within_last_days" else (times < bound), dtype=bool) & ~null
        if op == "between":
            low, high = (datetime.date.fromisoformat(item.strip()) for item in raw)
        else:
            low = high = datetime.date.fromisoformat(str(raw).strip())
        if kind == DATE:
            tests = {"before": lambda day: day < low, "after": lambda day: day > high, "between": lambda day: low <= day <= high}
            return day_test(tests[op])
        start, end = _ts(midnight(low)), _ts(midnight(high + datetime.timedelta(days=1)))
        masks = {"before": lambda: times < start, "after": lambda: times >= end, "between": lambda: (times >= start) & (times < end)}
        return np.asarray(masks[op](), dtype=bool) & ~null

    def _evaluate(self, node: dict[str, Any]) -> np.ndarray:
        if "all" in node:
            mask = np.ones(len(self.contact_ids), dtype=bool)
            for child in node["all"]:
                mask &= self._evaluate(child)
            return mask
        if "any" in node:
            mask = np.zeros(len(self.contact_ids), dtype=bool)
            for child in node["any"]:
                mask |= self._evaluate(child)
            return mask
        if "not" in node:
            return ~self._evaluate(node["not"])
        return self._condition(node)

    def members(self, segments: list[dict[str, Any]]) -> dict[str, set[int]]:
        result = {}
        for segment in segments:  # referenced segments first
            mask = self._evaluate(segment["rule"])
            self.memberships[segment["slug"]] = mask
            result[segment["slug"]] = set(self.contact_ids[mask].tolist())
        return result
