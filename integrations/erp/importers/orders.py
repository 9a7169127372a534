"""orders.csv: one row per order line; an order is applied whole or not at all.

An order's lines must be next to each other in the file. The last order of a chunk
is held back until the next chunk shows where it ends, so lines may span chunks.
A line the reader could not read rejects the order it belongs to: the order next to
it with its order number, or, when that number cannot be read, both orders next to it.
Re-importing an order replaces its lines; an order equal to the stored one is left
alone (counted unchanged). total_amount = sum(quantity x unit_price).
Row work is vectorised over integer order codes; no Python loop per line.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection

from accounts.models import Company, Contact
from catalog.models import Product
from integrations.erp.importers.base import ChunkResult, Importer, KeyLookup, in_batches, values_in
from integrations.erp.importers.order_writers import OrderBatch, order_writer_for
from integrations.erp.readers import TableChunk, UnreadableRow
from integrations.erp.report import ChunkErrors, ImportCounts, RowError, report_value
from integrations.erp.schemas import ORDERS, frame_parse
from orders.models import Order, OrderLine

# total_amount is DecimalField(max_digits=14, decimal_places=2): below 10**12 units.
_MAX_TOTAL_CENTS = 10**14
# Order header columns: the same on every line of an order.
_HEADER_COLUMNS = ("company_erp_id", "contact_email", "ordered_at", "channel", "status", "delivery_date")
# Optional columns and the Order field each one writes; a column not in the file is left alone.
_OPTIONAL_FIELDS = (("contact_email", "contact_id"), ("status", "status"), ("delivery_date", "delivery_date"))


@dataclass(frozen=True)
class _Groups:
    """The rows of a chunk grouped by order number, as integer codes."""

    codes: np.ndarray  # per row: its order (codes in order of first appearance)
    numbers: np.ndarray  # per order: the order number
    first: np.ndarray  # per order: position of its first row

    @classmethod
    def of(cls, numbers: pd.Series) -> "_Groups":
        codes, distinct = pd.factorize(numbers.to_numpy(dtype=object))
        first = np.unique(codes, return_index=True)[1]
        return cls(codes=codes, numbers=np.asarray(distinct, dtype=object), first=first)

    def any(self, flags: np.ndarray) -> np.ndarray:
        """Per row: whether any row of its order has the flag."""
        return (np.bincount(self.codes, weights=flags, minlength=len(self.numbers)) > 0)[self.codes]

    def total(self, values: np.ndarray) -> np.ndarray:
        """Per row: the sum of `values` over its order."""
        return np.bincount(self.codes, weights=values, minlength=len(self.numbers))[self.codes]


@dataclass(frozen=True)
class _Held:
    """The last order read so far (its lines may go on in the next chunk)."""

    frame: pd.DataFrame
    lines: np.ndarray
    rejected: np.ndarray  # per row: its order is rejected because of a line that could not be read


class OrderImporter(Importer):
    schema = ORDERS

    def __init__(self, *, columns: tuple[str, ...], decimal_comma: bool, write: bool) -> None:
        super().__init__(columns=columns, decimal_comma=decimal_comma, write=write)
        self.companies = KeyLookup(Company.objects.all(), key_field="erp_id")
        self.products = KeyLookup(Product.objects.all(), key_field="sku")
        self.contacts = KeyLookup(Contact.objects.all(), key_field="email", value_fields=("id", "company_id"))
        self.order_lines: dict[str, int] = {}  # order number -> its first line, for orders already seen
        self.held: _Held | None = None
        # Unreadable lines after the last readable one: the order below them is not known yet.
        self.unreadable: list[UnreadableRow] = []
        self.header_fields = [field for column, field in _OPTIONAL_FIELDS if column in columns]
        self.writer = order_writer_for(connection)

    def feed(self, chunk: TableChunk) -> ChunkResult:
        frame, lines = chunk.frame, chunk.lines
        rejected = np.zeros(len(frame), dtype=bool)
        if self.held is not None:
            frame = pd.concat([self.held.frame, frame], ignore_index=True)
            lines = np.concatenate([self.held.lines, lines])
            rejected = np.concatenate([self.held.rejected, rejected])
        # An unreadable line is settled once a readable line below it is known.
        last_line = lines[-1] if len(lines) else 0
        unreadable = [*self.unreadable, *chunk.unreadable]
        settled = [row for row in unreadable if row.line < last_line]
        self.unreadable = [row for row in unreadable if row.line > last_line]
        notes = _unreadable_orders_reject(frame=frame, lines=lines, rejected=rejected, unreadable=settled)
        start = _last_order_start(frame["order_number"])
        self.held = _Held(frame.iloc[start:].reset_index(drop=True), lines[start:], rejected[start:])
        result = self._process(frame.iloc[:start].reset_index(drop=True), lines[:start], rejected[:start])
        result.counts.rows = chunk.row_count
        result.counts.failed += len(chunk.errors)
        result.errors = sorted([*chunk.errors, *notes, *result.errors], key=lambda error: error.line)
        return result

    def finish(self) -> ChunkResult:
        result = ChunkResult()
        if self.held is not None:
            held, self.held = self.held, None
            rejected = held.rejected.copy()
            notes = _unreadable_orders_reject(
                frame=held.frame, lines=held.lines, rejected=rejected, unreadable=self.unreadable
            )
            self.unreadable = []
            result = self._process(held.frame, held.lines, rejected)
            result.errors = sorted([*notes, *result.errors], key=lambda error: error.line)
        self.writer.wait()
        return result

    def close(self) -> None:
        self.writer.close()

    def _process(self, frame: pd.DataFrame, lines: np.ndarray, rejected: np.ndarray) -> ChunkResult:
        if frame.empty:
            return ChunkResult()
        errors = ChunkErrors(lines=lines)
        values = frame_parse(schema=self.schema, frame=frame, errors=errors, decimal_comma=self.decimal_comma)
        named = (values["order_number"] != "").to_numpy()
        groups = _Groups.of(values["order_number"])
        detached = self._detached(groups=groups, named=named, lines=lines, values=values, errors=errors)
        _duplicate_lines(values=values, groups=groups, lines=lines, usable=~detached & named, errors=errors)
        cents = _cents(values["unit_price"])
        self.writer.wait()  # the previous chunk is written: the connection is free again
        self._references(values=values, errors=errors)
        order_bad = _order_errors(
            values=values,
            frame=frame,
            groups=groups,
            lines=lines,
            detached=detached,
            rejected=rejected,
            cents=cents,
            errors=errors,
        )
        ok = ~order_bad & ~detached & named
        batch = self._batch(values=values, groups=groups, ok=ok, cents=cents)
        counts = self._compare(batch)
        counts.failed = int((~ok).sum())
        if self.write and batch.writes:
            self.writer.write(batch=batch, header_fields=self.header_fields)
        return ChunkResult(counts=counts, errors=errors.row_errors())

    def _detached(
        self,
        *,
        groups: _Groups,
        named: np.ndarray,
        lines: np.ndarray,
        values: dict[str, pd.Series],
        errors: ChunkErrors,
    ) -> np.ndarray:
        """Rows of an order that started earlier, not right above them: reported, never applied."""
        codes = groups.codes
        run = np.cumsum(np.r_[True, codes[1:] != codes[:-1]])
        earlier_line = np.array([self.order_lines.get(number, np.nan) for number in groups.numbers], dtype=float)
        earlier = ~np.isnan(earlier_line)
        detached = ((run != run[groups.first][codes]) | earlier[codes]) & named
        if detached.any():
            first_line = np.where(earlier, earlier_line, lines[groups.first]).astype(np.int64)[codes]
            errors.add(
                mask=detached,
                column="order_number",
                values=values["order_number"],
                message="the lines of an order must be next to each other; this order started on line "
                + first_line.astype(str).astype(object),
            )
        new = ~earlier & (groups.numbers != "")
        self.order_lines.update(zip(groups.numbers[new], lines[groups.first[new]].tolist(), strict=True))
        return detached

    def _references(self, *, values: dict[str, pd.Series], errors: ChunkErrors) -> None:
        companies = values["company_erp_id"]
        values["company_id"] = self.companies.resolve(companies)
        errors.add(
            mask=((companies != "") & values["company_id"].isna()).to_numpy(),
            column="company_erp_id",
            values=companies,
            message="no company with ERP id '{value}'; import the companies first",
        )
        skus = values["sku"]
        values["product_id"] = self.products.resolve(skus)
        errors.add(
            mask=((skus != "") & values["product_id"].isna()).to_numpy(),
            column="sku",
            values=skus,
            message="no product with SKU '{value}'; import the products first",
        )
        if "contact_email" in values:
            emails = values["contact_email"]
            # A contact is linked only when it is a contact of the order's company.
            same_company = self.contacts.resolve(emails, field="company_id") == values["company_id"]
            values["contact_id"] = self.contacts.resolve(emails).where(same_company)

    def _batch(self, *, values: dict[str, pd.Series], groups: _Groups, ok: np.ndarray, cents: np.ndarray) -> OrderBatch:
        rows = np.flatnonzero(ok)
        order_codes = np.unique(groups.codes[rows])  # codes follow file order
        head = groups.first[order_codes]
        position = np.full(len(groups.numbers), -1, dtype=np.int64)
        position[order_codes] = np.arange(len(order_codes))
        quantity = values["quantity"].to_numpy(dtype="float64", na_value=0).astype(np.int64)
        line_cents = quantity * cents
        lines = pd.DataFrame(
            {
                "order": position[groups.codes[rows]],
                "line_no": values["line_no"].to_numpy(dtype="float64", na_value=0)[rows].astype(np.int64),
                "product_id": values["product_id"].to_numpy(dtype="float64")[rows].astype(np.int64),
                "quantity": quantity[rows],
                "cents": cents[rows],
                "unit_price": values["unit_price"].to_numpy(dtype=object)[rows],
            }
        )
        orders = pd.DataFrame(
            {
                "order_number": groups.numbers[order_codes],
                "company_id": values["company_id"].to_numpy(dtype="float64")[head].astype(np.int64),
                "contact_id": _optional_ids(values, "contact_id", head),
                "ordered_at": values["ordered_at"].iloc[head].reset_index(drop=True),
                "channel": values["channel"].to_numpy(dtype=object)[head],
                "status": (
                    values["status"].to_numpy(dtype=object)[head]
                    if "status" in values
                    else np.full(len(head), Order.Status.SHIPPED.value, dtype=object)
                ),
                "delivery_date": (
                    values["delivery_date"].iloc[head].to_numpy()
                    if "delivery_date" in values
                    else np.full(len(head), np.datetime64("NaT"), dtype="datetime64[us]")
                ),
                "total_cents": np.bincount(lines["order"], weights=line_cents[rows], minlength=len(head))
                .round()
                .astype(np.int64),
                "line_count": np.bincount(lines["order"], minlength=len(head)),
            }
        )
        return OrderBatch(orders=orders, lines=lines)

    def _compare(self, batch: OrderBatch) -> ImportCounts:
        """Mark each order new, changed or unchanged against the stored orders (two queries)."""
        orders = batch.orders
        stored = _orders_stored(numbers=orders["order_number"].tolist())
        ids = dict(zip(stored["order_number"], stored["id"], strict=True))
        orders["id"] = orders["order_number"].map(ids).astype("Int64")
        orders["is_new"] = orders["id"].isna().to_numpy()
        orders["is_changed"] = False
        if len(stored):
            orders["is_changed"] = _orders_changed(batch=batch, stored=stored, header_fields=self.header_fields)
        created = int(orders.loc[orders["is_new"], "line_count"].sum())
        updated = int(orders.loc[orders["is_changed"], "line_count"].sum())
        return ImportCounts(
            created=created, updated=updated, unchanged=int(orders["line_count"].sum()) - created - updated
        )


def _optional_ids(values: dict[str, pd.Series], name: str, head: np.ndarray) -> pd.array:
    if name not in values:
        return pd.array([pd.NA] * len(head), dtype="Int64")
    return pd.array(values[name].to_numpy(dtype="float64")[head], dtype="Float64").astype("Int64")


def _last_order_start(numbers: pd.Series) -> int:
    """Position where the frame's last order starts (its lines may go on in the next chunk)."""
    if numbers.empty:
        return 0
    numbers = numbers.str.strip()
    other = np.flatnonzero((numbers != numbers.iat[-1]).to_numpy())
    return int(other[-1]) + 1 if len(other) else 0


