"""Writing a batch of checked orders: the ORM everywhere, COPY on PostgreSQL.

Both writers insert new orders, update changed ones (header and total_amount) and
replace the lines of every new or changed order. On PostgreSQL new order ids are
taken from the table's sequence in one query, then orders and lines go straight
into their tables with COPY; changed orders pass through a temporary table for one
UPDATE ... FROM; the writes of one chunk run in the background while the next
chunk is parsed. Table and column names come from the models; values only travel
as COPY data or query parameters.
"""

import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
import pandas as pd
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from integrations.erp.importers.base import WRITE_BATCH, in_batches
from orders.models import Order, OrderLine


@dataclass
class OrderBatch:
    """Checked orders of one chunk.

    `orders`: one row per order (order_number, company_id, contact_id, ordered_at,
    channel, status, delivery_date, total_cents, line_count; after the comparison
    also id, is_new, is_changed). `lines`: one row per line, `order` = its order's row.
    """

    orders: pd.DataFrame
    lines: pd.DataFrame

    @property
    def writes(self) -> bool:
        return bool(self.orders["is_new"].any() or self.orders["is_changed"].any())

    def lines_to_write(self, order_ids: np.ndarray) -> pd.DataFrame:
        """Lines of new and changed orders, with their order's id."""
        written = (self.orders["is_new"] | self.orders["is_changed"]).to_numpy()
        order = self.lines["order"].to_numpy()
        keep = written[order]
        lines = self.lines[keep]
        return pd.DataFrame(
            {
                "order_id": order_ids[order[keep]].astype(np.int64),
                "line_no": lines["line_no"].to_numpy(),
                "product_id": lines["product_id"].to_numpy(),
                "quantity": lines["quantity"].to_numpy(),
                "unit_price": lines["unit_price"].to_numpy(),
            }
        )


class OrderWriter(Protocol):
    def write(self, *, batch: OrderBatch, header_fields: list[str]) -> None:
        """Write the batch (the PostgreSQL writer starts it in the background)."""

    def wait(self) -> None:
        """Return when no write is in progress; raise the error of a failed one."""

    def close(self) -> None:
        """Wait, then release what the writer holds."""


def order_writer_for(connection: BaseDatabaseWrapper) -> OrderWriter:
    if connection.vendor == "postgresql":
        return PostgresOrderWriter(connection)
    return OrmOrderWriter()


def _amount(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def _order_ids(orders: pd.DataFrame) -> np.ndarray:
    return orders["id"].to_numpy(dtype="float64", na_value=np.nan)


class OrmOrderWriter:
    def wait(self) -> None:
        pass

    def close(self) -> None:
        pass

    def write(self, *, batch: OrderBatch, header_fields: list[str]) -> None:
        orders = batch.orders
        ids = _order_ids(orders)
        now = timezone.now()
        objects = {
            position: Order(
                id=None if np.isnan(ids[position]) else int(ids[position]),
                order_number=row.order_number,
                company_id=int(row.company_id),
                contact_id=None if pd.isna(row.contact_id) else int(row.contact_id),
                ordered_at=row.ordered_at.to_pydatetime(),
                channel=row.channel,
                status=row.status,
                delivery_date=None if pd.isna(row.delivery_date) else row.delivery_date.date(),
                total_amount=_amount(row.total_cents),
                updated_at=now,
            )
            for position, row in enumerate(orders.itertuples(index=False))
            if row.is_new or row.is_changed
        }
        changed = [order for order in objects.values() if order.id is not None]
        if changed:
            fields = ["company", "ordered_at", "channel", "total_amount", "updated_at", *header_fields]
            Order.objects.bulk_update(changed, fields, batch_size=WRITE_BATCH)
            for order_ids in in_batches([order.id for order in changed]):
                OrderLine.objects.filter(order_id__in=order_ids).delete()
        new = {position: order for position, order in objects.items() if order.id is None}
        Order.objects.bulk_create(list(new.values()), batch_size=WRITE_BATCH)
        if any(order.pk is None for order in new.values()):
            found = dict(
                Order.objects.filter(order_number__in=[o.order_number for o in new.values()]).values_list(
                    "order_number", "id"
                )
            )
            for order in new.values():
                order.pk = found[order.order_number]
        for position, order in new.items():
            ids[position] = order.pk
        lines = batch.lines_to_write(ids)
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order_id=int(order_id),
                    line_no=int(line_no),
                    product_id=int(product_id),
                    quantity=int(quantity),
                    unit_price=Decimal(unit_price),
                )
                for order_id, line_no, product_id, quantity, unit_price in lines.itertuples(index=False)
            ],
            batch_size=WRITE_BATCH,
        )


_CHANGED_TEMP = "erp_import_changed_orders"


def _column(model: type[models.Model], name: str) -> str:
    return model._meta.get_field(name).column


