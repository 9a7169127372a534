"""What an import reports: row errors with file line numbers, and counts."""

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Long cells are cut in the report; the full value is in the file.
MAX_REPORTED_VALUE_LENGTH = 200


@dataclass(frozen=True)
class RowError:
    """One bad cell or row: `line` as in the file (header = line 1)."""

    line: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "value": self.value, "message": self.message}


def printable(text: str) -> str:
    """Text a database can store: NUL characters shown as \\0."""
    return text.replace("\x00", "\\0")


def report_value(value: object) -> str:
    text = printable("" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value))
    if len(text) > MAX_REPORTED_VALUE_LENGTH:
        return text[: MAX_REPORTED_VALUE_LENGTH - 1] + "…"
    return text


@dataclass
class ImportCounts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def add(self, other: "ImportCounts") -> None:
        self.rows += other.rows
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed


@dataclass
class _Entry:
    mask: np.ndarray
    column: str
    values: pd.Series
    message: "str | np.ndarray | pd.Series"


class ChunkErrors:
    """Row errors of one chunk, added column by column as boolean masks.

    Positions are 0..n-1 over the chunk's frame; `lines` maps them to file lines. A
    message is either one text for all rows, where `{value}` stands for the cell, or
    one text per row.
    """

    def __init__(self, *, lines: np.ndarray) -> None:
        self.lines = lines
        self._entries: list[_Entry] = []
        self._bad = np.zeros(len(lines), dtype=bool)

    def add(
        self,
        *,
        mask: "pd.Series | np.ndarray",
        column: str,
        values: pd.Series,
        message: "str | np.ndarray | pd.Series",
    ) -> None:
        array = np.asarray(mask, dtype=bool)
        if not array.any():
            return
        self._entries.append(_Entry(array, column, values, message))
        self._bad |= array

    @property
    def bad(self) -> np.ndarray:
        """Rows with at least one error."""
        return self._bad

    def row_errors(self) -> list[RowError]:
        errors: list[RowError] = []
        for entry in self._entries:
            positions = np.flatnonzero(entry.mask)
            values = [report_value(value) for value in entry.values.iloc[positions]]
            if isinstance(entry.message, str):
                messages: Iterable[str] = [entry.message.replace("{value}", value) for value in values]
            else:
                messages = [str(message) for message in np.asarray(entry.message, dtype=object)[positions]]
            for position, value, message in zip(positions, values, messages, strict=True):
                errors.append(RowError(int(self.lines[position]), entry.column, value, printable(message)))
        errors.sort(key=lambda error: error.line)
        return errors


@dataclass
class ErrorLog:
    """All row errors of a run, capped at `limit` reported ones."""

    limit: int
    errors: list[RowError] = field(default_factory=list)
    truncated: bool = False

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            if len(self.errors) >= self.limit:
                self.truncated = True
                return
            self.errors.append(error)

    def as_json(self) -> list[dict[str, object]]:
        return [error.as_dict() for error in self.errors]