def _unreadable_orders_reject(
    *, frame: pd.DataFrame, lines: np.ndarray, rejected: np.ndarray, unreadable: list[UnreadableRow]
) -> list[RowError]:
    """Mark in `rejected` the orders that lines the reader could not read may belong to.

    An order's lines are next to each other, so an unreadable line belongs to the order
    directly above it, the one directly below it, or an order of its own. The neighbours
    whose number the line may have are rejected. When its number cannot be read at all,
    both are, and a note on the unreadable line names them; the notes are returned.
    """
    if not unreadable or frame.empty:
        return []
    numbers = frame["order_number"].str.strip().to_numpy(dtype=object)
    run_starts = np.r_[True, numbers[1:] != numbers[:-1]]
    run_of_row = np.cumsum(run_starts) - 1
    first_row_of_run = np.flatnonzero(run_starts)
    rejected_runs: set[int] = set()
    notes: list[RowError] = []
    for row in unreadable:
        below = int(np.searchsorted(lines, row.line))
        possible = row.cells.get("order_number")
        runs = [
            int(run_of_row[position])
            for position in (below - 1, below)
            if 0 <= position < len(numbers)
            and numbers[position] != ""
            and (possible is None or numbers[position] in possible)
        ]
        rejected_runs.update(runs)
        if possible is None and runs:
            orders = ", ".join(
                f"{numbers[first_row_of_run[run]]} (line {lines[first_row_of_run[run]]})" for run in dict.fromkeys(runs)
            )
            message = (
                "the order number of this line cannot be read, so the orders next to it are not imported"
                f" either: {orders}"
            )
            notes.append(RowError(row.line, "order_number", "", report_value(message)))
    rejected |= np.isin(run_of_row, list(rejected_runs))
    return notes


