"""Hypothesis strategies for ERP import files (docs/erp-import.md), shared by the import tests and the API fuzzing.

Three kinds of input:

- `byte_soups` and `cell_soups`: arbitrary bytes, token soups and rows of loose cells,
  which must never break the import (no expectation beyond "a run or a file error").
- `erp_files(entity, references)`: a file under the entity's real header whose rows are
  valid, borderline (empty optional cells, maximum lengths and values, trailing zeros,
  unicode, NA-like words, JSON numbers and booleans) or wrong in a known cell (empty
  required cell, wrong type, decimal comma where it is not allowed, too long or too
  large, unknown country or reference, NUL, a nested JSON value) or a duplicate key, and
  sometimes with a required column left out. The `ErpFile` knows which lines must be
  reported, so a test can check the import's answer row by row.

Every cell is written as text (CSV) or as a JSON value (JSON lines); `Literal` cells
are JSON numbers, booleans, null or nested values in JSON lines and their text in CSV.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db import models
from hypothesis import strategies as st

from accounts.models import (
    Company,
    CompanyAttributeDefinition,
    CompanyAttributeValue,
    User,
)
from catalog.models import Category, CategoryAncestry, Price, Product
from integrations.erp.schemas import SCHEMAS, Column, Kind
from orders.models import Order, OrderLine

# ------------------------------------------------------------- soups (no expectations)

FILE_TOKENS = [
    "erp_id", "name", "email", "company_erp_id", "sku", "price", "order_number", "line_no", "ordered_at", "channel",
    "quantity", "unit_price", "slug", "parent_slug", "attr.x", "000123", "-1", "1,5", "2025-02-30",
    "2025-03-01T10:00:00Z", "web", "ja", "", " ", ",", ";", '"', "\n", "\r\n", "{", "}", "[", "]", ":", "\x00", "é",
]  # fmt: skip

LOOSE_CELLS = [
    "", "000123", "R1", "SO1", "SO2", "1", "2", "-1", "0", "1.5", "12,50", '"1,5"', "1e3", "x", "a@b.nl", "a@",
    "2025-03-01", "2025-02-30", "2025-03-01T10:00:00Z", "2025-03-31 02:30", "web", "Phone", "open", "ja", "nee",
    "gold", "roses", "mon,fri", '"ma,vr"', "NL", "xx", "é", " ", '"a\nb"', "\x00", "9" * 30,
]  # fmt: skip


def byte_soups() -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, or a soup of header words, separators, quotes and brackets."""
    return st.one_of(
        st.binary(max_size=300),
        st.lists(st.sampled_from(FILE_TOKENS), max_size=60).map(lambda parts: "".join(parts).encode()),
    )


def cell_soups() -> st.SearchStrategy[list[list[str]]]:
    """Rows of loose cells (unquoted CSV fragments), of any length."""
    return st.lists(st.lists(st.sampled_from(LOOSE_CELLS), min_size=1, max_size=14), max_size=12)


# ------------------------------------------------------------- files with expectations


@dataclass(frozen=True)
class Literal:
    """A cell that JSON lines carry as a JSON value (`json`), CSV as text (`text`)."""

    json: str
    text: str


Cell = str | Literal


@dataclass(frozen=True)
class References:
    """Keys the database already holds, which rows may refer to."""

    company_erp_ids: tuple[str, ...]
    skus: tuple[str, ...]
    category_slugs: tuple[str, ...]


