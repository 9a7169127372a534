from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from integrations.erp import parsers
from integrations.erp.report import ChunkErrors


def _parse(parser, cells: list[str], **options):
    """Values and {line: message} of `parser` over cells on lines 2, 3, ..."""
    errors = ChunkErrors(lines=np.arange(2, 2 + len(cells)))
    values = parsers.distinct_parse(
        pd.Series(cells, dtype=object),
        column="c",
        errors=errors,
        parse=lambda distinct, problems: parser(distinct, problems=problems, **options),
    )
    return values.tolist(), {error.line: error.message for error in errors.row_errors()}


def _instant(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class BooleanParseTests:
    def test_accepts_every_word_in_any_case(self):
        values, errors = _parse(parsers.boolean_parse, ["TRUE", "false", "1", "0", "Yes", "NO", "ja", "Nee"])
        assert values == [True, False, True, False, True, False, True, False]
        assert errors == {}

    def test_an_empty_cell_takes_the_default(self):
        values, _errors = _parse(parsers.boolean_parse, ["", " "], default=True)
        assert values == [True, True]

    def test_an_empty_cell_without_default_is_none(self):
        values, _errors = _parse(parsers.boolean_parse, [""])
        assert values == [None]

    def test_another_word_is_a_row_error(self):
        _values, errors = _parse(parsers.boolean_parse, ["y"])
        assert errors == {2: "'y' is not a yes/no value; use true/false, 1/0, yes/no or ja/nee"}


class DatetimeParseTests:
    def test_an_offset_gives_that_instant(self):
        values, _errors = _parse(parsers.datetime_parse, ["2024-03-01T10:00:00+01:00", "2024-03-01T10:00:00-0530"])
        assert values == [_instant(2024, 3, 1, 9, 0), _instant(2024, 3, 1, 15, 30)]

    def test_z_is_utc(self):
        values, _errors = _parse(parsers.datetime_parse, ["2024-03-01T10:00:00Z"])
        assert values == [_instant(2024, 3, 1, 10, 0)]

    def test_no_zone_is_shop_time_in_winter_and_summer(self, settings):
        settings.SHOP_TIME_ZONE = "Europe/Amsterdam"
        values, _errors = _parse(parsers.datetime_parse, ["2024-01-15 10:00", "2024-07-15T10:00:00"])
        assert values == [_instant(2024, 1, 15, 9, 0), _instant(2024, 7, 15, 8, 0)]

    def test_no_zone_follows_the_configured_shop_time_zone(self, settings):
        settings.SHOP_TIME_ZONE = "America/New_York"
        values, _errors = _parse(parsers.datetime_parse, ["2024-01-15 10:00"])
        assert values == [_instant(2024, 1, 15, 15, 0)]

    def test_an_hour_that_occurs_twice_is_read_as_the_first(self, settings):
        settings.SHOP_TIME_ZONE = "Europe/Amsterdam"
        values, _errors = _parse(parsers.datetime_parse, ["2024-10-27 02:30"])
        assert values == [_instant(2024, 10, 27, 0, 30)]

    def test_a_skipped_hour_is_read_as_python_reads_it(self, settings):
        settings.SHOP_TIME_ZONE = "Europe/Amsterdam"
        values, _errors = _parse(parsers.datetime_parse, ["2024-03-31 02:30"])
        assert values == [_instant(2024, 3, 31, 1, 30)]

    def test_a_date_alone_is_local_midnight(self, settings):
        settings.SHOP_TIME_ZONE = "Europe/Amsterdam"
        values, _errors = _parse(parsers.datetime_parse, ["2024-03-01"])
        assert values == [_instant(2024, 2, 29, 23, 0)]

    @pytest.mark.parametrize("text", ["01-03-2024 10:00", "2024-03-01T25:00", "yesterday", "2024-02-30T10:00Z"])
    def test_a_malformed_datetime_is_a_row_error(self, text):
        values, errors = _parse(parsers.datetime_parse, [text])
        assert pd.isna(values[0])
        assert errors[2].startswith(f"'{text}' is not a date and time; write e.g. 2024-12-31T14:30:00+01:00")

    def test_a_required_empty_datetime_is_a_row_error(self):
        _values, errors = _parse(parsers.datetime_parse, [""], required=True)
        assert errors == {2: "a value is required"}


class DateParseTests:
    def test_iso_dates_are_read(self):
        values, errors = _parse(parsers.date_parse, ["2024-02-29", ""])
        assert values[0].date() == date(2024, 2, 29)
        assert pd.isna(values[1])
        assert errors == {}

    @pytest.mark.parametrize("text", ["29-02-2024", "2023-02-29", "2024-2-9", "2024/02/09", "2024-02-09T10:00"])
    def test_anything_else_is_a_row_error(self, text):
        _values, errors = _parse(parsers.date_parse, [text])
        assert errors == {2: f"'{text}' is not a date; write dates as YYYY-MM-DD, e.g. 2024-12-31"}


class DecimalParseTests:
    def _parse(self, cells, *, decimal_comma=False, **options):
        options = {"max_digits": 12, "decimal_places": 2, "decimal_comma": decimal_comma, **options}
        return _parse(parsers.decimal_parse, cells, **options)

    def test_a_point_is_the_decimal_separator(self):
        values, errors = self._parse(["12.50", "3", "0.5", "+7.10", "0012.5", "12.5000"])
        assert values == ["12.50", "3", "0.5", "7.1", "0012.5", "12.5000"]
        assert errors == {}

    def test_a_decimal_comma_is_accepted_when_the_file_allows_it(self):
        values, errors = self._parse(["12,50"], decimal_comma=True)
        assert (values, errors) == (["12.50"], {})

    def test_a_decimal_comma_is_a_row_error_in_a_comma_separated_file(self):
        _values, errors = self._parse(["12,50"])
        assert errors == {2: "'12,50' is not a number; write it like 12.50"}

    def test_a_negative_amount_is_a_row_error(self):
        values, errors = self._parse(["-1.00", "-0.00"])
        assert errors == {2: "must not be negative"}
        assert pd.isna(values[0])

    def test_negative_numbers_are_fine_without_a_minimum(self):
        values, errors = self._parse(["-1.5"], minimum=None, max_digits=20, decimal_places=6)
        assert (values, errors) == (["-1.5"], {})

    def test_too_many_decimals_is_a_row_error(self):
        _values, errors = self._parse(["1.234"])
        assert errors == {2: "has more than 2 decimals"}

    def test_too_many_digits_is_a_row_error(self):
        _values, errors = self._parse(["12345678901"])
        assert errors == {2: "is too large; at most 10 digits before the decimal point"}

    def test_thousands_separators_and_exponents_are_row_errors(self):
        _values, errors = self._parse(["1.000,50", "1e3"])
        assert set(errors) == {2, 3}


class IntegerParseTests:
    def test_whole_numbers_and_trailing_zero_decimals_are_read(self):
        values, errors = _parse(parsers.integer_parse, ["12", "0042", "7.0", ""], default=1)
        assert values == [12, 42, 7, 1]
        assert errors == {}

    def test_a_negative_number_is_a_row_error_when_the_minimum_is_0(self):
        _values, errors = _parse(parsers.integer_parse, ["-3"], minimum=0)
        assert errors == {2: "must not be negative"}

    def test_a_fraction_is_a_row_error(self):
        _values, errors = _parse(parsers.integer_parse, ["1.5"])
        assert errors == {2: "'1.5' is not a whole number"}

    def test_a_huge_number_is_too_large(self):
        _values, errors = _parse(parsers.integer_parse, ["1" * 30], maximum=32767)
        assert errors == {2: "is too large; at most 32767 is allowed"}


class ChoiceParseTests:
    def test_values_and_labels_are_accepted_in_any_case(self):
        choices = {"sales_rep": "Sales rep", "web": "Web shop"}
        values, errors = _parse(
            parsers.choice_parse, ["WEB", "Sales rep", "sales_rep", ""], choices=choices, default="web"
        )
        assert values == ["web", "sales_rep", "sales_rep", "web"]
        assert errors == {}

    def test_an_unknown_value_lists_the_choices(self):
        _values, errors = _parse(parsers.choice_parse, ["fax"], choices={"web": "Web shop", "edi": "EDI"})
        assert errors == {2: "'fax' is not allowed; use one of web, edi"}


class TextParseTests:
    def test_cells_are_trimmed(self):
        values, _errors = _parse(parsers.text_parse, ["  Bloemen BV  "], max_length=20)
        assert values == ["Bloemen BV"]

    def test_too_long_text_is_a_row_error(self):
        _values, errors = _parse(parsers.text_parse, ["abcdef"], max_length=4)
        assert errors == {2: "is too long: 6 characters, at most 4 allowed"}


class DistinctValueParseTests:
    def test_country_codes_are_normalised_and_unknown_ones_are_row_errors(self):
        values, errors = _parse(parsers.country_parse, [" nl", "Be", "XX", ""])
        assert values == ["NL", "BE", "", ""]
        assert errors == {4: "unknown country code 'XX'; use an ISO 3166-1 alpha-2 code such as NL or BE"}

    def test_weekdays_are_normalised_with_dutch_names(self):
        values, errors = _parse(parsers.weekdays_parse, ["vr, ma", "mon,wed", "funday"])
        assert values[:2] == ["mon,fri", "mon,wed"]
        assert errors == {4: "unknown weekday 'funday'; use mon, tue, wed, thu, fri, sat, sun"}

    def test_email_addresses_are_lower_cased_and_checked(self):
        values, errors = _parse(parsers.email_parse, ["Anna.de.Vries@Example.COM", "anna@", "no at sign"])
        assert values[0] == "anna.de.vries@example.com"
        assert errors == {3: "'anna@' is not a valid email address", 4: "'no at sign' is not a valid email address"}

    def test_each_distinct_value_is_parsed_once(self, monkeypatch):
        seen = []

        def convert(value):
            seen.append(value)
            return value.upper()

        monkeypatch.setattr(parsers, "normalize_country", convert)
        _parse(parsers.country_parse, ["nl", "nl", "be", "nl"])
        assert sorted(seen) == ["be", "nl"]
