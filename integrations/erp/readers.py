"""Reading ERP files into chunks of text cells: CSV (`,` or `;`), JSON lines, a JSON array.

Every cell is read as text (`000123` keeps its zeros); parsing trims it. Each row carries
its line number in the file: for CSV the header is line 1 and the first data row
line 2 (a quoted value that spans lines is counted); for JSON lines the physical
line; for a JSON array the item's position (first item = 1). A row that cannot be read
is a row error; what can still be read of it comes along (`UnreadableRow`), so that the
order importer can reject the order it belongs to.
"""

import codecs
import csv
import io
import json
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pandas as pd
from pandas.errors import ParserError, ParserWarning

from integrations.erp.exceptions import ErpFileError
from integrations.erp.report import RowError, report_value

FORMATS: tuple[str, ...] = ("csv", "jsonl", "json")

_BOM = codecs.BOM_UTF8
_HEAD_BYTES = 64 * 1024
_MAX_HEADER_BYTES = 1024 * 1024
_JSON_READ_CHARS = 1024 * 1024
# A spare column catches a row with one value too many as a row error.
_EXTRA_COLUMN = "\x00extra"
_EXPECTED_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_UNCLOSED_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass(frozen=True)
class UnreadableRow:
    """A row that could not be read (reported in `TableChunk.errors`), with what its cells still tell.

    `cells` maps a column to the trimmed values its cell may hold; a column that is not
    in it cannot be read at all. An importer that applies groups of rows (orders) needs
    this to reject the group the row belongs to.
    """

    line: int
    cells: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class TableChunk:
    """Up to chunk_rows rows: text cells, their file lines, and rows that could not be read."""

    frame: pd.DataFrame
    lines: np.ndarray
    errors: tuple[RowError, ...] = ()
    unreadable: tuple[UnreadableRow, ...] = ()  # one per error, in file order

    @property
    def row_count(self) -> int:
        return len(self.frame) + len(self.errors)


@dataclass(frozen=True)
class Table:
    fmt: str
    columns: tuple[str, ...]
    decimal_comma: bool
    chunks: Iterator[TableChunk]