@dataclass(frozen=True)
class ErpFile:
    """Rows under a header, and which of them the import must refuse."""

    entity: str
    fmt: str  # "csv" or "jsonl"
    separator: str  # of a CSV file
    columns: tuple[str, ...]
    rows: tuple[dict[str, Cell], ...]
    bad_rows: frozenset[int] = frozenset()  # indexes of rows with a wrong cell or a duplicate key
    missing_column: str | None = None  # a required column left out of the header: a file-level error
    groups: tuple[int, ...] = ()  # orders: the order each row belongs to (a bad line rejects its order)

    @property
    def media_type(self) -> str:
        return "text/csv" if self.fmt == "csv" else "application/x-ndjson"

    def content(self) -> bytes:
        return self._render()[0].encode("utf-8")

    def lines(self) -> list[int]:
        """The file line of each row, as the import reports it (CSV header = line 1)."""
        return self._render()[1]

    def bad_lines(self) -> set[int]:
        lines = self.lines()
        return {lines[index] for index in self.bad_rows}

    def failed_count(self) -> int:
        """Rows counted as failed: the bad ones, and for orders every line of an order with a bad line.

        A JSON line whose order number is a nested value cannot be read; it may belong to the
        order on the readable line above or below it, so both of those are rejected too.
        """
        if self.entity != "orders":
            return len(self.bad_rows)
        rejected = {self.groups[index] for index in self.bad_rows}
        unreadable = [
            index for index, row in enumerate(self.rows) if any(self._unreadable(cell) for cell in row.values())
        ]
        readable = [index for index in range(len(self.rows)) if index not in unreadable]
        for index in unreadable:
            if not self._unreadable(self.rows[index]["order_number"]):
                continue
            above = [other for other in readable if other < index][-1:]
            below = [other for other in readable if other > index][:1]
            rejected.update(
                self.groups[other] for other in above + below if _csv_text(self.rows[other]["order_number"]).strip()
            )
        return sum(1 for group in self.groups if group in rejected)

    def _unreadable(self, cell: Cell) -> bool:
        return self.fmt == "jsonl" and isinstance(cell, Literal) and cell.json.startswith(("[", "{"))

    def _render(self) -> tuple[str, list[int]]:
        if self.fmt == "jsonl":
            records = []
            for row in self.rows:
                parts = [f"{json.dumps(column, ensure_ascii=False)}: {_json_value(row[column])}" for column in self.columns]
                records.append("{" + ", ".join(parts) + "}")
            return "".join(record + "\n" for record in records), list(range(1, len(records) + 1))
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.separator, lineterminator="\n")
        writer.writerow(self.columns)
        lines, line = [], 2
        for row in self.rows:
            cells = [_csv_text(row[column]) for column in self.columns]
            writer.writerow(cells)
            lines.append(line)
            line += 1 + sum(cell.count("\n") for cell in cells)
        return buffer.getvalue(), lines


def _csv_text(cell: Cell) -> str:
    return cell.text if isinstance(cell, Literal) else cell


def _json_value(cell: Cell) -> str:
    return cell.json if isinstance(cell, Literal) else json.dumps(cell, ensure_ascii=False)


# Text the import must keep as it is: pandas reads these as missing unless told not to.
NA_LIKE_WORDS = ["NA", "N/A", "null", "None", "nan", "NaN", "#N/A", "-", "0"]
_TEXT = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))


def _texts(column: Column) -> st.SearchStrategy[str]:
    """Valid text: words, unicode (also separators, quotes, line separators), the maximum length."""
    low = 1 if column.required else 0
    return st.one_of(
        st.text(_TEXT, min_size=low, max_size=min(20, column.max_length)).filter(
            lambda text: low <= len(text.strip()) <= column.max_length
        ),
        st.sampled_from(NA_LIKE_WORDS),
        st.sampled_from(["Bloemen & Co; \"Aalsmeer\"", "a, b", "Ünïcödé 花 🌷", "line\nbreak"]),
        st.just("x" * column.max_length),
    )


def _integers(column: Column) -> st.SearchStrategy[Cell]:
    low = column.minimum if column.minimum is not None else -(2**31)
    high = column.maximum if column.maximum is not None else 2**31 - 1
    numbers = st.one_of(st.integers(low, min(high, 10_000)), st.sampled_from([low, high]))
    return numbers.flatmap(
        lambda number: st.sampled_from([str(number), f"{number}.0", Literal(str(number), str(number))])
    )


def _decimals(column: Column, *, decimal_comma: bool) -> st.SearchStrategy[Cell]:
    whole_digits = column.max_digits - column.decimal_places
    largest = Decimal(10**whole_digits) - Decimal(1).scaleb(-column.decimal_places)
    values = st.one_of(
        st.decimals(min_value=0, max_value=10_000, places=column.decimal_places),
        st.sampled_from([Decimal(0), largest]),
    )

    def written(value: Decimal) -> st.SearchStrategy[Cell]:
        text = f"{value:f}"
        forms: list[Cell] = [text, text + "000" if "." in text else text + ".000", Literal(text, text)]
        if decimal_comma:
            forms.append(text.replace(".", ","))
        return st.sampled_from(forms)

    return values.flatmap(written)


