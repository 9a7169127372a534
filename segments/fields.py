"""The segment field registry: the only allowlist of what a rule may reference.

The validator, the compiler, the explain service, the admin rule builder and
`GET /api/segment-fields/` all read this registry; nothing else names fields,
operators or choices. Custom ERP attributes (`company.attr.<name>`) join the static
fields from their definitions (`field_registry_build`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from accounts.countries import CONTINENTS, COUNTRY_CODES
from segments.sources import (
    SIZE_BANDS,
    AttributeValue,
    BoughtProducts,
    CartProducts,
    ChannelsUsed,
    Column,
    Continent,
    EuMember,
    OpenCartAggregate,
    Ratio,
    ReferenceSource,
    SalesAggregate,
    ScalarSource,
    SegmentsJoined,
    SizeBand,
)


class FieldType(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    ENUM = "enum"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    REFERENCE = "reference"


OPERATORS: dict[FieldType, tuple[str, ...]] = {
    FieldType.NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"),
    FieldType.TEXT: ("eq", "ne", "in", "not_in", "contains", "starts_with", "is_empty", "is_not_empty"),
    FieldType.ENUM: ("eq", "ne", "in", "not_in", "is_empty", "is_not_empty"),
    FieldType.BOOLEAN: ("is_true", "is_false"),
    FieldType.DATETIME: ("before", "after", "between", "within_last_days", "more_than_days_ago", "is_empty", "is_not_empty"),
    FieldType.DATE: ("before", "after", "between", "within_last_days", "more_than_days_ago", "is_empty", "is_not_empty"),
    FieldType.REFERENCE: ("contains_any", "contains_all", "contains_none"),
}

OPERATOR_LABELS: dict[str, str] = {
    "eq": "is", "ne": "is not", "gt": "greater than", "gte": "at least", "lt": "less than", "lte": "at most",
    "between": "between", "in": "is one of", "not_in": "is none of", "contains": "contains",
    "starts_with": "starts with", "is_empty": "is empty", "is_not_empty": "is not empty", "is_true": "is yes",
    "is_false": "is no", "before": "before", "after": "after", "within_last_days": "in the last ... days",
    "more_than_days_ago": "more than ... days ago", "contains_any": "contains any of",
    "contains_all": "contains all of", "contains_none": "contains none of",
}

# Operators that take no value.
VALUELESS_OPERATORS = frozenset({"is_empty", "is_not_empty", "is_true", "is_false"})

WINDOW_NAMES: tuple[str, ...] = ("all_time", "this_year", "last_year", "this_quarter", "this_month")

CHANNELS: tuple[tuple[str, str], ...] = (
    ("web", "Web shop"), ("phone", "Phone"), ("email", "Email"), ("sales_rep", "Sales rep"), ("edi", "EDI"), ("fax", "Fax"),
)


class Namespace(StrEnum):
    COMPANY = "company"
    CONTACT = "contact"
    SALES = "sales"
    CART = "cart"
    VALUE = "value"
    SEGMENT = "segment"


NAMESPACE_LABELS: dict[str, str] = {
    "company": "Company (ERP customer data)",
    "contact": "Contact (web account)",
    "sales": "Sales statistics",
    "cart": "Open cart",
    "value": "Customer value",
    "segment": "Other segments",
}


@dataclass(frozen=True)
class Field:
    key: str
    type: FieldType
    label: str
    help_text: str
    source: ScalarSource | Ratio | ReferenceSource
    choices: tuple[tuple[str, str], ...] = ()
    windowed: bool = False
    reference: str = ""  # for reference fields: product, category, segment or channel (what the picker lists)
    unit: str = ""  # e.g. EUR, days, %

    @property
    def namespace(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.type]

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.choices)


def _choices(values: Iterable[str]) -> tuple[tuple[str, str], ...]:
    return tuple((value, value.replace("_", " ").capitalize()) for value in values)


ROLE_CHOICES = _choices(("buyer", "purchasing_manager", "decision_maker", "finance", "user", "admin"))
LANGUAGE_CHOICES = (("nl", "Nederlands"), ("en", "English"), ("de", "Deutsch"), ("fr", "Français"))
ACCOUNT_TYPE_CHOICES = (("customer", "Customer"), ("prospect", "Prospect"), ("dealer", "Dealer"))
RFM_SEGMENT_CHOICES = (
    ("champions", "Champions"), ("loyal", "Loyal"), ("new", "New"), ("promising", "Promising"),
    ("potential_loyalists", "Potential loyalists"), ("need_attention", "Need attention"),
    ("about_to_sleep", "About to sleep"), ("cant_lose", "Can't lose them"), ("at_risk", "At risk"),
    ("hibernating", "Hibernating"),
)

_REVENUE = SalesAggregate("revenue", scale=100)
_ORDER_COUNT = SalesAggregate("order_count")


def _company(name: str, type_: FieldType, label: str, help_text: str, *, nullable: bool = True, folded: bool = False,
             scale: int = 1, **extra) -> Field:
    source = Column(f"company__{name}", folded=f"company__{name}_ci" if folded else None, nullable=nullable, scale=scale)
    return Field(f"company.{name}", type_, label, help_text, source, **extra)


def _contact(name: str, type_: FieldType, label: str, help_text: str, *, nullable: bool = True, folded: str | None = None,
             **extra) -> Field:
    return Field(f"contact.{name}", type_, label, help_text, Column(name, folded=folded, nullable=nullable), **extra)


def _sales(name: str, type_: FieldType, label: str, help_text: str, source, **extra) -> Field:
    return Field(f"sales.{name}", type_, label, help_text, source, windowed=True, **extra)


def _value(name: str, type_: FieldType, label: str, help_text: str, *, scale: int = 1, **extra) -> Field:
    return Field(f"value.{name}", type_, label, help_text, Column(f"company__customer_value__{name}", scale=scale), **extra)


STATIC_FIELDS: tuple[Field, ...] = (
    # company.*: ERP customer data
    _company("erp_id", FieldType.TEXT, "ERP id", "The customer number in the ERP.", nullable=False, folded=True),
    _company("name", FieldType.TEXT, "Company name", "The company's name as in the ERP.", nullable=False, folded=True),
    _company("country", FieldType.ENUM, "Country", "ISO country code of the company's address.", nullable=False,
             choices=_choices(sorted(COUNTRY_CODES))),
    _company("region", FieldType.TEXT, "Region", "Region or province.", nullable=False, folded=True),
    _company("city", FieldType.TEXT, "City", "City of the company's address.", nullable=False, folded=True),
    Field("company.continent", FieldType.ENUM, "Continent", "Derived from the country (UN geoscheme); empty when the country is unknown.",
          Continent(), choices=_choices(CONTINENTS)),
    Field("company.eu_member", FieldType.BOOLEAN, "EU member state", "Whether the company's country is one of the EU-27.", EuMember()),
    _company("sector", FieldType.TEXT, "Sector", "NACE section letter (A..U) or the ERP's sector text.", nullable=False, folded=True),
    Field("company.size_band", FieldType.ENUM, "Company size", "By employee count: micro <10, small 10-49, medium 50-249, large 250+.",
          SizeBand(), choices=tuple((band, label) for band, label, _low, _high in SIZE_BANDS)),
    _company("employee_count", FieldType.NUMBER, "Employees", "Number of employees; empty when unknown."),
    _company("customer_group", FieldType.TEXT, "Customer group", "The ERP's customer group.", nullable=False, folded=True),
    _company("price_group", FieldType.TEXT, "Price group", "The ERP's price group.", nullable=False, folded=True),
    _company("credit_limit", FieldType.NUMBER, "Credit limit", "Credit limit in EUR.", scale=100, unit="EUR"),
    _company("payment_terms_days", FieldType.NUMBER, "Payment terms", "Payment terms in days.", unit="days"),
    _company("customer_since", FieldType.DATE, "Customer since", "The date the company became a customer."),
    _company("blocked", FieldType.BOOLEAN, "Blocked", "Blocked in the ERP (e.g. for credit reasons).", nullable=False),
    _company("account_type", FieldType.ENUM, "Account type", "Customer, prospect or dealer.", nullable=False,
             choices=ACCOUNT_TYPE_CHOICES),
    # contact.*: the web account
    _contact("email", FieldType.TEXT, "Email", "The contact's login email (lower case).", nullable=False),
    _contact("role", FieldType.ENUM, "Role in the buying unit", "Buyer, purchasing manager, decision maker, ...",
             nullable=False, choices=ROLE_CHOICES),
    _contact("language", FieldType.ENUM, "Language", "The contact's language.", nullable=False, choices=LANGUAGE_CHOICES),
    _contact("last_login", FieldType.DATETIME, "Last login", "Empty when the contact never logged in."),
    _contact("date_joined", FieldType.DATETIME, "Account created", "When the web account was created.", nullable=False),
    _contact("marketing_consent", FieldType.BOOLEAN, "Marketing consent", "Agreed to receive marketing email.", nullable=False),
    _contact("job_title", FieldType.TEXT, "Job title", "The contact's job title.", nullable=False, folded="job_title_ci"),
    _contact("is_active", FieldType.BOOLEAN, "Active account", "Inactive accounts cannot log in.", nullable=False),
    # sales.*: company-level statistics over a window
    _sales("revenue", FieldType.NUMBER, "Revenue", "Sum of order lines (quantity x unit price, excl. VAT); 0 without orders.",
           _REVENUE, unit="EUR"),
    _sales("order_count", FieldType.NUMBER, "Number of orders", "Distinct orders; 0 without orders.", _ORDER_COUNT),
    _sales("average_order_value", FieldType.NUMBER, "Average order value", "Revenue / number of orders; empty without orders.",
           Ratio(_REVENUE, _ORDER_COUNT, scale=100), unit="EUR"),
    _sales("quantity", FieldType.NUMBER, "Quantity ordered", "Sum of line quantities.", SalesAggregate("quantity")),
    _sales("distinct_products", FieldType.NUMBER, "Different products", "How many different products were bought.",
           SalesAggregate("distinct_products")),
    _sales("distinct_categories", FieldType.NUMBER, "Different categories", "How many different categories (the product's own category).",
           SalesAggregate("distinct_categories")),
    _sales("last_order_at", FieldType.DATETIME, "Last order", "Empty without orders.", SalesAggregate("last_order_at", nullable=True)),
    _sales("first_order_at", FieldType.DATETIME, "First order", "Empty without orders.", SalesAggregate("first_order_at", nullable=True)),
    _sales("web_share", FieldType.NUMBER, "Web share of orders", "Percentage (0-100) of orders placed in the web shop; empty without orders.",
           Ratio(SalesAggregate("web_orders"), _ORDER_COUNT, factor=100), unit="%"),
    _sales("channel", FieldType.REFERENCE, "Order channels used", "The channels the company ordered through.",
           ChannelsUsed(), choices=CHANNELS, reference="channel"),
    _sales("bought_product", FieldType.REFERENCE, "Bought product", "Products (SKU) the company bought.",
           BoughtProducts(), reference="product"),
    _sales("bought_category", FieldType.REFERENCE, "Bought in category", "Categories (or their subcategories) the company bought in.",
           BoughtProducts(by_category=True), reference="category"),
    # cart.*: the contact's open cart
    Field("cart.line_count", FieldType.NUMBER, "Cart lines", "Lines in the open cart; 0 without a cart.", OpenCartAggregate("line_count")),
    Field("cart.quantity", FieldType.NUMBER, "Cart quantity", "Sum of quantities in the open cart; 0 without a cart.",
          OpenCartAggregate("quantity")),
    Field("cart.value", FieldType.NUMBER, "Cart value", "Value of the open cart at the contact's prices; 0 without a cart.",
          OpenCartAggregate("value", scale=100), unit="EUR"),
    Field("cart.last_item_added_at", FieldType.DATETIME, "Last added to cart", "Empty when the cart is empty.",
          OpenCartAggregate("last_item_added_at", nullable=True)),
    Field("cart.contains_product", FieldType.REFERENCE, "Cart contains product", "Products (SKU) in the open cart.",
          CartProducts(), reference="product"),
    Field("cart.contains_category", FieldType.REFERENCE, "Cart contains category", "Categories (or subcategories) in the open cart.",
          CartProducts(by_category=True), reference="category"),
    # value.*: customer value, recomputed by every refresh
    _value("rfm_recency", FieldType.NUMBER, "RFM recency score", "1-5 over the last 12 months; 5 = ordered most recently; empty without orders."),
    _value("rfm_frequency", FieldType.NUMBER, "RFM frequency score", "1-5 over the last 12 months; 5 = orders most often."),
    _value("rfm_monetary", FieldType.NUMBER, "RFM monetary score", "1-5 over the last 12 months; 5 = spends most."),
    _value("rfm_segment", FieldType.ENUM, "RFM segment", "Champions, loyal, at risk, ... from the recency and frequency scores.",
           choices=RFM_SEGMENT_CHOICES),
    Field("value.revenue_percentile", FieldType.NUMBER, "Revenue percentile",
          "Share (0-100) of all companies with 12-month revenue at most this company's.",
          Ratio(Column("company__customer_value__revenue_rank"), Column("company__customer_value__company_total"), factor=100),
          unit="%"),
    _value("top_25_percent", FieldType.BOOLEAN, "Top 25% customer", "Revenue percentile above 75 (the focus group)."),
    _value("lifetime_revenue", FieldType.NUMBER, "Lifetime revenue", "All-time revenue.", scale=100, unit="EUR"),
    _value("predicted_clv_12m", FieldType.NUMBER, "Predicted CLV (12 months)",
           "Expected revenue in the next 12 months (BG/NBD + Gamma-Gamma model).", scale=100, unit="EUR"),
    # segment.*: composition
    Field("segment.member_of", FieldType.REFERENCE, "Member of segment", "Membership of other segments (refreshed first).",
          SegmentsJoined(), reference="segment"),
)

_ATTRIBUTE_COLUMNS: dict[str, tuple[FieldType, str, int]] = {
    "text": (FieldType.TEXT, "text_value", 1),
    "number": (FieldType.NUMBER, "number_value", 10**6),
    "date": (FieldType.DATE, "date_value", 1),
    "boolean": (FieldType.BOOLEAN, "boolean_value", 1),
}


def attribute_field(*, name: str, value_type: str, label: str = "", help_text: str = "") -> Field:
    """The registry entry of a declared custom ERP attribute."""
    type_, column, scale = _ATTRIBUTE_COLUMNS[value_type]
    return Field(
        f"company.attr.{name}", type_, label or name.replace("_", " ").capitalize(),
        help_text or f"Custom ERP attribute '{name}' ({value_type}).", AttributeValue(name, column, scale=scale),
    )


@dataclass(frozen=True)
class FieldRegistry:
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {field.key: field for field in self.fields})

    def get(self, key: str) -> Field | None:
        return self._by_key.get(key)  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key  # type: ignore[attr-defined]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(field.key for field in self.fields)


def field_registry_build(attributes: Iterable[tuple[str, str, str, str]] = ()) -> FieldRegistry:
    """Static fields plus one field per (name, value_type, label, help_text) attribute definition."""
    extra = tuple(
        attribute_field(name=name, value_type=value_type, label=label, help_text=help_text)
        for name, value_type, label, help_text in attributes
    )
    return FieldRegistry(STATIC_FIELDS + extra)
