"""The columns of each ERP file (erp-import.md), their types, and the header check."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

import pandas as pd

from accounts.models import Company, User
from integrations.erp import parsers
from integrations.erp.exceptions import ErpFileError
from integrations.erp.report import ChunkErrors
from integrations.models import ImportRun
from orders.models import Order

ATTRIBUTE_PREFIX = "attr."
_MAX_INT = 2_147_483_647
_MAX_SMALL_INT = 32_767


class Kind(StrEnum):
    TEXT = "text"
    SLUG = "slug"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    EMAIL = "email"
    COUNTRY = "country"
    WEEKDAYS = "weekdays"
    CHOICE = "choice"


@dataclass(frozen=True)
class Column:
    """One file column. `in_header`: the header must have it; `required`: a cell must have a value."""

    name: str
    kind: Kind
    in_header: bool = False
    required: bool = False
    default: object = None
    max_length: int = 255
    minimum: int | None = None
    maximum: int | None = None
    max_digits: int = 12
    decimal_places: int = 2
    choices: Mapping[str, str] | None = None


@dataclass(frozen=True)
class EntitySchema:
    entity: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    attributes: bool = False  # accepts attr.<name> columns
    one_of: tuple[str, ...] = ()  # the header needs at least one of these

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def header_check(self, header: tuple[str, ...]) -> None:
        """Raise ErpFileError for missing or unknown columns (nothing is imported then)."""
        known = {column.name for column in self.columns}
        missing = [column.name for column in self.columns if column.in_header and column.name not in header]
        if self.one_of and not any(name in header for name in self.one_of):
            missing.append(" or ".join(self.one_of))
        if missing:
            raise ErpFileError(
                f"the {self.entity} file misses the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}; the header has {', '.join(header) or 'no columns'}"
            )
        unknown = [
            name for name in header if name not in known and not (self.attributes and name.startswith(ATTRIBUTE_PREFIX))
        ]
        if unknown:
            allowed = ", ".join(column.name for column in self.columns)
            if self.attributes:
                allowed += ", attr.<name>"
            raise ErpFileError(
                f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in the {self.entity} file; "
                f"the columns are {allowed}"
            )


def frame_parse(
    *, schema: EntitySchema, frame: pd.DataFrame, errors: ChunkErrors, decimal_comma: bool
) -> dict[str, pd.Series]:
    """Parse the schema's columns present in `frame`; bad cells go to `errors`."""
    return {
        column.name: column_parse(column=column, cells=frame[column.name], errors=errors, decimal_comma=decimal_comma)
        for column in schema.columns
        if column.name in frame.columns
    }


def column_parse(*, column: Column, cells: pd.Series, errors: ChunkErrors, decimal_comma: bool) -> pd.Series:
    """The column's typed values (each distinct text parsed once); bad cells go to `errors`."""
    return parsers.distinct_parse(
        cells, column=column.name, errors=errors, parse=partial(_parse, column=column, decimal_comma=decimal_comma)
    )


def _parse(cells: pd.Series, problems: parsers.Problems, *, column: Column, decimal_comma: bool) -> pd.Series:
    match column.kind:
        case Kind.TEXT:
            parsers.text_parse(cells, problems=problems, max_length=column.max_length, required=column.required)
            return cells.mask(cells == "", column.default if column.default is not None else "")
        case Kind.SLUG:
            return parsers.slug_parse(cells, problems=problems, max_length=column.max_length, required=column.required)
        case Kind.INTEGER:
            return parsers.integer_parse(
                cells,
                problems=problems,
                minimum=column.minimum,
                maximum=column.maximum,
                default=column.default,
                required=column.required,  # type: ignore[arg-type]
            )
        case Kind.DECIMAL:
            return parsers.decimal_parse(
                cells,
                problems=problems,
                max_digits=column.max_digits,
                decimal_places=column.decimal_places,
                decimal_comma=decimal_comma,
                minimum=column.minimum,
                required=column.required,
            )
        case Kind.BOOLEAN:
            return parsers.boolean_parse(cells, problems=problems, default=column.default)  # type: ignore[arg-type]
        case Kind.DATE:
            return parsers.date_parse(cells, problems=problems, required=column.required)
        case Kind.DATETIME:
            return parsers.datetime_parse(cells, problems=problems, required=column.required)
        case Kind.EMAIL:
            return parsers.email_parse(cells, problems=problems, required=column.required)
        case Kind.COUNTRY:
            return parsers.country_parse(cells, problems=problems)
        case Kind.WEEKDAYS:
            return parsers.weekdays_parse(cells, problems=problems)
        case Kind.CHOICE:
            assert column.choices is not None
            return parsers.choice_parse(
                cells,
                problems=problems,
                choices=column.choices,
                default=column.default,
                required=column.required,  # type: ignore[arg-type]
            )
    raise AssertionError(f"no parser for {column.kind}")


def _choices(choices: list[tuple[str, str]]) -> dict[str, str]:
    return dict(choices)


