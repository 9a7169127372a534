"""Fast writes of the sync's own records (the shop's copy of tags and members): multi-row upserts.

A 100k-member sync writes hundreds of thousands of these rows; building a model instance per
row (`bulk_create`) costs more than the Mailchimp calls themselves. Identifiers come from
the model's metadata and every value is a query parameter. `INSERT ... ON CONFLICT` is
supported by PostgreSQL and SQLite (3.24+).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

_ROWS_PER_STATEMENT = 500


def rows_upsert(
    model: type[Model], *, fields: Sequence[str], rows: Sequence[Sequence[Any]], conflict: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """Insert rows; on a conflict on `conflict`, update `update` (or do nothing when empty)."""
    if not rows:
        return
    meta, quote = model._meta, connection.ops.quote_name
    columns = [quote(meta.get_field(name).column) for name in fields]
    conflict_columns = ", ".join(quote(meta.get_field(name).column) for name in conflict)
    if update:
        updates = ", ".join(
            f"{quote(meta.get_field(name).column)} = EXCLUDED.{quote(meta.get_field(name).column)}" for name in update
        )
        action = f"DO UPDATE SET {updates}"
    else:
        action = "DO NOTHING"
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            batch = rows[start : start + _ROWS_PER_STATEMENT]
            sql = (
                f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) VALUES "
                f"{', '.join([placeholder] * len(batch))} ON CONFLICT ({conflict_columns}) {action}"
            )
            cursor.execute(sql, [value for row in batch for value in row])


def db_datetime(value: Any) -> Any:
    """A datetime as the database expects it in a raw statement."""
    return connection.ops.adapt_datetimefield_value(value)