def _duplicate_lines(
    *, values: dict[str, pd.Series], groups: _Groups, lines: np.ndarray, usable: np.ndarray, errors: ChunkErrors
) -> None:
    line_no = values["line_no"].to_numpy(dtype="float64", na_value=np.nan)
    usable = usable & ~np.isnan(line_no)
    keys = pd.Series(groups.codes[usable].astype(np.int64) * 2**32 + line_no[usable].astype(np.int64))
    duplicate = keys.duplicated(keep="first").to_numpy()
    if not duplicate.any():
        return
    first_line = pd.Series(lines[usable]).groupby(keys.to_numpy()).transform("first").to_numpy()
    mask = np.zeros(len(line_no), dtype=bool)
    mask[np.flatnonzero(usable)[duplicate]] = True
    message = np.full(len(line_no), "", dtype=object)
    message[np.flatnonzero(usable)] = (
        "this order has this line number twice (first on line " + first_line.astype(str).astype(object) + ")"
    )
    errors.add(mask=mask, column="line_no", values=values["line_no"].astype(str), message=message)


def _cents(prices: pd.Series) -> np.ndarray:
    """Unit prices in cents; exact, as a checked price has at most 12 significant digits."""
    return np.rint(pd.to_numeric(prices, errors="coerce").to_numpy(dtype="float64", na_value=0) * 100).astype(np.int64)


