import io

import pandas as pd
import pytest

from integrations.erp import readers
from integrations.erp.exceptions import ErpFileError
from integrations.erp.readers import table_open


def _read(data: bytes, *, fmt: str | None = None, chunk_rows: int = 1000):
    table = table_open(stream=io.BytesIO(data), fmt=fmt, chunk_rows=chunk_rows)
    chunks = list(table.chunks)
    frame = pd.concat([chunk.frame for chunk in chunks], ignore_index=True) if chunks else pd.DataFrame()
    lines = [int(line) for chunk in chunks for line in chunk.lines]
    errors = [error for chunk in chunks for error in chunk.errors]
    return table, frame, lines, errors


class CsvReaderTests:
    def test_a_byte_order_mark_is_not_part_of_the_first_column_name(self):
        table, frame, _lines, _errors = _read("\ufefferp_id,name\n1,A\n".encode())
        assert table.columns == ("erp_id", "name")
        assert frame["erp_id"].tolist() == ["1"]

    def test_cells_are_text_so_leading_zeros_stay(self):
        _table, frame, _lines, _errors = _read(b"erp_id,employee_count\n000123,0042\n")
        assert frame.iloc[0].tolist() == ["000123", "0042"]

    def test_semicolon_separator_is_detected_and_allows_a_decimal_comma(self):
        table, frame, _lines, _errors = _read(b"sku;list_price\nA;1,50\n")
        assert table.columns == ("sku", "list_price")
        assert table.decimal_comma is True
        assert frame.iloc[0].tolist() == ["A", "1,50"]

    def test_comma_separated_files_do_not_take_a_decimal_comma(self):
        table, _frame, _lines, _errors = _read(b"sku,list_price\nA,1.50\n")
        assert table.decimal_comma is False

    def test_column_names_are_trimmed_and_lower_cased_but_attribute_names_keep_their_case(self):
        table, _frame, _lines, _errors = _read(b" ERP_ID ,Attr.Tier\n1,gold\n")
        assert table.columns == ("erp_id", "attr.Tier")

    def test_the_first_data_row_is_line_2_and_blank_lines_keep_the_numbering(self):
        _table, frame, lines, _errors = _read(b"a,b\n1,2\n\n3,4\n")
        assert frame["a"].tolist() == ["1", "3"]
        assert lines == [2, 4]

    def test_a_quoted_value_over_two_lines_moves_the_next_rows_down(self):
        _table, frame, lines, _errors = _read(b'a,b\n1,"two\nlines"\n3,4\n')
        assert frame["b"].tolist() == ["two\nlines", "4"]
        assert lines == [2, 4]

    def test_line_numbers_go_on_across_chunks(self):
        _table, _frame, lines, _errors = _read(b"a\n1\n2\n3\n4\n5\n", chunk_rows=2)
        assert lines == [2, 3, 4, 5, 6]

    def test_a_row_with_one_value_too_many_is_a_row_error(self):
        _table, frame, lines, errors = _read(b"a,b\n1,2,3\n4,5\n")
        assert lines == [3]
        assert [(error.line, error.message) for error in errors] == [
            (2, "the row has more values than the header has columns")
        ]
        assert frame["a"].tolist() == ["4"]

    def test_a_row_with_one_value_too_many_tells_what_each_of_its_cells_may_hold(self):
        table = table_open(stream=io.BytesIO(b"a,b,c\n1,2,3\nx, y ,z,w\n"), fmt=None, chunk_rows=1000)
        (chunk,) = list(table.chunks)
        (row,) = chunk.unreadable
        assert row.line == 3
        # The stray value came after a column (its own value), before it (the next one) or inside it (both).
        assert row.cells == {
            "a": frozenset({"x", "y", "x, y"}),
            "b": frozenset({"y", "z", "y ,z"}),
            "c": frozenset({"z", "w", "z,w"}),
        }

    def test_a_row_with_several_values_too_many_fails_the_file(self):
        with pytest.raises(ErpFileError, match="line 3: the row has 5 values but the header has 2 columns"):
            _read(b"a,b\n1,2\n1,2,3,4,5\n")

    def test_a_short_row_gets_empty_cells(self):
        _table, frame, _lines, _errors = _read(b"a,b,c\n1\n")
        assert frame.iloc[0].tolist() == ["1", "", ""]

    def test_an_unclosed_quote_fails_the_file(self):
        with pytest.raises(ErpFileError, match="a quoted value that starts near line 4 is never closed"):
            _read(b'a,b\n1,2\n3,4\n5,"open\n', chunk_rows=1)

    def test_an_empty_file_fails_with_a_clear_message(self):
        with pytest.raises(ErpFileError, match="^the file is empty$"):
            _read(b"")

    def test_a_file_with_only_a_byte_order_mark_and_blanks_is_empty(self):
        with pytest.raises(ErpFileError, match="^the file is empty$"):
            _read("\ufeff \n\n".encode())

    def test_a_header_only_file_has_columns_and_no_rows(self):
        table, frame, _lines, _errors = _read(b"erp_id,name\n")
        assert table.columns == ("erp_id", "name")
        assert frame.empty

    def test_a_column_named_twice_fails_the_file(self):
        with pytest.raises(ErpFileError, match="the column 'name' appears more than once"):
            _read(b"name,Name\n1,2\n")

    def test_a_header_column_without_a_name_fails_the_file(self):
        with pytest.raises(ErpFileError, match="column 2 of the header has no name"):
            _read(b"a,,c\n1,2,3\n")

    def test_text_that_is_not_utf8_fails_the_file(self):
        with pytest.raises(ErpFileError, match="not UTF-8"):
            _read("name\nCafé\n".encode("latin-1"))


