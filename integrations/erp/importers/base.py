"""What every entity importer shares: chunk results, duplicate keys, key lookups, upserts.

An importer is fed chunks of text cells in file order and answers each with counts
and row errors. Reads and writes are set-based: per chunk one query per lookup or
table, never one per row.
"""

from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.text import shadow_values
from integrations.erp.readers import TableChunk
from integrations.erp.report import ChunkErrors, ImportCounts, RowError
from integrations.erp.schemas import EntitySchema, Kind

# Keys per IN (...) list: well under SQLite's limit of bound parameters.
IN_BATCH = 10_000
WRITE_BATCH = 2_000
_KEY_SEPARATOR = "\x1f"


@dataclass
class ChunkResult:
    counts: ImportCounts = field(default_factory=ImportCounts)
    errors: list[RowError] = field(default_factory=list)


class Importer:
    """Base of the entity importers. `write=False` validates and counts only (dry run)."""

    schema: ClassVar[EntitySchema]

    def __init__(self, *, columns: tuple[str, ...], decimal_comma: bool, write: bool) -> None:
        self.columns = columns
        self.decimal_comma = decimal_comma
        self.write = write

    def feed(self, chunk: TableChunk) -> ChunkResult:
        raise NotImplementedError

    def finish(self) -> ChunkResult:
        """Rows held back (the last order, all categories) are applied here."""
        return ChunkResult()

    def close(self) -> None:
        """Called however the import ends, before its transaction closes."""


def in_batches(values: Iterable[Hashable], *, size: int = IN_BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def values_in(field: str, values: list[Any]) -> Q:
    """`field IN (values)`; on PostgreSQL the values travel as one array parameter.

    That spares the ORM one bound parameter per value (thousands per chunk).
    """
    if connection.vendor == "postgresql" and values:
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s)", (list(values),))})
    return Q(**{f"{field}__in": values})


def key_join(*parts: pd.Series) -> pd.Series:
    """One text key per row from several columns."""
    key = parts[0].astype(str)
    for part in parts[1:]:
        key = key + _KEY_SEPARATOR + part.astype(str)
    return key


class KeyTracker:
    """Remembers the line where each key was first seen in the file; later rows are duplicates."""

    def __init__(self) -> None:
        self.first_lines: dict[str, int] = {}

    def mark(self, *, keys: pd.Series, lines: np.ndarray, usable: np.ndarray, errors: ChunkErrors, column: str) -> None:
        """Report every row whose key was already seen (earlier in this chunk or before)."""
        usable_keys = keys[usable]
        if usable_keys.empty:
            return
        line_series = pd.Series(lines[usable], index=usable_keys.index)
        earlier = usable_keys.map(self.first_lines)
        repeated = usable_keys.duplicated(keep="first")
        duplicate = earlier.notna() | repeated
        if duplicate.any():
            first_in_chunk = line_series.groupby(usable_keys.to_numpy()).transform("first")
            first = earlier.fillna(first_in_chunk).astype("int64")
            message = "duplicate key: already on line " + first.astype(str) + "; only the first one is imported"
            errors.add(
                mask=duplicate.reindex(keys.index, fill_value=False).to_numpy(),
                column=column,
                values=keys.str.replace(_KEY_SEPARATOR, " / ", regex=False),
                message=message.reindex(keys.index, fill_value=""),
            )
        new = ~repeated & earlier.isna()
        self.first_lines.update(zip(usable_keys[new], line_series[new].tolist(), strict=True))