def _dates() -> st.SearchStrategy[datetime.date]:
    return st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2150, 12, 31))


def _datetimes() -> st.SearchStrategy[str]:
    moments = st.datetimes(min_value=datetime.datetime(1971, 1, 1), max_value=datetime.datetime(2100, 12, 31))
    return st.tuples(moments, st.sampled_from(["Z", "+01:00", "-05:30", "", " local", "date"])).map(_datetime_text)


def _datetime_text(pair: tuple[datetime.datetime, str]) -> str:
    moment, zone = pair
    if zone == "date":
        return moment.date().isoformat()
    if zone == " local":
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.replace(microsecond=0).isoformat() + zone


def _choices(column: Column) -> st.SearchStrategy[str]:
    assert column.choices is not None
    words = [*column.choices, *column.choices.values()]
    return st.sampled_from(words).flatmap(lambda word: st.sampled_from([word, word.upper(), f" {word} "]))


def valid_cells(column: Column, *, decimal_comma: bool) -> st.SearchStrategy[Cell]:
    """Cells the column accepts (keys and references are drawn by the entity's row strategy)."""
    optional_empty = [""] if not column.required else []
    strategies: dict[Kind, st.SearchStrategy[Any]] = {
        Kind.TEXT: _texts(column),
        Kind.SLUG: st.from_regex(r"[-a-zA-Z0-9_]{1,20}", fullmatch=True),
        Kind.INTEGER: _integers(column),
        Kind.DECIMAL: _decimals(column, decimal_comma=decimal_comma),
        Kind.BOOLEAN: st.sampled_from(["true", "FALSE", "1", "0", "yes", "No", "ja", "nee", Literal("true", "true")]),
        Kind.DATE: _dates().map(datetime.date.isoformat),
        Kind.DATETIME: _datetimes(),
        Kind.EMAIL: st.from_regex(r"[a-z0-9]{1,12}@[a-z]{1,10}\.(nl|be|example)", fullmatch=True),
        Kind.COUNTRY: st.sampled_from(["NL", "be", " DE ", "FR"]),
        Kind.WEEKDAYS: st.sampled_from(["mon,fri", "ma;vr", "Tue Wed", "monday,sunday"]),
        Kind.CHOICE: _choices(column) if column.choices else st.nothing(),
    }
    cells = strategies[column.kind]
    return st.one_of(st.sampled_from(optional_empty), cells) if optional_empty else cells


def wrong_cells(column: Column, *, fmt: str, decimal_comma: bool) -> st.SearchStrategy[Cell]:
    """Cells the column refuses: a row error on their line."""
    wrong: list[Cell] = ["a\x00b"]
    if column.required:
        wrong += ["", "   "]
    if fmt == "jsonl":
        wrong += [Literal("[1, 2]", ""), Literal('{"a": 1}', "")]
    match column.kind:
        case Kind.TEXT:
            wrong.append("x" * (column.max_length + 1))
        case Kind.SLUG:
            wrong += ["not a slug", "é", "a/b"]
        case Kind.INTEGER:
            low = column.minimum if column.minimum is not None else 0
            wrong += ["abc", "1.5", "1e3", str(low - 1), str((column.maximum or 2**31 - 1) + 1), "9" * 30]
        case Kind.DECIMAL:
            wrong += ["abc", "-1.00", "1." + "0" * column.decimal_places + "1", "9" * 30, "1,234.50"]
            if not decimal_comma:
                wrong.append("12,50")
        case Kind.BOOLEAN:
            wrong += ["maybe", "2"]
        case Kind.DATE:
            wrong += ["2025-02-30", "31-12-2024", "2024-12-31T10:00"]
        case Kind.DATETIME:
            wrong += ["yesterday", "2025-13-01T00:00Z", "2025-02-30"]
        case Kind.EMAIL:
            wrong += ["a@", "no-at-sign", "x" * 250 + "@example.nl"]
        case Kind.COUNTRY:
            wrong += ["XX", "Narnia"]
        case Kind.WEEKDAYS:
            wrong += ["funday"]
        case Kind.CHOICE:
            wrong += ["nope"]
    return st.sampled_from(wrong)