COMPANIES = EntitySchema(
    entity=ImportRun.Entity.COMPANIES,
    key=("erp_id",),
    attributes=True,
    columns=(
        Column("erp_id", Kind.TEXT, in_header=True, required=True, max_length=64),
        Column("name", Kind.TEXT, in_header=True, required=True),
        Column("country", Kind.COUNTRY),
        Column("region", Kind.TEXT, max_length=120),
        Column("city", Kind.TEXT, max_length=120),
        Column("sector", Kind.TEXT, max_length=120),
        Column("employee_count", Kind.INTEGER, minimum=0, maximum=_MAX_INT),
        Column("customer_group", Kind.TEXT, max_length=64),
        Column("price_group", Kind.TEXT, max_length=64),
        Column("credit_limit", Kind.DECIMAL, minimum=0, max_digits=14),
        Column("payment_terms_days", Kind.INTEGER, minimum=0, maximum=_MAX_INT),
        Column("customer_since", Kind.DATE),
        Column("blocked", Kind.BOOLEAN, default=False),
        Column(
            "account_type",
            Kind.CHOICE,
            default=Company.AccountType.CUSTOMER.value,
            choices=_choices(Company.AccountType.choices),
        ),
        Column("departure_weekdays", Kind.WEEKDAYS),
        Column("transit_days", Kind.INTEGER, minimum=0, maximum=_MAX_SMALL_INT, default=1),
    ),
)

CONTACTS = EntitySchema(
    entity=ImportRun.Entity.CONTACTS,
    key=("email",),
    columns=(
        Column("email", Kind.EMAIL, in_header=True, required=True),
        Column("company_erp_id", Kind.TEXT, in_header=True, required=True, max_length=64),
        Column("first_name", Kind.TEXT, max_length=150),
        Column("last_name", Kind.TEXT, max_length=150),
        Column("role", Kind.CHOICE, choices=_choices(User.Role.choices)),
        Column("language", Kind.CHOICE, default=User.Language.NL.value, choices=_choices(User.Language.choices)),
        Column("marketing_consent", Kind.BOOLEAN, default=False),
        Column("job_title", Kind.TEXT, max_length=150),
        Column("is_active", Kind.BOOLEAN, default=True),
    ),
)

CATEGORIES = EntitySchema(
    entity=ImportRun.Entity.CATEGORIES,
    key=("slug",),
    columns=(
        Column("slug", Kind.SLUG, in_header=True, required=True, max_length=120),
        Column("name", Kind.TEXT, in_header=True, required=True),
        Column("parent_slug", Kind.SLUG, max_length=120),
    ),
)

PRODUCTS = EntitySchema(
    entity=ImportRun.Entity.PRODUCTS,
    key=("sku",),
    columns=(
        Column("sku", Kind.TEXT, in_header=True, required=True, max_length=64),
        Column("name", Kind.TEXT, in_header=True, required=True),
        Column("category_slug", Kind.TEXT, in_header=True, required=True, max_length=120),
        Column("list_price", Kind.DECIMAL, in_header=True, required=True, minimum=0),
        Column("unit", Kind.TEXT, max_length=32, default="piece"),
        Column("available_from", Kind.DATE),
        Column("available_until", Kind.DATE),
        Column("available_weekdays", Kind.WEEKDAYS),
        Column("lead_time_days", Kind.INTEGER, minimum=0, maximum=_MAX_SMALL_INT, default=0),
        Column("min_order_quantity", Kind.INTEGER, minimum=1, maximum=_MAX_INT, default=1),
        Column("is_active", Kind.BOOLEAN, default=True),
    ),
)

PRICES = EntitySchema(
    entity=ImportRun.Entity.PRICES,
    key=("company_erp_id", "price_group", "sku", "valid_from"),
    one_of=("price_group", "company_erp_id"),
    columns=(
        Column("price_group", Kind.TEXT, max_length=64),
        Column("company_erp_id", Kind.TEXT, max_length=64),
        Column("sku", Kind.TEXT, in_header=True, required=True, max_length=64),
        Column("price", Kind.DECIMAL, in_header=True, required=True, minimum=0),
        Column("valid_from", Kind.DATE),
        Column("valid_until", Kind.DATE),
    ),
)

ORDERS = EntitySchema(
    entity=ImportRun.Entity.ORDERS,
    key=("order_number", "line_no"),
    columns=(
        Column("order_number", Kind.TEXT, in_header=True, required=True, max_length=64),
        Column("line_no", Kind.INTEGER, in_header=True, required=True, minimum=0, maximum=_MAX_INT),
        Column("company_erp_id", Kind.TEXT, in_header=True, required=True, max_length=64),
        Column("contact_email", Kind.EMAIL),
        Column("ordered_at", Kind.DATETIME, in_header=True, required=True),
        Column("channel", Kind.CHOICE, in_header=True, required=True, choices=_choices(Order.Channel.choices)),
        Column("status", Kind.CHOICE, default=Order.Status.SHIPPED.value, choices=_choices(Order.Status.choices)),
        Column("delivery_date", Kind.DATE),
        Column("sku", Kind.TEXT, in_header=True, required=True, max_length=64),
        Column("quantity", Kind.INTEGER, in_header=True, required=True, minimum=0, maximum=_MAX_INT),
        Column("unit_price", Kind.DECIMAL, in_header=True, required=True, minimum=0),
    ),
)

SCHEMAS: dict[str, EntitySchema] = {
    schema.entity: schema for schema in (CATEGORIES, COMPANIES, CONTACTS, PRODUCTS, PRICES, ORDERS)
}
