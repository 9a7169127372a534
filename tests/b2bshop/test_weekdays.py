import pytest

from b2bshop.weekdays import WeekdayParseError, parse_weekdays, weekday_numbers


class ParseWeekdaysTests:
    @pytest.mark.parametrize(
        ("raw", "canonical"),
        [("mon,wed,fri", "mon,wed,fri"), ("Fri; MON", "mon,fri"), ("", ""), (None, ""), ("ma,wo,vr", "mon,wed,fri"),
         ("monday, tuesday", "mon,tue")],
    )
    def test_normalises_to_ordered_codes(self, raw, canonical):
        assert parse_weekdays(raw) == canonical

    def test_unknown_weekday_is_an_error_naming_it(self):
        with pytest.raises(WeekdayParseError, match="unknown weekday 'funday'"):
            parse_weekdays("mon,funday")

    def test_weekday_numbers_start_at_monday(self):
        assert weekday_numbers("mon,sun") == frozenset({0, 6})