class PostgresOrderWriter:
    """Sequence ids, COPY straight into the tables, one UPDATE ... FROM for changed orders.

    A batch is written by one background thread on the import's own connection (so in
    its transaction) while the caller parses the next chunk; the caller must `wait()`
    before it uses the connection again. psycopg releases the GIL while PostgreSQL
    works, so reading and writing overlap.
    """

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        # The wrapper of this thread's connection itself (django.db.connection is a per-thread proxy).
        self.connection = connections[connection.alias]
        self.quote = connection.ops.quote_name
        self.order_table = self.quote(Order._meta.db_table)
        self.line_table = self.quote(OrderLine._meta.db_table)
        self.sequence: str | None = None
        self.executor: ThreadPoolExecutor | None = None
        self.pending: Future[None] | None = None

    def write(self, *, batch: OrderBatch, header_fields: list[str]) -> None:
        self.wait()
        if self.executor is None:
            self.connection.ensure_connection()
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="erp-order-writer")
        self.pending = self.executor.submit(self._write, batch, header_fields)

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self.executor is not None:
                self.executor.shutdown()
                self.executor = None

    def _write(self, batch: OrderBatch, header_fields: list[str]) -> None:
        orders = batch.orders
        ids = _order_ids(orders)
        new = orders["is_new"].to_numpy()
        changed = orders["is_changed"].to_numpy()
        now = timezone.now()
        with self.connection.wrap_database_errors, self.connection.connection.cursor() as cursor:
            if new.any():
                ids[new] = self._ids_take(cursor, count=int(new.sum()))
                self._copy(cursor, table=self.order_table, frame=_orders_copy_frame(orders[new], ids=ids[new], now=now))
            if changed.any():
                self._changed_update(cursor, orders=orders[changed], header_fields=header_fields, now=now)
            lines = batch.lines_to_write(ids)
            lines.columns = [
                _column(OrderLine, name) for name in ("order", "line_no", "product", "quantity", "unit_price")
            ]
            self._copy(cursor, table=self.line_table, frame=lines)

    def _ids_take(self, cursor: Any, *, count: int) -> np.ndarray:
        if self.sequence is None:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [Order._meta.db_table, _column(Order, "id")])
            self.sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.sequence, count])
        return np.array([row[0] for row in cursor.fetchall()], dtype="float64")

    def _copy(self, cursor: Any, *, table: str, frame: pd.DataFrame) -> None:
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False)
        buffer.seek(0)
        columns = ", ".join(self.quote(name) for name in frame.columns)
        sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"
        if hasattr(cursor, "copy_expert"):  # psycopg2
            cursor.copy_expert(sql, buffer)
        else:  # psycopg 3
            with cursor.copy(sql) as copy:
                copy.write(buffer.getvalue())

    def _changed_update(self, cursor: Any, *, orders: pd.DataFrame, header_fields: list[str], now: Any) -> None:
        """New header values for stored orders, and their old lines deleted."""
        frame = _orders_copy_frame(orders, ids=_order_ids(orders), now=now)
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_CHANGED_TEMP} "
            f"(LIKE {self.order_table} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {_CHANGED_TEMP}")
        self._copy(cursor, table=_CHANGED_TEMP, frame=frame)
        fields = [
            "company",
            "ordered_at",
            "channel",
            "total_amount",
            "updated_at",
            *[f.removesuffix("_id") for f in header_fields],
        ]
        assignments = ", ".join(
            f"{self.quote(_column(Order, name))} = t.{self.quote(_column(Order, name))}" for name in fields
        )
        key = self.quote(_column(Order, "id"))
        cursor.execute(
            f"UPDATE {self.order_table} AS o SET {assignments} FROM {_CHANGED_TEMP} AS t WHERE o.{key} = t.{key}"
        )
        order = self.quote(_column(OrderLine, "order"))
        cursor.execute(f"DELETE FROM {self.line_table} WHERE {order} IN (SELECT {key} FROM {_CHANGED_TEMP})")


def _orders_copy_frame(orders: pd.DataFrame, *, ids: np.ndarray, now: Any) -> pd.DataFrame:
    """The orders as COPY rows for the orders table (column names from the model)."""
    cents = orders["total_cents"].to_numpy()
    stamp = now.isoformat()
    frame = pd.DataFrame(
        {
            "id": ids.astype(np.int64),
            "order_number": orders["order_number"].to_numpy(),
            "company": orders["company_id"].to_numpy(),
            "contact": orders["contact_id"].array,
            "ordered_at": orders["ordered_at"].dt.strftime("%Y-%m-%d %H:%M:%S.%f+00").to_numpy(),
            "channel": orders["channel"].to_numpy(),
            "status": orders["status"].to_numpy(),
            "delivery_date": orders["delivery_date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "total_amount": [f"{value // 100}.{value % 100:02d}" for value in cents.tolist()],
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    frame.columns = [_column(Order, name) for name in frame.columns]
    return frame