class _Source(io.RawIOBase):
    """The input stream with a peekable head; notes whether a `"` has gone by."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream
        self._head = b""
        self._eof = False
        self.saw_quote = False

    def readable(self) -> bool:
        return True

    def peek(self, size: int) -> bytes:
        while len(self._head) < size and not self._eof:
            data = self._stream.read(size - len(self._head))
            if not data:
                self._eof = True
            self._head += data
        return self._head[:size]

    def peek_line(self) -> bytes:
        size = _HEAD_BYTES
        while True:
            head = self.peek(size)
            end = head.find(b"\n")
            if end >= 0:
                return head[: end + 1]
            if len(head) < size:
                return head
            if size >= _MAX_HEADER_BYTES:
                raise ErpFileError("the first line (the header) is too long")
            size *= 2

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            data, self._head = self._head[: len(buffer)], self._head[len(buffer) :]
        else:
            data = self._stream.read(len(buffer))
        if b'"' in data:
            self.saw_quote = True
        buffer[: len(data)] = data
        return len(data)


def table_open(*, stream: BinaryIO, fmt: str | None, chunk_rows: int) -> Table:
    """Check the start of the file and return its columns and a lazy chunk iterator."""
    if fmt is not None and fmt not in FORMATS:
        raise ErpFileError(f"unknown format '{fmt}'; use one of {', '.join(FORMATS)}")
    source = _Source(stream)
    head = source.peek(_HEAD_BYTES)
    start = head.removeprefix(_BOM).lstrip()
    if not start and len(head) < _HEAD_BYTES:
        raise ErpFileError("the file is empty")
    fmt = fmt or _format_sniff(start)
    if fmt == "csv":
        return _csv_open(source, chunk_rows=chunk_rows)
    if fmt == "jsonl":
        return _json_lines_open(source, chunk_rows=chunk_rows)
    return _json_array_open(source, chunk_rows=chunk_rows)


def _format_sniff(start: bytes) -> str:
    if start.startswith(b"["):
        return "json"
    if start.startswith(b"{"):
        return "jsonl"
    return "csv"


def column_normalize(name: str) -> str:
    """Trim and lower-case a column name; the name part of `attr.<name>` keeps its case."""
    name = name.strip()
    if name[:5].lower() == "attr.":
        return "attr." + name[5:].strip()
    return name.lower()


def _columns_check(names: list[str]) -> tuple[str, ...]:
    columns = [column_normalize(name) for name in names]
    if any("\x00" in column for column in columns):
        raise ErpFileError("the header contains a NUL character; is this a text file?")
    for position, column in enumerate(columns, start=1):
        if not column:
            raise ErpFileError(f"column {position} of the header has no name")
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise ErpFileError(f"the column '{column}' appears more than once in the header")
        seen.add(column)
    return tuple(columns)


# --- CSV -------------------------------------------------------------------------------


def _csv_open(source: _Source, *, chunk_rows: int) -> Table:
    header_bytes = source.peek_line().removeprefix(_BOM)
    try:
        header = re.split(r"[\r\n]", header_bytes.decode("utf-8"), maxsplit=1)[0]
    except UnicodeDecodeError as exc:
        raise ErpFileError(_not_utf8_message()) from exc
    if not header.strip():
        raise ErpFileError("the first line must be the header with the column names, but it is empty")
    separator = ";" if header.count(";") > header.count(",") else ","
    try:
        names = next(csv.reader([header], delimiter=separator))
    except csv.Error as exc:
        raise ErpFileError(f"the header line could not be read: {exc}") from exc
    columns = _columns_check(names)
    return Table(
        fmt="csv",
        columns=columns,
        decimal_comma=separator == ";",
        chunks=_csv_chunks(source, columns=columns, separator=separator, chunk_rows=chunk_rows),
    )


def _csv_chunks(source: _Source, *, columns: tuple[str, ...], separator: str, chunk_rows: int) -> Iterator[TableChunk]:
    next_line = 2  # the header is line 1
    with _csv_errors(line_offset=0):
        reader = pd.read_csv(
            io.BufferedReader(source, buffer_size=1024 * 1024),
            sep=separator,
            header=None,
            skiprows=1,
            names=[*columns, _EXTRA_COLUMN],
            index_col=False,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
            engine="c",
            chunksize=chunk_rows,
        )
    rows = 0
    while True:
        # pandas counts records; quoted line breaks before them move the file line down.
        with _csv_errors(line_offset=next_line - 2 - rows):
            frame = next(reader, None)
        if frame is None:
            return
        rows += len(frame)
        lines, next_line = _csv_lines(frame, first_line=next_line, count_newlines=source.saw_quote)
        yield _csv_chunk(frame, lines=lines, separator=separator)


@contextmanager
def _csv_errors(*, line_offset: int) -> Iterator[None]:
    """pandas' parse problems as file errors a person can act on."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ParserWarning)
            yield
    except ParserWarning as exc:
        raise ErpFileError("a row has more values than the header has columns") from exc
    except ParserError as exc:
        raise ErpFileError(_parser_error_message(str(exc), line_offset=line_offset)) from exc
    except UnicodeDecodeError as exc:
        raise ErpFileError(_not_utf8_message()) from exc


def _csv_lines(frame: pd.DataFrame, *, first_line: int, count_newlines: bool) -> tuple[np.ndarray, int]:
    """File line of each row; a quoted value with line breaks moves the following rows down."""
    lines = np.arange(first_line, first_line + len(frame), dtype=np.int64)
    if count_newlines and len(frame):
        breaks = np.zeros(len(frame), dtype=np.int64)
        for column in frame.columns:
            breaks += frame[column].str.count("\n").to_numpy(dtype=np.int64)
        lines += np.concatenate(([0], np.cumsum(breaks)[:-1]))
        return lines, int(lines[-1] + breaks[-1] + 1)
    return lines, first_line + len(frame)


def _csv_chunk(frame: pd.DataFrame, *, lines: np.ndarray, separator: str) -> TableChunk:
    extra = frame.pop(_EXTRA_COLUMN).to_numpy(dtype=object)
    empty_extra = extra == ""
    blank = (
        np.logical_and.reduce([frame[column].to_numpy(dtype=object) == "" for column in frame.columns]) & empty_extra
    )
    errors = tuple(
        RowError(int(line), "", report_value(value), "the row has more values than the header has columns")
        for line, value in zip(lines[~empty_extra], extra[~empty_extra], strict=True)
    )
    unreadable: tuple[UnreadableRow, ...] = ()
    if errors:
        rejected = np.flatnonzero(~empty_extra)
        cells = frame.iloc[rejected].to_numpy(dtype=object)
        unreadable = tuple(
            UnreadableRow(
                int(lines[position]),
                _cells_with_one_value_too_many(
                    [*row, extra[position]], columns=tuple(frame.columns), separator=separator
                ),
            )
            for position, row in zip(rejected, cells, strict=True)
        )
    keep = ~blank & empty_extra
    if not keep.all():
        frame = frame[keep].reset_index(drop=True)
        lines = lines[keep]
    return TableChunk(frame=frame, lines=lines, errors=errors, unreadable=unreadable)