# Columns that must name a stored row (a wrong cell there is an unknown reference).
def _references(references: References) -> dict[str, tuple[str, ...]]:
    return {
        "company_erp_id": references.company_erp_ids,
        "sku": references.skus,
        "category_slug": references.category_slugs,
    }


_KEYS = st.from_regex(r"[A-Z0-9]{1,10}", fullmatch=True).map(lambda key: f"GEN-{key}")
_CONSTRAINED = {  # columns whose valid values depend on others in the row; drawn by the entity strategy
    "companies": {"erp_id"},
    "contacts": {"email", "company_erp_id"},
    "categories": {"slug", "parent_slug"},
    "products": {"sku", "category_slug", "available_from", "available_until"},
    "prices": {"price_group", "company_erp_id", "sku", "valid_from", "valid_until"},
    "orders": set(SCHEMAS["orders"].key) | {"company_erp_id", "sku", "quantity", "unit_price"},
}
_ORDER_LEVEL = ("company_erp_id", "contact_email", "ordered_at", "channel", "status", "delivery_date")
_KEY_COLUMNS = {"companies": "erp_id", "contacts": "email", "categories": "slug", "products": "sku"}


@st.composite
def _plain_row(draw, entity: str, columns: tuple[str, ...], decimal_comma: bool) -> dict[str, Cell]:
    schema = SCHEMAS[entity]
    return {
        name: draw(valid_cells(schema.column(name), decimal_comma=decimal_comma))
        for name in columns
        if name in {column.name for column in schema.columns} and name not in _CONSTRAINED[entity]
    }


def _ordered_pair(draw) -> tuple[str, str]:
    first, second = sorted([draw(_dates()), draw(_dates())])
    return first.isoformat(), draw(st.sampled_from(["", second.isoformat()]))


@st.composite
def _valid_rows(draw, entity: str, columns: tuple[str, ...], references: References, decimal_comma: bool, least: int):
    """Valid rows (keys unique), and for orders the order of each row."""
    refs = _references(references)
    count = draw(st.integers(least, 6))
    rows: list[dict[str, Cell]] = []
    groups: list[int] = []
    if entity == "orders":
        orders = SCHEMAS["orders"]
        numbers = draw(st.lists(_KEYS, min_size=count, max_size=count, unique=True))
        for group, number in enumerate(numbers):
            head = draw(_plain_row(entity, columns, decimal_comma))
            head["company_erp_id"] = draw(st.sampled_from(refs["company_erp_id"]))
            for line_no in range(1, draw(st.integers(1, 3)) + 1):
                row = {**head, **{name: cell for name, cell in draw(_plain_row(entity, columns, decimal_comma)).items()
                                  if name not in _ORDER_LEVEL}}  # fmt: skip
                if line_no > 1 and draw(st.booleans()):  # a later line may leave the optional order columns empty
                    row.update({name: "" for name in _ORDER_LEVEL if name in columns and not orders.column(name).required})
                row.update(order_number=number, line_no=str(line_no), sku=draw(st.sampled_from(refs["sku"])))
                row.update(quantity=str(draw(st.integers(0, 1000))), unit_price=f"{draw(st.integers(0, 99_999)) / 100:.2f}")
                rows.append(row)
                groups.append(group)
        return rows, groups
    keys = draw(st.lists(_KEYS, min_size=count, max_size=count, unique=True))
    for index, key in enumerate(keys):
        row = draw(_plain_row(entity, columns, decimal_comma))
        match entity:
            case "companies":
                row["erp_id"] = draw(st.sampled_from([key, *refs["company_erp_id"]]))
                if row["erp_id"] in [other["erp_id"] for other in rows]:
                    row["erp_id"] = key
            case "contacts":
                row["email"] = draw(st.sampled_from([f"{key}@fuzz.example", f"{key.lower()}@fuzz.example"]))
                row["company_erp_id"] = draw(st.sampled_from(refs["company_erp_id"]))
            case "categories":
                row["slug"] = key.lower()
                earlier = [other["slug"] for other in rows]
                row["parent_slug"] = draw(st.sampled_from(["", *refs["category_slug"], *earlier]))
            case "products":
                row["sku"] = key
                row["category_slug"] = draw(st.sampled_from(refs["category_slug"]))
                row["available_from"], row["available_until"] = _ordered_pair(draw)
            case "prices":
                group = "price_group" in columns and ("company_erp_id" not in columns or draw(st.booleans()))
                row["price_group"] = key if group else ""
                row["company_erp_id"] = "" if group else draw(st.sampled_from(refs["company_erp_id"]))
                row["sku"] = draw(st.sampled_from(refs["sku"]))
                # A year per row keeps the key (company or price group, sku, valid_from) unique.
                valid_from = datetime.date(2000 + index, 1, 1)
                row["valid_from"] = valid_from.isoformat()
                row["valid_until"] = draw(st.sampled_from(["", valid_from.isoformat(), f"{2100 + index}-12-31"]))
        rows.append(row)
        groups.append(index)
    return rows, groups