class KeyLookup:
    """Maps natural keys to ids (or other integer fields) with one query per chunk for new keys."""

    def __init__(self, queryset: models.QuerySet, *, key_field: str, value_fields: tuple[str, ...] = ("id",)) -> None:
        self.queryset = queryset
        self.key_field = key_field
        self.value_fields = value_fields
        self.known: dict[str, dict[str, Any]] = {name: {} for name in value_fields}
        self.missing: set[str] = set()

    def resolve(self, keys: pd.Series, *, field: str = "id") -> pd.Series:
        """`field` of the row matching each key, as floats; NaN where the key is empty or unknown."""
        known = self.known[field]
        codes, distinct = pd.factorize(keys.to_numpy(dtype=object))
        wanted = [key for key in distinct if key and key not in known and key not in self.missing]
        for batch in in_batches(wanted):
            rows = self.queryset.filter(values_in(self.key_field, batch)).values_list(
                self.key_field, *self.value_fields
            )
            for key, *found in rows:
                for name, value in zip(self.value_fields, found, strict=True):
                    self.known[name][key] = value
            self.missing.update(key for key in batch if key not in known)
        found = np.array([known.get(key, np.nan) for key in distinct], dtype="float64")
        return pd.Series(found.take(codes), index=keys.index)


def python_values(*, kind: Kind, series: pd.Series) -> list[Any]:
    """Parsed column values as Python objects for the ORM (None for missing)."""
    if kind == Kind.INTEGER:
        return [None if value is pd.NA else int(value) for value in series]
    if kind == Kind.DECIMAL:
        return [Decimal(value) if isinstance(value, str) else None for value in series]
    if kind == Kind.DATE:
        return [None if pd.isna(value) else value.date() for value in series]
    if kind == Kind.DATETIME:
        return [None if pd.isna(value) else value.to_pydatetime() for value in series]
    return [None if value is None or value is pd.NA else value for value in series.astype(object)]


def records_build(
    *, schema: EntitySchema, values: dict[str, pd.Series], rows: np.ndarray, names: Sequence[str]
) -> list[dict[str, Any]]:
    """Per-row dicts of Python values for the columns `names`, for the row positions `rows`."""
    columns = [python_values(kind=schema.column(name).kind, series=values[name].iloc[rows]) for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)] if names else [{} for _ in rows]


def folded_fields(*, fields: Iterable[str], folded: Iterable[str]) -> list[str]:
    """The `*_ci` shadow columns (accounts/text.py) of the folded text fields among `fields`."""
    present = set(fields)
    return [f"{name}_ci" for name in folded if name in present]


def folded_add(*, records: list[dict[str, Any]], folded: Iterable[str]) -> None:
    """Fill each record's `*_ci` shadow columns from its text fields."""
    names = [name for name in folded if records and name in records[0]]
    for record in records:
        record.update(shadow_values(SimpleNamespace(**record), names))


def fields_changed(*, current: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of the fields whose new value differs from the stored one."""
    return [name for name, value in new.items() if not _same(current.get(name), value)]


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is new
    return bool(old == new)


@dataclass
class UpsertPlan:
    """Rows to create, rows to update (with the changed fields) and how many stay as they are."""

    creates: list[models.Model] = field(default_factory=list)
    updates: list[models.Model] = field(default_factory=list)
    update_fields: set[str] = field(default_factory=set)
    unchanged: int = 0

    def add_update(self, obj: models.Model, fields: Iterable[str]) -> None:
        self.updates.append(obj)
        self.update_fields.update(fields)


def upsert_plan(
    *,
    model: type[models.Model],
    rows: Iterable[tuple[Hashable, dict[str, Any]]],
    existing: dict[Hashable, dict[str, Any]],
) -> UpsertPlan:
    """Compare each row with the stored one (`existing`, with "id") before writing anything."""
    plan = UpsertPlan()
    for key, new in rows:
        current = existing.get(key)
        if current is None:
            plan.creates.append(model(**new))
            continue
        changed = fields_changed(current=current, new=new)
        if not changed:
            plan.unchanged += 1
            continue
        plan.add_update(model(**{**current, **new}), changed)
    return plan


def upsert_apply(*, model: type[models.Model], plan: UpsertPlan) -> None:
    if plan.creates:
        model.objects.bulk_create(plan.creates, batch_size=WRITE_BATCH)
    if plan.updates:
        fields = sorted(plan.update_fields)
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            now = timezone.now()
            for obj in plan.updates:
                obj.updated_at = now  # type: ignore[attr-defined]
            fields.append("updated_at")
        model.objects.bulk_update(plan.updates, fields, batch_size=WRITE_BATCH)