def _cells_with_one_value_too_many(
    values: list[str], *, columns: tuple[str, ...], separator: str
) -> dict[str, frozenset[str]]:
    """What each cell of a row with one value too many may hold.

    Somewhere a value was split by an unquoted separator, or a stray one slipped in.
    A column holds its own value when that happened after it, the next value when it
    happened before it, or both joined when it happened inside it.
    """
    return {
        column: frozenset(
            value.strip() for value in (values[at], values[at + 1], values[at] + separator + values[at + 1])
        )
        for at, column in enumerate(columns)
    }


def _parser_error_message(text: str, *, line_offset: int) -> str:
    if match := _EXPECTED_FIELDS.search(text):
        expected, line, seen = (int(group) for group in match.groups())
        return (
            f"line {line + line_offset}: the row has {seen} values but the header has {expected - 1} columns; "
            "nothing was imported"
        )
    if match := _UNCLOSED_QUOTE.search(text):
        return f"a quoted value that starts near line {int(match.group(1)) + 1 + line_offset} is never closed"
    return f"the CSV file could not be read: {text.strip()}"


def _not_utf8_message() -> str:
    return "the file is not UTF-8 text; save or export it as UTF-8 (with or without BOM)"


# --- JSON lines and JSON array -------------------------------------------------------------


def _text_stream(source: _Source) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BufferedReader(source), encoding="utf-8-sig", errors="strict")


def _json_reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed")


def _json_loads(text: str) -> object:
    return json.loads(text, parse_float=str, parse_int=str, parse_constant=_json_reject_constant)


class _ChunkBuilder:
    """Collects JSON records into chunks of text cells in the header's column order."""

    def __init__(self, *, columns: tuple[str, ...], chunk_rows: int) -> None:
        self.columns = columns
        self.index = {column: position for position, column in enumerate(columns)}
        self.chunk_rows = chunk_rows
        self.rows: list[list[str]] = []
        self.lines: list[int] = []
        self.errors: list[RowError] = []
        self.unreadable: list[UnreadableRow] = []

    def add(self, *, record: object, line: int) -> None:
        if not isinstance(record, dict):
            self.add_error(RowError(line, "", report_value(record), "the record is not a JSON object"))
            return
        cells = [""] * len(self.columns)
        unread: set[int] = set()  # positions whose value cannot be read
        error: RowError | None = None  # the first problem is reported; the rest of the record is still read
        for key, value in record.items():
            if not _encodable(str(key)):
                error = error or RowError(line, "", "", "the record contains text that is not valid Unicode")
                continue
            column = column_normalize(str(key))
            position = self.index.get(column)
            if isinstance(value, str) and not _encodable(value):
                error = error or RowError(line, "", "", "the record contains text that is not valid Unicode")
                if position is not None:
                    unread.add(position)
                continue
            if position is None:
                error = error or RowError(
                    line, column, report_value(value), "unknown field; it is not in the first record"
                )
                continue
            if isinstance(value, (dict, list)):
                error = error or RowError(
                    line, column, report_value(json.dumps(value)), "must be a single value, not a list or object"
                )
                unread.add(position)
                continue
            cells[position] = _json_cell(value)
        if error is None:
            self.rows.append(cells)
            self.lines.append(line)
            return
        self.errors.append(error)
        readable = {
            column: frozenset({cells[position]}) for column, position in self.index.items() if position not in unread
        }
        self.unreadable.append(UnreadableRow(line, readable))

    def add_error(self, error: RowError) -> None:
        """A record of which nothing can be read (not JSON, not an object)."""
        self.errors.append(error)
        self.unreadable.append(UnreadableRow(error.line, {}))

    @property
    def full(self) -> bool:
        return len(self.rows) + len(self.errors) >= self.chunk_rows

    def take(self) -> TableChunk:
        frame = pd.DataFrame(self.rows, columns=list(self.columns), dtype=object)
        chunk = TableChunk(
            frame=frame,
            lines=np.asarray(self.lines, dtype=np.int64),
            errors=tuple(self.errors),
            unreadable=tuple(self.unreadable),
        )
        self.rows, self.lines, self.errors, self.unreadable = [], [], [], []
        return chunk

    @property
    def empty(self) -> bool:
        return not self.rows and not self.errors


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_cell(value: object) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value).strip()


def _first_record_columns(record: object, *, where: str) -> tuple[str, ...]:
    if not isinstance(record, dict):
        raise ErpFileError(f"{where} is not a JSON object with the column names as keys")
    if not record:
        # The first record names the columns: an empty one names none.
        raise ErpFileError(f"{where} is an empty JSON object; it must have the column names as keys")
    if not all(_encodable(str(key)) for key in record):
        raise ErpFileError(f"{where} has a key that is not valid Unicode")
    return _columns_check([str(key) for key in record])