def _header(draw, entity: str) -> tuple[str, ...]:
    """The entity's columns: every required one, some optional ones (in the schema's order)."""
    schema = SCHEMAS[entity]
    # Prices always name valid_from: without it two rows of one company and sku would share a key.
    columns = [c.name for c in schema.columns if c.in_header or c.name == "valid_from" or draw(st.booleans())]
    if schema.one_of and not any(name in columns for name in schema.one_of):
        columns.append(draw(st.sampled_from(schema.one_of)))
    if schema.attributes and draw(st.booleans()):
        columns.append("attr.tier")
    return tuple(columns)


@st.composite
def erp_files(draw, entity: str, references: References) -> ErpFile:
    """A file of `entity` rows: valid ones, some with one wrong cell, duplicates, or a required column left out."""
    fmt, separator = draw(st.sampled_from([("csv", ","), ("csv", ";"), ("jsonl", "")]))
    decimal_comma = separator == ";"
    columns = _header(draw, entity)
    # A JSON lines file without records is an empty file (a file-level error); a CSV file keeps its header.
    rows, groups = draw(_valid_rows(entity, columns, references, decimal_comma, 1 if fmt == "jsonl" else 0))
    for row in rows:
        if "attr.tier" in columns:
            row["attr.tier"] = draw(st.sampled_from(["gold", "", "Zilver ✨"]))
    rows = [{name: row.get(name, "") for name in columns} for row in rows]
    bad: set[int] = set()
    if rows and draw(st.booleans()):
        for index in draw(st.sets(st.integers(0, len(rows) - 1), max_size=3)):
            column = _corruptible(draw, entity, columns, index, groups)
            rows[index][column] = draw(_wrong_for(entity, column, fmt, decimal_comma, references))
            bad.add(index)
    good = [index for index in range(len(rows)) if index not in bad]
    if entity in _KEY_COLUMNS and good and draw(st.booleans()):
        copied = draw(st.sampled_from(good))
        rows.append({**rows[copied], **draw(_plain_row(entity, columns, decimal_comma))} | _keys_of(rows[copied], entity))
        groups.append(len(groups))
        bad.add(len(rows) - 1)
    if entity == "categories" and "parent_slug" in columns:  # a row under a rejected parent is rejected too
        rejected: set[Cell] = set()
        for index, row in enumerate(rows):
            if index in bad or row["parent_slug"] in rejected:
                bad.add(index)
                rejected.add(row["slug"])
    file = ErpFile(entity, fmt, separator, columns, tuple(rows), frozenset(bad), groups=tuple(groups))
    if rows and draw(st.integers(0, 9)) == 0:
        left_out = draw(st.sampled_from([c.name for c in SCHEMAS[entity].columns if c.in_header]))
        file = replace(file, columns=tuple(name for name in columns if name != left_out), missing_column=left_out)
    return file


def _keys_of(row: dict[str, Cell], entity: str) -> dict[str, Cell]:
    key = _KEY_COLUMNS[entity]
    # Products and contacts need their references too; the copy keeps the original's.
    kept = {"contacts": ("company_erp_id",), "products": ("category_slug", "available_from", "available_until"),
            "categories": ("parent_slug",)}.get(entity, ())  # fmt: skip
    return {name: row[name] for name in (key, *kept) if name in row}


