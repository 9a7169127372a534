import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orders.models import Order
from segments.models import CompanyValue
from segments.value import (
    RFM_GRID,
    company_values_ensure_current,
    company_values_refresh,
    quintile_score,
    rfm_segment_for,
)
from tests.accounts.factories import CompanyFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import OrderFactory, OrderLineFactory

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime.datetime(2026, 6, 15, 9, 0, tzinfo=AMS)


def _order(company, *, day: datetime.date, amount: str, hour: int = 12, status=Order.Status.SHIPPED):
    return OrderFactory(
        company=company, ordered_at=datetime.datetime.combine(day, datetime.time(hour), tzinfo=AMS),
        total_amount=Decimal(amount), status=status,
    )


class RfmGridTests:
    @pytest.mark.parametrize(
        ("recency", "frequency", "segment"),
        [(5, 5, "champions"), (5, 4, "champions"), (4, 4, "loyal"), (3, 5, "loyal"), (5, 1, "new"), (4, 1, "promising"),
         (5, 2, "potential_loyalists"), (4, 3, "potential_loyalists"), (3, 3, "need_attention"), (3, 1, "about_to_sleep"),
         (3, 2, "about_to_sleep"), (1, 5, "cant_lose"), (2, 5, "cant_lose"), (2, 4, "at_risk"), (1, 3, "at_risk"),
         (1, 1, "hibernating"), (2, 2, "hibernating")],
    )
    def test_grid_cells(self, recency, frequency, segment):
        assert rfm_segment_for(recency, frequency) == segment

    def test_every_cell_of_the_grid_has_exactly_one_segment_when_read_top_to_bottom(self):
        for recency in range(1, 6):
            for frequency in range(1, 6):
                first = next(name for rs, fs, name in RFM_GRID if recency in rs and frequency in fs)
                assert rfm_segment_for(recency, frequency) == first

    @pytest.mark.parametrize(("rank", "population", "score"), [(1, 5, 1), (3, 5, 3), (5, 5, 5), (3, 10, 2), (6, 10, 3), (1, 1, 5), (2, 3, 4)])
    def test_quintile_score_is_ceil_of_five_times_cume_dist(self, rank, population, score):
        assert quintile_score(rank, population) == score


@pytest.mark.django_db
class CompanyValuesRefreshTests:
    def test_rfm_scores_over_companies_with_orders_in_the_last_12_months(self):
        companies = [CompanyFactory() for _ in range(5)]
        for index, company in enumerate(companies):  # company i: i+1 orders, last one i days before yesterday
            for n in range(index + 1):
                _order(company, day=datetime.date(2026, 6, 14) - datetime.timedelta(days=10 * (4 - index) + n), amount="100.00")
        silent = CompanyFactory()

        company_values_refresh(now=NOW)

        values = {v.company_id: v for v in CompanyValue.objects.all()}
        assert [values[c.pk].rfm_frequency for c in companies] == [1, 2, 3, 4, 5]
        assert [values[c.pk].rfm_recency for c in companies] == [1, 2, 3, 4, 5]
        assert [values[c.pk].rfm_monetary for c in companies] == [1, 2, 3, 4, 5]
        assert values[companies[4].pk].rfm_segment == "champions"
        assert values[companies[0].pk].rfm_segment == "hibernating"
        assert values[silent.pk].rfm_recency is None
        assert values[silent.pk].rfm_segment is None

    def test_ties_share_a_score(self):
        a, b, c = CompanyFactory(), CompanyFactory(), CompanyFactory()
        for company in (a, b):
            _order(company, day=datetime.date(2026, 6, 1), amount="50.00")
        _order(c, day=datetime.date(2026, 6, 10), amount="10.00")
        company_values_refresh(now=NOW)
        values = {v.company_id: v for v in CompanyValue.objects.all()}
        assert values[a.pk].rfm_frequency == values[b.pk].rfm_frequency == values[c.pk].rfm_frequency == 5
        assert values[a.pk].rfm_recency == values[b.pk].rfm_recency == 4  # two of three share the older day: ceil(5*2/3)
        assert values[c.pk].rfm_recency == 5

    def test_recency_counts_whole_local_days_so_same_day_orders_tie(self):
        early, late = CompanyFactory(), CompanyFactory()
        _order(early, day=datetime.date(2026, 6, 1), amount="10.00", hour=0)
        _order(late, day=datetime.date(2026, 6, 1), amount="10.00", hour=23)
        company_values_refresh(now=NOW)
        values = {v.company_id: v for v in CompanyValue.objects.all()}
        assert values[early.pk].days_since_last_order == values[late.pk].days_since_last_order == 14
        assert values[early.pk].rfm_recency == values[late.pk].rfm_recency

    def test_orders_of_today_and_older_than_12_months_are_outside_the_window(self):
        company = CompanyFactory()
        _order(company, day=datetime.date(2026, 6, 15), amount="999.00", hour=1)  # today
        _order(company, day=datetime.date(2025, 6, 14), amount="888.00")  # one day too old
        _order(company, day=datetime.date(2025, 6, 15), amount="7.00")  # first day of the window
        company_values_refresh(now=NOW)
        value = CompanyValue.objects.get(company=company)
        assert value.revenue_12m == Decimal("7.00")
        assert value.orders_12m == 1
        assert value.lifetime_revenue == Decimal("1894.00")

    def test_cancelled_orders_count_nowhere(self):
        company = CompanyFactory()
        _order(company, day=datetime.date(2026, 6, 1), amount="500.00", status=Order.Status.CANCELLED)
        company_values_refresh(now=NOW)
        value = CompanyValue.objects.get(company=company)
        assert (value.revenue_12m, value.orders_12m, value.lifetime_revenue) == (Decimal("0.00"), 0, Decimal("0.00"))
        assert value.rfm_recency is None

    def test_revenue_percentile_counts_every_company_and_is_exact(self):
        spenders = [CompanyFactory() for _ in range(3)]
        for amount, company in zip(("10.00", "20.00", "30.00"), spenders):
            _order(company, day=datetime.date(2026, 5, 1), amount=amount)
        prospect = CompanyFactory(account_type="prospect")  # no revenue counts as 0
        company_values_refresh(now=NOW)
        values = {v.company_id: v for v in CompanyValue.objects.all()}
        assert values[prospect.pk].revenue_percentile == 25.0
        assert values[spenders[2].pk].revenue_percentile == 100.0
        assert values[spenders[1].pk].revenue_percentile == 75.0
        assert values[spenders[1].pk].top_25_percent is False  # 75 is not above 75
        assert values[spenders[2].pk].top_25_percent is True

    def test_a_second_refresh_of_the_day_writes_no_rows_and_a_change_writes_only_its_rows(self):
        companies = [CompanyFactory() for _ in range(3)]
        for index, company in enumerate(companies):
            _order(company, day=datetime.date(2026, 6, 1), amount=f"{100 * (index + 1)}.00")
        first = company_values_refresh(now=NOW)
        assert first.rows_written == 3

        assert company_values_refresh(now=NOW).rows_written == 0

        _order(companies[0], day=datetime.date(2020, 1, 1), amount="50.00")  # outside 12 months: lifetime only
        changed = company_values_refresh(now=NOW)
        assert changed.rows_written == 1
        assert CompanyValue.objects.get(company=companies[0]).lifetime_revenue == Decimal("150.00")

    def test_values_of_deleted_companies_are_removed(self):
        kept, gone = CompanyFactory(), CompanyFactory()
        company_values_refresh(now=NOW)
        gone.delete()
        assert company_values_refresh(now=NOW).rows_written == 1
        assert list(CompanyValue.objects.values_list("company_id", flat=True)) == [kept.pk]