def _order_errors(
    *,
    values: dict[str, pd.Series],
    frame: pd.DataFrame,
    groups: _Groups,
    lines: np.ndarray,
    detached: np.ndarray,
    rejected: np.ndarray,
    cents: np.ndarray,
    errors: ChunkErrors,
) -> np.ndarray:
    """Which rows belong to an order with at least one bad line (or `rejected`: next to an unreadable one).

    The order columns (company, contact, ordered_at, ...) come from the order's first
    line; a later line may leave them empty but not give another value. The total must fit.
    """
    order_bad = groups.any((errors.bad | rejected) & ~detached)
    head = groups.first[groups.codes]
    for column in (name for name in _HEADER_COLUMNS if name in values):
        cells = _comparable(values[column])
        same = (cells == cells[head]) | (pd.isna(cells) & pd.isna(cells[head]))
        differs = ~same & ~order_bad & ~detached
        if differs.any():
            # An empty cell on a later line takes the order's value from its first line.
            differs[differs] = [bool(cell.strip()) for cell in frame[column].to_numpy(dtype=object)[differs]]
        if differs.any():
            errors.add(
                mask=differs,
                column=column,
                values=frame[column],
                message="differs from the first line of this order (line "
                + lines[head].astype(str).astype(object)
                + ")",
            )
    quantity = values["quantity"].to_numpy(dtype="float64", na_value=0)
    too_large = (groups.total(quantity * cents) >= _MAX_TOTAL_CENTS) & ~detached
    errors.add(
        mask=too_large, column="quantity", values=frame["quantity"], message="the order's total amount is too large"
    )
    return groups.any((errors.bad | rejected) & ~detached)


