"""The chunk-by-chunk flow of entities with one row per record."""

from operator import attrgetter

import numpy as np
import pandas as pd

from integrations.erp.importers.base import ChunkResult, Importer, KeyTracker
from integrations.erp.readers import TableChunk
from integrations.erp.report import ChunkErrors, ImportCounts
from integrations.erp.schemas import frame_parse


class RowImporter(Importer):
    """Parse, check, drop duplicate keys, then upsert the good rows of each chunk.

    Subclasses give the key of a row (`row_keys`), checks that need the database
    (`rows_check`) and the upsert (`rows_apply`), which compares before it writes.
    """

    def __init__(self, *, columns: tuple[str, ...], decimal_comma: bool, write: bool) -> None:
        super().__init__(columns=columns, decimal_comma=decimal_comma, write=write)
        self.key_tracker = KeyTracker()

    def feed(self, chunk: TableChunk) -> ChunkResult:
        errors = ChunkErrors(lines=chunk.lines)
        values = frame_parse(schema=self.schema, frame=chunk.frame, errors=errors, decimal_comma=self.decimal_comma)
        keys, usable = self.row_keys(values)
        self.key_tracker.mark(
            keys=keys, lines=chunk.lines, usable=usable, errors=errors, column=" / ".join(self.key_columns())
        )
        self.rows_check(values=values, frame=chunk.frame, errors=errors)
        good = np.flatnonzero(~errors.bad)
        counts = self.rows_apply(values=values, frame=chunk.frame, keys=keys, rows=good)
        counts.rows = chunk.row_count
        counts.failed = int(errors.bad.sum()) + len(chunk.errors)
        return ChunkResult(counts=counts, errors=sorted([*chunk.errors, *errors.row_errors()], key=attrgetter("line")))

    def key_columns(self) -> tuple[str, ...]:
        return tuple(name for name in self.schema.key if name in self.columns)

    def row_keys(self, values: dict[str, pd.Series]) -> tuple[pd.Series, np.ndarray]:
        """The natural key of each row, and which rows have a usable (non-empty, valid) key."""
        keys = values[self.schema.key[0]].fillna("").astype(str)
        return keys, (keys != "").to_numpy()

    def rows_check(self, *, values: dict[str, pd.Series], frame: pd.DataFrame, errors: ChunkErrors) -> None:
        """Row errors that need other tables (unknown company, ...) or several columns."""

    def rows_apply(
        self, *, values: dict[str, pd.Series], frame: pd.DataFrame, keys: pd.Series, rows: np.ndarray
    ) -> ImportCounts:
        raise NotImplementedError


def unknown_reference_check(
    *, cells: pd.Series, ids: pd.Series, errors: ChunkErrors, column: str, message: str
) -> None:
    """A filled-in reference that matches nothing is a row error; `message` may use {value}."""
    errors.add(mask=((cells != "") & ids.isna()).to_numpy(), column=column, values=cells, message=message)