def _json_lines_open(source: _Source, *, chunk_rows: int) -> Table:
    text = _text_stream(source)
    first_line = 0
    try:
        for first_line, raw in enumerate(text, start=1):  # noqa: B007 - the loop finds the first record
            if raw.strip():
                break
        record = _json_loads(raw)
    except UnicodeDecodeError as exc:
        raise ErpFileError(_not_utf8_message()) from exc
    except ValueError as exc:
        raise ErpFileError(f"line {first_line} is not valid JSON: {exc}") from exc
    columns = _first_record_columns(record, where=f"line {first_line}")
    return Table(
        fmt="jsonl",
        columns=columns,
        decimal_comma=False,
        chunks=_json_lines_chunks(text, first=(first_line, record), columns=columns, chunk_rows=chunk_rows),
    )


def _json_lines_chunks(
    text: io.TextIOWrapper, *, first: tuple[int, object], columns: tuple[str, ...], chunk_rows: int
) -> Iterator[TableChunk]:
    builder = _ChunkBuilder(columns=columns, chunk_rows=chunk_rows)
    first_line, record = first
    builder.add(record=record, line=first_line)
    try:
        for line, raw in enumerate(text, start=first_line + 1):
            if builder.full:
                yield builder.take()
            if not raw.strip():
                continue
            try:
                record = _json_loads(raw)
            except ValueError as exc:
                builder.add_error(RowError(line, "", report_value(raw.strip()), f"the line is not valid JSON: {exc}"))
                continue
            builder.add(record=record, line=line)
    except UnicodeDecodeError as exc:
        raise ErpFileError(_not_utf8_message()) from exc
    if not builder.empty:
        yield builder.take()


class _JsonArrayItems:
    """Streams the items of a top-level JSON array without loading the whole body."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._decoder = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=_json_reject_constant)
        self._buffer = ""
        self._position = 0
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        try:
            data = self._text.read(_JSON_READ_CHARS)
        except UnicodeDecodeError as exc:
            raise ErpFileError(_not_utf8_message()) from exc
        if not data:
            self._eof = True
            return False
        self._buffer = self._buffer[self._position :] + data
        self._position = 0
        return True

    def _next_char(self) -> str:
        """The next non-whitespace character (not consumed); '' at the end."""
        while True:
            while self._position < len(self._buffer) and self._buffer[self._position] in " \t\r\n":
                self._position += 1
            if self._position < len(self._buffer):
                return self._buffer[self._position]
            if not self._fill():
                return ""

    def _decode(self, index: int) -> object:
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._position)
            except ValueError as exc:
                if self._fill():
                    continue
                raise ErpFileError(f"the JSON is invalid at item {index}: {exc}") from exc
            if end == len(self._buffer) and self._fill():
                continue  # a number may go on in the next read
            self._position = end
            return value

    def __iter__(self) -> Iterator[tuple[int, object]]:
        if self._next_char() != "[":
            raise ErpFileError("the body is not a JSON array")
        self._position += 1
        index = 0
        while True:
            char = self._next_char()
            if char == "]" and index == 0:
                self._position += 1
                break
            if index:
                if char == "]":
                    self._position += 1
                    break
                if char != ",":
                    raise ErpFileError(f"the JSON is invalid after item {index}: expected ',' or ']'")
                self._position += 1
                self._next_char()
            index += 1
            yield index, self._decode(index)
        if self._next_char():
            raise ErpFileError("the JSON array is followed by more text")


def _json_array_open(source: _Source, *, chunk_rows: int) -> Table:
    items = iter(_JsonArrayItems(_text_stream(source)))
    first = next(items, None)
    if first is None:
        return Table(fmt="json", columns=(), decimal_comma=False, chunks=iter(()))
    columns = _first_record_columns(first[1], where="item 1")
    return Table(
        fmt="json",
        columns=columns,
        decimal_comma=False,
        chunks=_json_array_chunks(items, first=first, columns=columns, chunk_rows=chunk_rows),
    )


def _json_array_chunks(
    items: Iterator[tuple[int, object]], *, first: tuple[int, object], columns: tuple[str, ...], chunk_rows: int
) -> Iterator[TableChunk]:
    builder = _ChunkBuilder(columns=columns, chunk_rows=chunk_rows)
    builder.add(record=first[1], line=first[0])
    for index, record in items:
        if builder.full:
            yield builder.take()
        builder.add(record=record, line=index)
    if not builder.empty:
        yield builder.take()
