"""Whether a product fits a delivery moment, the reason buyers see, and the first moment it fits. Pure."""

from datetime import date

import pytest

from orders.delivery_calendar import (
    GENERIC_PROFILE,
    CompanyDeliveryProfile,
    DeliveryMoment,
    ProductFields,
    ShopCalendarRules,
    Unavailable,
    delivery_moments,
    product_availability,
)
from tests.orders.delivery.clock import AMSTERDAM, amsterdam

CALENDAR = ShopCalendarRules(recurring_closed=frozenset({(12, 25), (12, 26), (1, 1)}))
NOW = amsterdam(2026, 11, 30, 10, 0)  # Monday
TODAY = date(2026, 11, 30)
TUESDAY_DELIVERY = DeliveryMoment(departure_date=date(2026, 11, 30), delivery_date=date(2026, 12, 1))
WEDNESDAY_DELIVERY = DeliveryMoment(departure_date=date(2026, 12, 1), delivery_date=date(2026, 12, 2))
THURSDAY_DELIVERY = DeliveryMoment(departure_date=date(2026, 12, 2), delivery_date=date(2026, 12, 3))
FRIDAY_DELIVERY = DeliveryMoment(departure_date=date(2026, 12, 3), delivery_date=date(2026, 12, 4))


def availability(product, moment=TUESDAY_DELIVERY, *, calendar=CALENDAR, now=NOW, **kwargs):
    today = now.astimezone(AMSTERDAM).date()
    return product_availability(
        product_fields=product, moment=moment, calendar=calendar, today=today, now=now, **kwargs
    )


class ProductAvailabilityTests:
    def test_product_without_restrictions_is_orderable_from_the_first_moment(self):
        result = availability(ProductFields())
        assert result.orderable is True
        assert result.reason is None
        assert result.code is None
        assert result.first_moment == TUESDAY_DELIVERY

    def test_inactive_product_is_not_orderable_at_all(self):
        result = availability(ProductFields(is_active=False))
        assert result.orderable is False
        assert result.code is Unavailable.INACTIVE
        assert result.reason == "No longer available"
        assert result.first_moment is None

    def test_available_from_is_compared_with_the_delivery_date(self):
        product = ProductFields(available_from=date(2026, 12, 3))
        result = availability(product)
        assert result.orderable is False
        assert result.code is Unavailable.NOT_YET
        assert result.reason == "Available from Thu 3 Dec"
        assert result.first_moment == THURSDAY_DELIVERY
        assert availability(product, THURSDAY_DELIVERY).orderable is True

    def test_available_until_is_inclusive(self):
        product = ProductFields(available_until=date(2026, 12, 1))
        assert availability(product).orderable is True
        assert availability(product, WEDNESDAY_DELIVERY).reason == "No longer available after Tue 1 Dec"

    def test_product_whose_window_ends_before_the_next_moment_has_a_reason_and_no_first_moment(self):
        # Ordered on Monday after the cut-off: the next delivery is Wed 2 Dec, the product ends on Tue 1 Dec.
        late = amsterdam(2026, 11, 30, 15, 0)
        moments = delivery_moments(calendar=CALENDAR, profile=GENERIC_PROFILE, now=late)
        product = ProductFields(available_until=date(2026, 12, 1))
        result = availability(product, moments[0], now=late, moments=moments)
        assert moments[0] == WEDNESDAY_DELIVERY
        assert result.orderable is False
        assert result.code is Unavailable.ENDED
        assert result.reason == "No longer available after Tue 1 Dec"
        assert result.first_moment is None

    def test_window_entirely_after_the_horizon_has_no_first_moment(self):
        result = availability(ProductFields(available_from=date(2027, 3, 1)))
        assert result.reason == "Available from Mon 1 Mar 2027"
        assert result.first_moment is None

    def test_delivery_weekday_must_be_in_available_weekdays(self):
        product = ProductFields(available_weekdays="wed,fri")
        result = availability(product)
        assert result.orderable is False
        assert result.code is Unavailable.WEEKDAY
        assert result.reason == "Not deliverable on Tuesdays"
        assert result.first_moment == WEDNESDAY_DELIVERY
        assert availability(product, WEDNESDAY_DELIVERY).orderable is True
        assert availability(product, FRIDAY_DELIVERY).orderable is True

    def test_available_weekdays_concern_the_delivery_not_the_departure(self):
        # Departure Monday, delivery Tuesday: a Monday-only product does not fit.
        assert availability(ProductFields(available_weekdays="mon")).orderable is False
        assert availability(ProductFields(available_weekdays="tue")).orderable is True

    def test_reasons_are_checked_in_a_fixed_order(self):
        everything_wrong = ProductFields(
            is_active=False, available_until=date(2026, 11, 1), available_weekdays="sun", lead_time_days=9
        )
        assert availability(everything_wrong).code is Unavailable.INACTIVE
        ended = ProductFields(available_until=date(2026, 11, 1), available_weekdays="sun", lead_time_days=9)
        assert availability(ended).code is Unavailable.ENDED
        wrong_weekday = ProductFields(available_weekdays="sun", lead_time_days=9)
        assert availability(wrong_weekday).code is Unavailable.WEEKDAY

    def test_first_moment_is_searched_among_the_companys_moments(self):
        # Thursday deliveries only; the company departs Mon/Wed/Fri: the first fit is Wed 2 -> Thu 3 Dec.
        company = CompanyDeliveryProfile(departure_weekdays=frozenset({0, 2, 4}))
        product = ProductFields(available_weekdays="thu")
        assert availability(product, profile=company).first_moment == THURSDAY_DELIVERY
        two_days = CompanyDeliveryProfile(departure_weekdays=frozenset({0, 2, 4}), transit_days=2)
        moments = delivery_moments(calendar=CALENDAR, profile=two_days, now=NOW)
        # Deliveries fall on Wed, Fri and Sun only: never a Thursday.
        assert availability(product, moments[0], moments=moments).first_moment is None

    def test_today_must_be_the_local_day_of_now(self):
        with pytest.raises(ValueError, match="not the local day"):
            product_availability(
                product_fields=ProductFields(),
                moment=TUESDAY_DELIVERY,
                calendar=CALENDAR,
                today=date(2026, 12, 1),
                now=NOW,
            )

    def test_accepts_a_product_model_instance(self):
        from catalog.models import Product

        product = Product(available_weekdays="tue", lead_time_days=0, is_active=True)
        assert availability(product).orderable is True