class JsonReaderTests:
    def test_json_lines_are_sniffed_and_numbered_by_physical_line(self):
        table, frame, lines, _errors = _read(b'{"sku": "A", "price": 1.5}\n\n{"sku": "B", "price": 2}\n')
        assert table.fmt == "jsonl"
        assert frame.to_dict("records") == [{"sku": "A", "price": "1.5"}, {"sku": "B", "price": "2"}]
        assert lines == [1, 3]

    def test_json_values_become_text_cells(self):
        _table, frame, _lines, _errors = _read(b'{"a": true, "b": null, "c": 10.50, "d": "000123"}\n')
        assert frame.iloc[0].tolist() == ["true", "", "10.50", "000123"]

    def test_a_bad_json_line_is_a_row_error_and_the_rest_is_read(self):
        _table, frame, lines, errors = _read(b'{"sku": "A"}\n{"sku": \n{"sku": "C"}\n')
        assert lines == [1, 3]
        assert errors[0].line == 2
        assert errors[0].message.startswith("the line is not valid JSON")

    def test_a_json_line_with_a_key_missing_from_the_first_record_is_a_row_error(self):
        _table, frame, _lines, errors = _read(b'{"sku": "A"}\n{"sku": "B", "colour": "red"}\n')
        assert len(frame) == 1
        assert (errors[0].line, errors[0].column) == (2, "colour")

    def test_a_nested_value_is_a_row_error(self):
        _table, _frame, _lines, errors = _read(b'{"sku": "A"}\n{"sku": ["B"]}\n')
        assert errors[0].message == "must be a single value, not a list or object"

    def test_a_record_with_a_nested_value_keeps_its_other_cells_readable(self):
        table = table_open(
            stream=io.BytesIO(b'{"sku": "A", "price": 1}\n{"sku": " B ", "price": [2]}\n'), fmt=None, chunk_rows=10
        )
        (chunk,) = list(table.chunks)
        assert [(row.line, row.cells) for row in chunk.unreadable] == [(2, {"sku": frozenset({"B"})})]
        assert [(error.line, error.column) for error in chunk.errors] == [(2, "price")]

    def test_a_record_with_an_unknown_key_keeps_its_known_cells_and_a_missing_key_is_empty(self):
        table = table_open(
            stream=io.BytesIO(b'{"sku": "A", "price": 1}\n{"sku": "B", "colour": "red"}\n'), fmt=None, chunk_rows=10
        )
        (chunk,) = list(table.chunks)
        assert [row.cells for row in chunk.unreadable] == [{"sku": frozenset({"B"}), "price": frozenset({""})}]

    @pytest.mark.parametrize("line", [b'{"sku": ', b'["B"]'])
    def test_of_a_line_that_is_not_a_json_object_no_cell_can_be_read(self, line):
        table = table_open(stream=io.BytesIO(b'{"sku": "A"}\n' + line + b"\n"), fmt="jsonl", chunk_rows=10)
        (chunk,) = list(table.chunks)
        assert [(row.line, row.cells) for row in chunk.unreadable] == [(2, {})]
        assert len(chunk.errors) == 1

    def test_a_json_array_numbers_its_items_from_1(self):
        table, frame, lines, _errors = _read(b'[{"sku": "A"}, {"sku": "B"}]')
        assert table.fmt == "json"
        assert frame["sku"].tolist() == ["A", "B"]
        assert lines == [1, 2]

    def test_a_json_array_is_read_in_pieces(self, monkeypatch):
        monkeypatch.setattr(readers, "_JSON_READ_CHARS", 7)
        items = ", ".join(f'{{"sku": "S{n}", "price": 12.{n}5}}' for n in range(20))
        _table, frame, lines, _errors = _read(f"[{items}]".encode(), chunk_rows=6)
        assert frame["sku"].tolist() == [f"S{n}" for n in range(20)]
        assert frame["price"].tolist()[-1] == "12.195"
        assert lines == list(range(1, 21))

    def test_an_empty_json_array_has_no_rows(self):
        table, frame, _lines, _errors = _read(b"[ ]")
        assert table.columns == ()
        assert frame.empty

    def test_invalid_json_in_an_array_fails_the_file(self):
        with pytest.raises(ErpFileError, match="the JSON is invalid at item 2"):
            _read(b'[{"sku": "A"}, {"sku": ]')

    def test_text_after_the_array_fails_the_file(self):
        with pytest.raises(ErpFileError, match="followed by more text"):
            _read(b'[{"sku": "A"}] x')

    def test_an_explicit_json_format_refuses_csv(self):
        with pytest.raises(ErpFileError, match="not a JSON array"):
            _read(b"sku\nA\n", fmt="json")

    def test_a_first_json_line_that_is_not_an_object_fails_the_file(self):
        with pytest.raises(ErpFileError, match="line 1 is not a JSON object"):
            _read(b'["sku"]\n', fmt="jsonl")

    @pytest.mark.parametrize("content", [b"{}", b"{}\n", b'[{}, {"sku": "A"}]'])
    def test_an_empty_first_record_fails_the_file(self, content):
        with pytest.raises(ErpFileError, match="is an empty JSON object"):
            _read(content)

    def test_invalid_json_on_the_first_line_fails_the_file(self):
        with pytest.raises(ErpFileError, match="line 1 is not valid JSON"):
            _read(b'{"sku": "A"\n')
