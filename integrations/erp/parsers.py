"""Parsing text cells into typed values, with readable messages for bad cells.

A parser gets a column of trimmed, distinct cell texts (see `schemas.column_parse`,
which parses each distinct value once and spreads the result over the rows), notes
each problem in `Problems` and returns the parsed values: missing where a cell is
empty or bad. Messages are templates where `{value}` stands for the cell.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from accounts.countries import normalize_country
from b2bshop.weekdays import WeekdayParseError, parse_weekdays
from integrations.erp.report import ChunkErrors

TRUE_WORDS = ("true", "1", "yes", "ja")
FALSE_WORDS = ("false", "0", "no", "nee")
_BOOLEANS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}

_INTEGER = r"[+-]?\d+(?:\.0*)?"
_EXACT_FLOAT_INTEGER = 2**53
_DATE = r"\d{4}-\d{2}-\d{2}"
_DATETIME = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
_ZONED = r"[T ].*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_SLUG = r"[-a-zA-Z0-9_]+"
REQUIRED = "a value is required"


@dataclass
class Problem:
    mask: np.ndarray
    message: str | np.ndarray  # a template with {value}, or one message per value


@dataclass
class Problems:
    """The problems found in one column, as masks over the values parsed."""

    items: list[Problem] = field(default_factory=list)

    def add(self, mask: pd.Series | np.ndarray, message: str | Callable[[], pd.Series | np.ndarray]) -> None:
        array = np.asarray(mask, dtype=bool)
        if array.any():
            self.items.append(
                Problem(array, message if isinstance(message, str) else np.asarray(message(), dtype=object))
            )


def distinct_parse(
    cells: pd.Series, *, column: str, errors: ChunkErrors, parse: Callable[[pd.Series, Problems], pd.Series]
) -> pd.Series:
    """Trim and parse each distinct cell text once, then spread values and errors over the rows."""
    codes, uniques = pd.factorize(cells.to_numpy(dtype=object))
    problems = Problems()
    distinct = pd.Series(uniques, dtype=object).str.strip()
    nul = _flags(distinct.str.contains("\x00", regex=False))
    if nul.any():
        problems.add(nul, "contains a NUL character, which cannot be stored")
        distinct = distinct.str.replace("\x00", "", regex=False)
    parsed = parse(distinct, problems)
    for problem in problems.items:
        message = problem.message if isinstance(problem.message, str) else problem.message[codes]
        errors.add(mask=problem.mask[codes], column=column, values=cells, message=message)
    return pd.Series(parsed.array.take(codes), index=cells.index)


def _minimum_message(minimum: int) -> str:
    return "must not be negative" if minimum == 0 else f"must be at least {minimum}"


def _flags(series: pd.Series) -> np.ndarray:
    return series.fillna(False).to_numpy(dtype=bool)


def text_parse(cells: pd.Series, *, problems: Problems, max_length: int, required: bool = False) -> pd.Series:
    empty = cells == ""
    if required:
        problems.add(empty, REQUIRED)
    lengths = cells.str.len()
    too_long = lengths > max_length
    problems.add(too_long, lambda: "is too long: " + lengths.astype(str) + f" characters, at most {max_length} allowed")
    return cells


def slug_parse(cells: pd.Series, *, problems: Problems, max_length: int, required: bool = False) -> pd.Series:
    text_parse(cells, problems=problems, max_length=max_length, required=required)
    problems.add(
        (cells != "") & ~_flags(cells.str.fullmatch(_SLUG)),
        "may contain only letters, digits, hyphens (-) and underscores (_)",
    )
    return cells


def integer_parse(
    cells: pd.Series,
    *,
    problems: Problems,
    minimum: int | None = None,
    maximum: int | None = None,
    default: int | None = None,
    required: bool = False,
) -> pd.Series:
    """Whole numbers (`12`, `12.0`); empty = `default`. Returns a nullable Int64 column."""
    empty = (cells == "").to_numpy()
    if required:
        problems.add(empty, REQUIRED)
    shaped = _flags(cells.str.fullmatch(_INTEGER))
    problems.add(~empty & ~shaped, "'{value}' is not a whole number")
    floats = pd.to_numeric(cells.where(shaped), errors="coerce").astype("float64")
    if minimum is not None:
        problems.add((floats < minimum).to_numpy(), _minimum_message(minimum))
    if maximum is not None:
        problems.add((floats > maximum).to_numpy(), f"is too large; at most {maximum} is allowed")
    numbers = floats.where(floats.abs() <= _EXACT_FLOAT_INTEGER).astype("Int64")
    if default is not None:
        numbers = numbers.mask(empty, default)
    return numbers


def decimal_parse(
    cells: pd.Series,
    *,
    problems: Problems,
    max_digits: int,
    decimal_places: int,
    decimal_comma: bool,
    minimum: int | None = 0,
    required: bool = False,
) -> pd.Series:
    """Decimal numbers as normalised text (`12.50`); empty = missing.

    `.` is the decimal separator; with a `;`-separated file a `,` is accepted too.
    Trailing zeros past the allowed decimals are fine (`12.5000`).
    """
    empty = (cells == "").to_numpy()
    if required:
        problems.add(empty, REQUIRED)
    text = cells.str.replace(",", ".", regex=False) if decimal_comma else cells
    integer_digits = max_digits - decimal_places
    plain = _flags(text.str.fullmatch(rf"\d{{1,{integer_digits}}}(?:\.\d{{0,{decimal_places}}}0*)?"))
    result = text.where(plain).astype(object)
    other = ~plain & ~empty
    if other.any():
        result[other] = _decimal_diagnose(
            text[other],
            problems=problems,
            positions=np.flatnonzero(other),
            size=len(cells),
            integer_digits=integer_digits,
            decimal_places=decimal_places,
            example="12.50 or 12,50" if decimal_comma else "12.50",
            minimum=minimum,
        )
    return result


def _decimal_diagnose(
    text: pd.Series,
    *,
    problems: Problems,
    positions: np.ndarray,
    size: int,
    integer_digits: int,
    decimal_places: int,
    example: str,
    minimum: int | None,
) -> pd.Series:
    """The values the plain pattern did not take: signs, leading zeros, or mistakes."""

    def add(mask: pd.Series, message: str) -> None:
        full = np.zeros(size, dtype=bool)
        full[positions] = np.asarray(mask, dtype=bool)
        problems.add(full, message)

    shaped = _flags(text.str.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"))
    add(~shaped, "'{value}' is not a number; write it like " + example)
    negative = shaped & _flags(text.str.startswith("-")) & _flags(text.str.contains(r"[1-9]"))
    if minimum is not None:
        add(negative, _minimum_message(minimum))
    else:
        negative = np.zeros(len(text), dtype=bool)
    unsigned = text.str.lstrip("+-")
    whole = unsigned.str.partition(".")[0].str.lstrip("0")
    fraction = unsigned.str.partition(".")[2].str.rstrip("0")
    too_large = shaped & (whole.str.len() > integer_digits).to_numpy()
    add(too_large, f"is too large; at most {integer_digits} digits before the decimal point")
    too_precise = shaped & (fraction.str.len() > decimal_places).to_numpy()
    add(too_precise, f"has more than {decimal_places} decimals")
    good = shaped & ~too_large & ~too_precise & ~negative
    sign = np.where(_flags(text.str.startswith("-")), "-", "")
    normal = sign + whole.replace("", "0") + "." + fraction.replace("", "0")
    return normal.where(good)


def boolean_parse(cells: pd.Series, *, problems: Problems, default: bool | None = None) -> pd.Series:
    """true/false, 1/0, yes/no, ja/nee in any case; empty = `default`. Object column of bools."""
    empty = (cells == "").to_numpy()
    values = cells.str.lower().map(_BOOLEANS)
    bad = ~empty & values.isna().to_numpy()
    problems.add(bad, "'{value}' is not a yes/no value; use true/false, 1/0, yes/no or ja/nee")
    values = values.astype(object).where(~bad & ~empty, None)
    if default is not None:
        values = values.mask(empty, default)
    return values


def date_parse(cells: pd.Series, *, problems: Problems, required: bool = False) -> pd.Series:
    """ISO dates (`2024-12-31`) as a datetime64 column at midnight; empty = NaT."""
    empty = (cells == "").to_numpy()
    if required:
        problems.add(empty, REQUIRED)
    shaped = _flags(cells.str.fullmatch(_DATE))
    dates = pd.to_datetime(cells.where(shaped), format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")
    problems.add(
        ~empty & dates.isna().to_numpy(), "'{value}' is not a date; write dates as YYYY-MM-DD, e.g. 2024-12-31"
    )
    return dates


def datetime_parse(cells: pd.Series, *, problems: Problems, required: bool = False) -> pd.Series:
    """ISO date-times as UTC instants.

    With an offset (`+01:00`) or `Z` the instant is exact; without a zone the time is
    local time in settings.SHOP_TIME_ZONE (an hour that occurs twice when the clocks
    go back is read as the first one, like Django's make_aware).
    """
    empty = (cells == "").to_numpy()
    if required:
        problems.add(empty, REQUIRED)
    shaped = _flags(cells.str.fullmatch(_DATETIME))
    zoned = shaped & _flags(cells.str.contains(_ZONED))
    naive = shaped & ~zoned
    instants = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us, UTC]")
    if zoned.any():
        parsed = pd.to_datetime(cells[zoned], format="ISO8601", utc=True, errors="coerce")
        instants[zoned] = parsed.astype("datetime64[us, UTC]")
    if naive.any():
        instants[naive] = _local_to_utc(pd.to_datetime(cells[naive], format="ISO8601", errors="coerce"))
    zone = settings.SHOP_TIME_ZONE
    problems.add(
        ~empty & instants.isna().to_numpy(),
        "'{value}' is not a date and time; write e.g. 2024-12-31T14:30:00+01:00 "
        f"(the offset or Z may be left out: then the time is {zone} time)",
    )
    return instants


def _local_to_utc(naive: pd.Series) -> pd.Series:
    from zoneinfo import ZoneInfo

    zone = settings.SHOP_TIME_ZONE
    local = naive.dt.tz_localize(zone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="NaT")
    # Times skipped when the clocks go forward: read them as Python (fold=0) does.
    skipped = local.isna() & naive.notna()
    if skipped.any():
        info = ZoneInfo(zone)
        local = local.astype(object)
        local[skipped] = [pd.Timestamp(value.to_pydatetime().replace(tzinfo=info)) for value in naive[skipped]]
        local = pd.to_datetime(local, utc=True)
    return local.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def choice_parse(
    cells: pd.Series,
    *,
    problems: Problems,
    choices: Mapping[str, str],
    default: str | None = None,
    required: bool = False,
) -> pd.Series:
    """A value from `choices` (its value or label, any case); empty = `default` or ''."""
    empty = (cells == "").to_numpy()
    if required:
        problems.add(empty, REQUIRED)
    lookup = {**{label.lower(): value for value, label in choices.items()}, **{value: value for value in choices}}
    values = cells.str.lower().map(lookup)
    problems.add(~empty & values.isna().to_numpy(), "'{value}' is not allowed; use one of " + ", ".join(choices))
    return values.fillna(default if default is not None else "").astype(object)


def _each(cells: pd.Series, *, problems: Problems, convert: Callable[[str], str]) -> pd.Series:
    """Apply `convert` to each non-empty value; its ValueError message becomes the problem."""
    results: list[str] = []
    messages: list[str] = []
    for value in cells:
        result, message = "", ""
        if value:
            try:
                result = convert(value)
            except ValueError as exc:
                message = str(exc)
        results.append(result)
        messages.append(message)
    failed = np.array([bool(message) for message in messages], dtype=bool)
    problems.add(failed, lambda: np.array(messages, dtype=object))
    return pd.Series(results, index=cells.index, dtype=object)


def country_parse(cells: pd.Series, *, problems: Problems) -> pd.Series:
    return _each(cells, problems=problems, convert=normalize_country)


def weekdays_parse(cells: pd.Series, *, problems: Problems) -> pd.Series:
    def convert(value: str) -> str:
        try:
            return parse_weekdays(value)
        except WeekdayParseError as exc:
            raise ValueError(str(exc)) from exc

    return _each(cells, problems=problems, convert=convert)


def email_parse(cells: pd.Series, *, problems: Problems, required: bool = False) -> pd.Series:
    """Lower-cased, validated email addresses; empty = ''."""
    if required:
        problems.add((cells == "").to_numpy(), REQUIRED)
    validate = EmailValidator()

    def convert(value: str) -> str:
        email = value.lower()
        try:
            validate(email)
        except ValidationError as exc:
            raise ValueError(f"'{value}' is not a valid email address") from exc
        if len(email) > 254:
            raise ValueError("is too long for an email address")
        return email

    return _each(cells, problems=problems, convert=convert)
