"""Dates as buyers see them, in their language (an explicit table: see docs/delivery.md)."""

from datetime import date

import pytest

from orders.delivery_calendar import LANGUAGES, buyer_language, format_delivery_date

TUESDAY_1_DEC = date(2026, 12, 1)


class FormatDeliveryDateTests:
    @pytest.mark.parametrize(
        ("language", "expected"),
        [("en", "Tue 1 Dec"), ("nl", "Di 1 dec"), ("de", "Di., 1. Dez."), ("fr", "Mar. 1er déc.")],
    )
    def test_short_date_per_language(self, language, expected):
        assert format_delivery_date(TUESDAY_1_DEC, language=language) == expected

    @pytest.mark.parametrize(
        ("language", "expected"),
        [("en", "Thu 3 Dec"), ("nl", "do 3 dec"), ("de", "Do., 3. Dez."), ("fr", "jeu. 3 déc.")],
    )
    def test_inside_a_sentence_dutch_and_french_weekdays_are_lower_case(self, language, expected):
        assert format_delivery_date(date(2026, 12, 3), language=language, sentence_start=False) == expected

    def test_with_year(self):
        assert format_delivery_date(date(2027, 3, 2), language="en", with_year=True) == "Tue 2 Mar 2027"
        assert format_delivery_date(date(2027, 3, 2), language="de", with_year=True) == "Di., 2. März 2027"

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_seven_weekday_names_and_twelve_month_names(self, language):
        week = [date(2026, 11, 30 + offset) if offset < 1 else date(2026, 12, offset) for offset in range(7)]
        months = [date(2026, month, 10) for month in range(1, 13)]
        assert len({format_delivery_date(day, language=language).split()[0] for day in week}) == 7
        assert len({format_delivery_date(day, language=language).split()[-1] for day in months}) == 12

    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            ("nl", "nl"), ("nl-NL", "nl"), ("DE", "de"), ("fr_BE", "fr"), ("en-gb", "en"), ("es", "en"), ("", "en"),
            (None, "en"),
        ],
    )
    def test_buyer_language_falls_back_to_english(self, code, expected):
        assert buyer_language(code) == expected

    def test_unsupported_language_formats_in_english(self):
        assert format_delivery_date(TUESDAY_1_DEC, language="es") == "Tue 1 Dec"
