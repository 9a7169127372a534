"""A tiny reference evaluator of segment rule JSON, for tests only.

It reads spec/rules.md, not segments/compiler.py: every row is loaded once into a
`Snapshot`, each field's value is computed for one contact in plain Python, and the
operator is applied to that value. It shares no code with the compiler or the value
sources; only the country table (data the spec asks to keep in one module) is reused.

    snapshot = snapshot_load(now=now)
    members(rule_json, snapshot=snapshot)  # the pks of the matching contacts
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from accounts.countries import CONTINENT_BY_COUNTRY, EU_MEMBERS
from accounts.models import Company, CompanyAttributeDefinition, CompanyAttributeValue, Contact
from catalog.models import Category, Product
from orders.models import Cart, CartLine, Order, OrderLine
from segments.models import CompanyValue, SegmentMembership

NUMBER, TEXT, ENUM, BOOLEAN, DATETIME, DATE, REFERENCE = "number", "text", "enum", "boolean", "datetime", "date", "reference"

# The field list of rules.md with the type the spec gives each field.
FIELD_TYPES: dict[str, str] = {
    "company.erp_id": TEXT, "company.name": TEXT, "company.country": ENUM, "company.region": TEXT,
    "company.city": TEXT, "company.continent": ENUM, "company.eu_member": BOOLEAN, "company.sector": TEXT,
    "company.size_band": ENUM, "company.employee_count": NUMBER, "company.customer_group": TEXT,
    "company.price_group": TEXT, "company.credit_limit": NUMBER, "company.payment_terms_days": NUMBER,
    "company.customer_since": DATE, "company.blocked": BOOLEAN, "company.account_type": ENUM,
    "contact.email": TEXT, "contact.role": ENUM, "contact.language": ENUM, "contact.last_login": DATETIME,
    "contact.date_joined": DATETIME, "contact.marketing_consent": BOOLEAN, "contact.job_title": TEXT,
    "contact.is_active": BOOLEAN,
    "sales.revenue": NUMBER, "sales.order_count": NUMBER, "sales.average_order_value": NUMBER,
    "sales.quantity": NUMBER, "sales.distinct_products": NUMBER, "sales.distinct_categories": NUMBER,
    "sales.last_order_at": DATETIME, "sales.first_order_at": DATETIME, "sales.web_share": NUMBER,
    "sales.channel": REFERENCE, "sales.bought_product": REFERENCE, "sales.bought_category": REFERENCE,
    "cart.line_count": NUMBER, "cart.quantity": NUMBER, "cart.value": NUMBER, "cart.last_item_added_at": DATETIME,
    "cart.contains_product": REFERENCE, "cart.contains_category": REFERENCE,
    "value.rfm_recency": NUMBER, "value.rfm_frequency": NUMBER, "value.rfm_monetary": NUMBER,
    "value.rfm_segment": ENUM, "value.revenue_percentile": NUMBER, "value.top_25_percent": BOOLEAN,
    "value.lifetime_revenue": NUMBER, "value.predicted_clv_12m": NUMBER,
    "segment.member_of": REFERENCE,
}
ATTRIBUTE_TYPES = {"text": TEXT, "number": NUMBER, "date": DATE, "boolean": BOOLEAN}


def fold(text: str) -> str:
    """Unicode lower-casing (rules.md, precise semantics 11)."""
    return text.lower()


@dataclass
class Snapshot:
    """Every row a rule can look at, as of `now`."""

    now: datetime.datetime
    zone: ZoneInfo
    contacts: list[Contact]
    companies: dict[int, Company]
    orders: dict[int, list[Order]]  # by company, cancelled ones included
    order_lines: dict[int, list[OrderLine]]  # by order
    open_cart_lines: dict[int, list[CartLine]]  # by contact
    products: dict[int, Product]
    category_parent: dict[int, int | None]
    category_slug: dict[int, str]
    values: dict[int, CompanyValue]  # by company
    attributes: dict[int, dict[str, CompanyAttributeValue]]  # by company, then attribute name
    attribute_types: dict[str, str]
    memberships: dict[int, set[str]] = field(default_factory=dict)  # contact -> segment slugs

    @property
    def today(self) -> datetime.date:
        return self.now.astimezone(self.zone).date()

    def local_day(self, value: datetime.datetime | datetime.date) -> datetime.date:
        if isinstance(value, datetime.datetime):
            return value.astimezone(self.zone).date()
        return value

    def field_type(self, key: str) -> str:
        if key.startswith("company.attr."):
            return self.attribute_types[key.removeprefix("company.attr.")]
        return FIELD_TYPES[key]

    def category_and_ancestors(self, category_id: int) -> set[str]:
        slugs = set()
        current: int | None = category_id
        while current is not None:
            slugs.add(self.category_slug[current])
            current = self.category_parent[current]
        return slugs


def snapshot_load(*, now: datetime.datetime) -> Snapshot:
    orders: dict[int, list[Order]] = defaultdict(list)
    for order in Order.objects.all():
        orders[order.company_id].append(order)
    order_lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in OrderLine.objects.all():
        order_lines[line.order_id].append(line)
    open_cart_lines: dict[int, list[CartLine]] = defaultdict(list)
    for line in CartLine.objects.select_related("cart").filter(cart__status=Cart.Status.OPEN):
        open_cart_lines[line.cart.contact_id].append(line)
    categories = list(Category.objects.all())
    attributes: dict[int, dict[str, CompanyAttributeValue]] = defaultdict(dict)
    attribute_types: dict[str, str] = {}
    for value in CompanyAttributeValue.objects.select_related("definition"):
        attributes[value.company_id][value.definition.name] = value
    for definition in CompanyAttributeDefinition.objects.all():
        attribute_types[definition.name] = ATTRIBUTE_TYPES[definition.value_type]
    memberships: dict[int, set[str]] = defaultdict(set)
    for membership in SegmentMembership.objects.select_related("segment"):
        memberships[membership.contact_id].add(membership.segment.slug)
    return Snapshot(
        now=now,
        zone=ZoneInfo(settings.SHOP_TIME_ZONE),
        contacts=list(Contact.objects.all()),
        companies={company.pk: company for company in Company.objects.all()},
        orders=orders,
        order_lines=order_lines,
        open_cart_lines=open_cart_lines,
        products={product.pk: product for product in Product.objects.all()},
        category_parent={category.pk: category.parent_id for category in categories},
        category_slug={category.pk: category.slug for category in categories},
        values={value.company_id: value for value in CompanyValue.objects.all()},
        attributes=attributes,
        attribute_types=attribute_types,
        memberships=memberships,
    )


# ----------------------------------------------------------------------- windows


def _parse_date(raw: str) -> datetime.date:
    return datetime.date.fromisoformat(raw.strip())


def in_window(ordered_at: datetime.datetime, window: Any, snapshot: Snapshot) -> bool:
    """Whether an order belongs to a sales window (rules.md: sales.*, precise semantics 2)."""
    day, today = snapshot.local_day(ordered_at), snapshot.today
    if window is None or window == "all_time":
        return True
    if window == "this_year":
        return day.year == today.year
    if window == "last_year":
        return day.year == today.year - 1
    if window == "this_quarter":
        return day.year == today.year and (day.month - 1) // 3 == (today.month - 1) // 3
    if window == "this_month":
        return (day.year, day.month) == (today.year, today.month)
    if "last_days" in window:
        return day >= today - datetime.timedelta(days=int(window["last_days"])) and ordered_at <= snapshot.now
    return _parse_date(window["from"]) <= day <= _parse_date(window["to"])


# ------------------------------------------------------------------ field values


def _sales(key: str, company_id: int, window: Any, snapshot: Snapshot) -> Any:
    orders = [
        order for order in snapshot.orders.get(company_id, [])
        if order.status != Order.Status.CANCELLED and in_window(order.ordered_at, window, snapshot)
    ]
    lines = [line for order in orders for line in snapshot.order_lines.get(order.pk, [])]
    products = [snapshot.products[line.product_id] for line in lines]
    revenue = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    order_count = len({order.order_number for order in orders})
    if key == "revenue":
        return revenue
    if key == "order_count":
        return order_count
    if key == "average_order_value":
        return Fraction(revenue) / order_count if order_count else None
    if key == "quantity":
        return sum(line.quantity for line in lines)
    if key == "distinct_products":
        return len({product.pk for product in products})
    if key == "distinct_categories":
        return len({product.category_id for product in products})
    if key == "last_order_at":
        return max((order.ordered_at for order in orders), default=None)
    if key == "first_order_at":
        return min((order.ordered_at for order in orders), default=None)
    if key == "web_share":
        web = sum(1 for order in orders if order.channel == Order.Channel.WEB)
        return Fraction(100 * web, len(orders)) if orders else None
    if key == "channel":
        return {order.channel for order in orders}
    if key == "bought_product":
        return {product.sku for product in products}
    if key == "bought_category":
        return set().union(*(snapshot.category_and_ancestors(product.category_id) for product in products))
    raise KeyError(key)


def _cart(key: str, contact_id: int, snapshot: Snapshot) -> Any:
    lines = snapshot.open_cart_lines.get(contact_id, [])
    products = [snapshot.products[line.product_id] for line in lines]
    if key == "line_count":
        return len(lines)
    if key == "quantity":
        return sum(line.quantity for line in lines)
    if key == "value":
        return sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    if key == "last_item_added_at":
        return max((line.added_at for line in lines), default=None)
    if key == "contains_product":
        return {product.sku for product in products}
    if key == "contains_category":
        return set().union(*(snapshot.category_and_ancestors(product.category_id) for product in products))
    raise KeyError(key)


def _value(key: str, company_id: int, snapshot: Snapshot) -> Any:
    row = snapshot.values.get(company_id)
    if row is None:
        return None
    if key == "revenue_percentile":
        return Fraction(100 * row.revenue_rank, row.company_total) if row.company_total else None
    return getattr(row, key)


def _size_band(employees: int | None) -> str | None:
    if employees is None:
        return None
    if employees < 10:
        return "micro"
    if employees < 50:
        return "small"
    if employees < 250:
        return "medium"
    return "large"


def field_value(key: str, contact: Contact, snapshot: Snapshot, window: Any = None) -> Any:
    """The contact's value of a field: None for NULL, a set for reference fields."""
    namespace, name = key.split(".", 1)
    company = snapshot.companies[contact.company_id]
    if namespace == "company":
        if name.startswith("attr."):
            row = snapshot.attributes.get(company.pk, {}).get(name.removeprefix("attr."))
            if row is None:
                return None
            column = {TEXT: "text_value", NUMBER: "number_value", DATE: "date_value", BOOLEAN: "boolean_value"}
            return getattr(row, column[snapshot.field_type(key)])
        if name == "continent":
            return CONTINENT_BY_COUNTRY.get(company.country)
        if name == "eu_member":
            return company.country in EU_MEMBERS if company.country in CONTINENT_BY_COUNTRY else None
        if name == "size_band":
            return _size_band(company.employee_count)
        return getattr(company, name)
    if namespace == "contact":
        return getattr(contact, name)
    if namespace == "sales":
        return _sales(name, company.pk, window, snapshot)
    if namespace == "cart":
        return _cart(name, contact.pk, snapshot)
    if namespace == "value":
        return _value(name, company.pk, snapshot)
    if namespace == "segment":
        return set(snapshot.memberships.get(contact.pk, set()))
    raise KeyError(key)