@pytest.mark.django_db
class BuyingHabitsTests:
    """products_12m and main_channel_12m: the lift's behaviour traits, over the same 12 months as value.*."""

    def test_different_products_and_the_channel_of_most_orders(self):
        buyer, silent = CompanyFactory(), CompanyFactory()
        tulip, rose, lily = ProductFactory(), ProductFactory(), ProductFactory()
        web = [_order(buyer, day=datetime.date(2026, 5, day), amount="10.00") for day in (1, 2)]
        for placed in web:
            Order.objects.filter(pk=placed.pk).update(channel=Order.Channel.WEB)
        phone = _order(buyer, day=datetime.date(2026, 5, 3), amount="10.00")
        Order.objects.filter(pk=phone.pk).update(channel=Order.Channel.PHONE)
        OrderLineFactory(order=web[0], product=tulip)
        OrderLineFactory(order=web[1], product=tulip)  # the same product again: counted once
        OrderLineFactory(order=phone, product=rose)
        cancelled = _order(buyer, day=datetime.date(2026, 5, 4), amount="10.00", status=Order.Status.CANCELLED)
        OrderLineFactory(order=cancelled, product=lily)
        old = _order(buyer, day=datetime.date(2025, 1, 4), amount="10.00")
        OrderLineFactory(order=old, product=lily)  # before the 12 months

        company_values_refresh(now=NOW)

        values = {v.company_id: v for v in CompanyValue.objects.all()}
        assert (values[buyer.pk].products_12m, values[buyer.pk].main_channel_12m) == (2, "web")
        assert (values[silent.pk].products_12m, values[silent.pk].main_channel_12m) == (0, "")

    def test_a_tie_goes_to_the_first_channel_by_name(self):
        company = CompanyFactory()
        for day, channel in ((1, Order.Channel.WEB), (2, Order.Channel.PHONE)):
            placed = _order(company, day=datetime.date(2026, 5, day), amount="10.00")
            Order.objects.filter(pk=placed.pk).update(channel=channel)

        company_values_refresh(now=NOW)

        assert CompanyValue.objects.get(company=company).main_channel_12m == min(Order.Channel.WEB, Order.Channel.PHONE)

    def test_values_stored_before_the_habits_existed_are_recomputed_the_same_day(self):
        company = CompanyFactory()
        _order(company, day=datetime.date(2026, 5, 1), amount="10.00")
        company_values_refresh(now=NOW)
        CompanyValue.objects.update(products_12m=None, main_channel_12m="")  # as the migration leaves them

        assert company_values_ensure_current(now=NOW) is True
        assert CompanyValue.objects.get(company=company).main_channel_12m != ""
        assert company_values_ensure_current(now=NOW) is False