def _comparable(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.to_numpy(dtype="datetime64[us]")
    return series.to_numpy()


_STORED_ORDER_FIELDS = (
    "id",
    "order_number",
    "company_id",
    "contact_id",
    "ordered_at",
    "channel",
    "status",
    "delivery_date",
    "total_amount",
)


def _orders_stored(*, numbers: list[str]) -> pd.DataFrame:
    rows: list[tuple[Any, ...]] = []
    for batch in in_batches(numbers):
        rows.extend(Order.objects.filter(values_in("order_number", batch)).values_list(*_STORED_ORDER_FIELDS))
    return pd.DataFrame(rows, columns=list(_STORED_ORDER_FIELDS))


def _orders_changed(*, batch: OrderBatch, stored: pd.DataFrame, header_fields: list[str]) -> np.ndarray:
    """Per order of the batch: whether its header or lines differ from the stored order."""
    orders = batch.orders
    merged = orders[
        ["order_number", "company_id", "contact_id", "ordered_at", "channel", "status", "delivery_date", "total_cents"]
    ].merge(_suffixed(stored, keys=["order_number"]), on="order_number", how="left")
    stored_cents = merged["total_amount_stored"].map(lambda amount: -1 if pd.isna(amount) else int(amount * 100))
    differs = (merged["company_id"] != merged["company_id_stored"]) | (merged["total_cents"] != stored_cents)
    differs |= ~_same(merged["ordered_at"], pd.to_datetime(merged["ordered_at_stored"], utc=True))
    differs |= merged["channel"] != merged["channel_stored"]
    if "status" in header_fields:
        differs |= merged["status"] != merged["status_stored"]
    if "contact_id" in header_fields:
        differs |= ~_same(merged["contact_id"], merged["contact_id_stored"].astype("Float64").astype("Int64"))
    if "delivery_date" in header_fields:
        differs |= ~_same(merged["delivery_date"], pd.to_datetime(merged["delivery_date_stored"]))
    changed = differs.to_numpy(dtype=bool) & ~orders["is_new"].to_numpy()
    stored_lines = _lines_stored(stored=stored)
    numbers = orders["order_number"].to_numpy(dtype=object)
    new_lines = batch.lines.assign(order_number=numbers[batch.lines["order"].to_numpy()])
    new_lines = new_lines[new_lines["order_number"].isin(set(stored["order_number"]))]
    lines = new_lines.merge(
        _suffixed(stored_lines, keys=["order_number", "line_no"]),
        on=["order_number", "line_no"],
        how="outer",
        indicator=True,
    )
    line_differs = (lines["_merge"] != "both") | (lines["product_id"] != lines["product_id_stored"])
    line_differs |= (lines["quantity"] != lines["quantity_stored"]) | (lines["cents"] != lines["cents_stored"])
    changed |= orders["order_number"].isin(set(lines.loc[line_differs.to_numpy(dtype=bool), "order_number"])).to_numpy()
    return changed


def _suffixed(frame: pd.DataFrame, *, keys: list[str]) -> pd.DataFrame:
    return frame.rename(columns={name: f"{name}_stored" for name in frame.columns if name not in keys})


def _same(left: pd.Series, right: pd.Series) -> pd.Series:
    return ((left == right).fillna(False) | (left.isna() & right.isna())).astype(bool)


def _lines_stored(*, stored: pd.DataFrame) -> pd.DataFrame:
    numbers = dict(zip(stored["id"], stored["order_number"], strict=True))
    rows: list[tuple[Any, ...]] = []
    for batch in in_batches(stored["id"].tolist()):
        rows.extend(
            OrderLine.objects.filter(values_in("order_id", batch)).values_list(
                "order_id", "line_no", "product_id", "quantity", "unit_price"
            )
        )
    frame = pd.DataFrame(rows, columns=["order_id", "line_no", "product_id", "quantity", "unit_price"])
    frame["order_number"] = frame["order_id"].map(numbers)
    frame["cents"] = frame["unit_price"].map(lambda price: int(price * 100)).astype("int64")
    frame["line_no"] = frame["line_no"].astype("int64")
    return frame.drop(columns=["order_id", "unit_price"])