class LeadTimeTests:
    def test_lead_time_zero_allows_todays_departure_before_the_cut_off(self):
        result = availability(ProductFields(lead_time_days=0), now=amsterdam(2026, 11, 30, 13, 59, 59))
        assert result.orderable is True
        assert result.first_moment == TUESDAY_DELIVERY

    def test_lead_time_one_excludes_todays_departure(self):
        result = availability(ProductFields(lead_time_days=1))
        assert result.orderable is False
        assert result.reason == "Needs 1 working day's notice"
        assert result.first_moment == WEDNESDAY_DELIVERY

    def test_lead_time_counts_working_days_after_today_up_to_and_including_the_departure(self):
        product = ProductFields(lead_time_days=3)
        assert CALENDAR.working_days_after(TODAY, date(2026, 12, 2)) == 2
        result = availability(product, THURSDAY_DELIVERY)
        assert result.orderable is False
        assert result.code is Unavailable.LEAD_TIME
        assert result.reason == "Needs 3 working days' notice"
        assert result.first_moment == FRIDAY_DELIVERY
        assert availability(product, FRIDAY_DELIVERY).orderable is True

    def test_lead_time_does_not_count_the_weekend(self):
        friday = amsterdam(2026, 12, 4, 15, 0)
        monday = DeliveryMoment(departure_date=date(2026, 12, 7), delivery_date=date(2026, 12, 8))
        tuesday = DeliveryMoment(departure_date=date(2026, 12, 8), delivery_date=date(2026, 12, 9))
        assert availability(ProductFields(lead_time_days=1), monday, now=friday).orderable is True
        assert availability(ProductFields(lead_time_days=2), monday, now=friday).orderable is False
        assert availability(ProductFields(lead_time_days=2), monday, now=friday).first_moment == tuesday

    def test_lead_time_does_not_count_a_closed_day(self):
        # Wed 2 Dec closed: a Thursday departure gives two working days' notice (Tue, Thu), not three.
        closed = ShopCalendarRules(closed_dates=frozenset({date(2026, 12, 2)}))
        product = ProductFields(lead_time_days=3)
        result = availability(product, FRIDAY_DELIVERY, calendar=closed)
        assert closed.working_days_after(TODAY, date(2026, 12, 3)) == 2
        assert result.orderable is False
        assert result.reason == "Needs 3 working days' notice"
        assert result.first_moment == DeliveryMoment(departure_date=date(2026, 12, 4), delivery_date=date(2026, 12, 5))
        assert availability(product, FRIDAY_DELIVERY).orderable is True  # without the closed day

    def test_lead_time_over_christmas(self):
        # Ordered Wed 23 Dec 2026: Thu 24 counts, Fri 25 (closed) and the weekend do not, Mon 28 does.
        now = amsterdam(2026, 12, 23, 10, 0)
        monday = DeliveryMoment(departure_date=date(2026, 12, 28), delivery_date=date(2026, 12, 29))
        result = availability(ProductFields(lead_time_days=2), monday, now=now)
        assert result.orderable is True
        assert result.first_moment == monday


class ReasonLanguageTests:
    @pytest.mark.parametrize(
        ("language", "expected"),
        [
            ("en", "Available from Thu 3 Dec"),
            ("nl", "Leverbaar vanaf do 3 dec"),
            ("de", "Lieferbar ab Do., 3. Dez."),
            ("fr", "Disponible à partir du jeu. 3 déc."),
        ],
    )
    def test_not_yet_available(self, language, expected):
        assert availability(ProductFields(available_from=date(2026, 12, 3)), language=language).reason == expected

    @pytest.mark.parametrize(
        ("language", "expected"),
        [
            ("en", "Not deliverable on Tuesdays"),
            ("nl", "Niet leverbaar op dinsdag"),
            ("de", "Dienstags nicht lieferbar"),
            ("fr", "Pas de livraison le mardi"),
        ],
    )
    def test_weekday(self, language, expected):
        assert availability(ProductFields(available_weekdays="wed"), language=language).reason == expected

    @pytest.mark.parametrize(
        ("language", "expected"),
        [
            ("en", "Needs 3 working days' notice"),
            ("nl", "Bestel minimaal 3 werkdagen vooraf"),
            ("de", "Benötigt 3 Werktage Vorlauf"),
            ("fr", "Commander 3 jours ouvrés à l'avance"),
        ],
    )
    def test_lead_time(self, language, expected):
        assert availability(ProductFields(lead_time_days=3), language=language).reason == expected

    def test_ended_in_dutch(self):
        result = availability(ProductFields(available_until=date(2026, 11, 30)), language="nl")
        assert result.reason == "Niet meer leverbaar na ma 30 nov"

    def test_year_is_shown_for_a_date_in_another_year(self):
        now = amsterdam(2026, 12, 31, 10, 0)
        moment = DeliveryMoment(departure_date=date(2027, 1, 4), delivery_date=date(2027, 1, 5))
        result = availability(ProductFields(available_from=date(2027, 1, 6)), moment, now=now)
        assert result.reason == "Available from Wed 6 Jan 2027"