# -------------------------------------------------------------------- operators


def _number(raw: Any) -> Fraction:
    return Fraction(Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip()))


def _condition(node: dict[str, Any], contact: Contact, snapshot: Snapshot) -> bool:
    key, op, raw = node["field"], node["op"], node.get("value")
    kind = snapshot.field_type(key)
    actual = field_value(key, contact, snapshot, node.get("window"))
    if kind == REFERENCE:
        wanted = {item.strip() for item in raw}
        if op == "contains_any":
            return bool(actual & wanted)
        if op == "contains_all":
            return wanted <= actual
        return not actual & wanted  # contains_none
    if op == "is_empty":
        return actual is None or actual == ""
    if op == "is_not_empty":
        return not (actual is None or actual == "")
    if kind == BOOLEAN:
        return actual is (op == "is_true")  # NULL is neither
    if actual is None:
        return False  # every comparison with NULL is false, ne and not_in included
    if kind == NUMBER:
        value = Fraction(actual)
        if op == "between":
            low, high = (_number(item) for item in raw)
            return low <= value <= high
        target = _number(raw)
        return {
            "eq": value == target, "ne": value != target, "gt": value > target,
            "gte": value >= target, "lt": value < target, "lte": value <= target,
        }[op]
    if kind in (TEXT, ENUM):
        text = fold(actual)
        if op in ("in", "not_in"):
            found = text in {fold(item.strip()) for item in raw}
            return found if op == "in" else not found
        target = fold(raw.strip())
        return {
            "eq": text == target, "ne": text != target,
            "contains": target in text, "starts_with": text.startswith(target),
        }[op]
    day = snapshot.local_day(actual)  # DATE and DATETIME: the local calendar day
    if op == "before":
        return day < _parse_date(raw)
    if op == "after":
        return day > _parse_date(raw)
    if op == "between":
        return _parse_date(raw[0]) <= day <= _parse_date(raw[1])
    cut = snapshot.today - datetime.timedelta(days=int(raw))
    return day >= cut if op == "within_last_days" else day < cut  # more_than_days_ago


def evaluate(node: dict[str, Any], contact: Contact, snapshot: Snapshot) -> bool:
    if "all" in node:
        return all(evaluate(child, contact, snapshot) for child in node["all"])
    if "any" in node:
        return any(evaluate(child, contact, snapshot) for child in node["any"])
    if "not" in node:
        return not evaluate(node["not"], contact, snapshot)
    return _condition(node, contact, snapshot)


def members(rule: dict[str, Any], *, snapshot: Snapshot) -> set[int]:
    """Every contact is a candidate (precise semantics 13); the rule alone decides."""
    return {contact.pk for contact in snapshot.contacts if evaluate(rule, contact, snapshot)}