def _corruptible(draw, entity: str, columns: tuple[str, ...], index: int, groups: list[int]) -> str:
    candidates = [name for name in columns if not name.startswith("attr.")]
    if entity == "orders" and groups.count(groups[index]) > 1:
        # A wrong order column or number on one line of a longer order would also make the other lines differ.
        candidates = [name for name in candidates if name not in (*_ORDER_LEVEL, "order_number")]
    if entity == "prices":
        candidates = [name for name in candidates if name not in ("price_group", "company_erp_id", "valid_from")]
    if entity == "categories":
        candidates = [name for name in candidates if name != "slug"]  # a later row may name it as its parent
    return draw(st.sampled_from(candidates))


def _wrong_for(
    entity: str, column: str, fmt: str, decimal_comma: bool, references: References
) -> st.SearchStrategy[Cell]:
    wrong = wrong_cells(SCHEMAS[entity].column(column), fmt=fmt, decimal_comma=decimal_comma)
    if column in _references(references) and not (entity == "companies" and column == "erp_id"):
        return st.one_of(wrong, st.just("NO-SUCH-KEY"))
    if entity == "categories" and column == "parent_slug":
        return st.one_of(wrong, st.just("no-such-category"))
    return wrong



# ------------------------------------------------------------- what an import of an ErpFile must report

# The tables an import of each entity writes (Category: also its closure table, rebuilt after the rows).
ENTITY_TABLES: dict[str, tuple[type[models.Model], ...]] = {
    "companies": (Company, CompanyAttributeDefinition, CompanyAttributeValue),
    "contacts": (User,),
    "categories": (Category, CategoryAncestry),
    "products": (Product,),
    "prices": (Price,),
    "orders": (Order, OrderLine),
}


def stored_rows(entity: str) -> list[list[dict[str, Any]]]:
    """Every stored row of the tables an import of `entity` writes, to show that nothing was written."""
    return [list(model.objects.order_by("pk").values()) for model in ENTITY_TABLES[entity]]


def orders_whole_check(file: ErpFile) -> None:
    """Every stored order has all the lines the file gives it: none is imported in part.

    For an import of `file` into a database that held no orders before.
    """
    given: dict[str, int] = {}
    for row in file.rows:
        number = _csv_text(row["order_number"]).strip()
        given[number] = given.get(number, 0) + 1
    stored = dict(Order.objects.annotate(line_count=models.Count("lines")).values_list("order_number", "line_count"))
    assert all(count == given.get(number) for number, count in stored.items()), (stored, given, file.content())


def run_check(file: ErpFile, run: Mapping[str, Any], *, strict: bool) -> None:
    """`run` (an import run's fields, as the API answers them) reports `file` as the import must.

    Every row is counted; a file of valid rows succeeds; each bad row is reported on its
    line with its column, value and a message, and nothing else is; with strict, a bad row
    imports nothing.
    """
    assert file.missing_column is None, "a file without a required column is refused as a whole"
    rows = len(file.rows)
    assert run["rows"] == rows, (run["rows"], rows)
    assert {"line", "column", "value", "message"} <= {key for error in run["errors"] for key in error} or not run["errors"]
    reported = {error["line"] for error in run["errors"]}
    assert reported == file.bad_lines(), (
        f"reported lines {sorted(reported)}, bad lines {sorted(file.bad_lines())}: {run['errors']}\n{file.content()!r}"
    )
    assert all(error["message"] for error in run["errors"])
    assert run["failed"] == file.failed_count(), (run["failed"], file.failed_count(), run["errors"], file.content())
    if not file.bad_rows:
        assert run["status"] == "succeeded", run["message"]
        assert run["created"] + run["updated"] + run["unchanged"] == rows
    elif strict:
        assert run["status"] == "failed"
        assert run["created"] == run["updated"] == run["unchanged"] == 0
    else:
        assert run["status"] == ("failed" if file.failed_count() == rows else "partial")
        assert run["created"] + run["updated"] + run["unchanged"] == rows - file.failed_count()
