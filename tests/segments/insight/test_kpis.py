"""KPIs on a hand-built shop: every figure worked out by hand below."""

from decimal import Decimal

import pytest

from orders.models import ChannelCost, Order
from segments.insight.selectors import insight_kpis
from segments.value import company_values_refresh
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory
from tests.segments.insight.conftest import NOW, days_ago, order


@pytest.fixture
def shop(db):
    """
    Alfa (NL): web 100, web 200, phone 300 in the 12 months      -> 3 orders, revenue 600
    Bravo (DE): email 400 in the 12 months; a cancelled 1000 and a 500 of two years ago do not count
                                                                   -> 1 order, revenue 400
    Charlie (prospect): no orders
    Delta: one web order of 50 placed today: the 12 months end yesterday -> 0 orders
    Contacts: Alfa 2 (one consenting and active), Bravo 1 (consenting, inactive), Charlie 1 (consenting, active),
    Delta 1 (no consent) -> 5 contacts, 2 reachable.
    Costs: web 1.50, phone 12.00; email has no cost in the admin.
    """
    alfa, bravo = CompanyFactory(name="Alfa"), CompanyFactory(name="Bravo", country="DE")
    charlie, delta = CompanyFactory(name="Charlie", prospect=True), CompanyFactory(name="Delta")
    order(alfa, day=days_ago(10), amount="100.00")
    order(alfa, day=days_ago(40), amount="200.00")
    order(alfa, day=days_ago(70), amount="300.00", channel=Order.Channel.PHONE)
    order(bravo, day=days_ago(100), amount="400.00", channel=Order.Channel.EMAIL)
    order(bravo, day=days_ago(20), amount="1000.00", status=Order.Status.CANCELLED)
    order(bravo, day=days_ago(730), amount="500.00")
    order(delta, day=NOW.date(), amount="50.00", hour=8)
    people = {
        "alfa_consenting": ContactFactory(company=alfa, marketing_consent=True),
        "alfa_silent": ContactFactory(company=alfa),
        "bravo_inactive": ContactFactory(company=bravo, marketing_consent=True, is_active=False),
        "charlie": ContactFactory(company=charlie, marketing_consent=True),
        "delta": ContactFactory(company=delta),
    }
    ChannelCost.objects.create(channel=Order.Channel.WEB, cost_per_order=Decimal("1.50"))
    ChannelCost.objects.create(channel=Order.Channel.PHONE, cost_per_order=Decimal("12.00"))
    company_values_refresh(now=NOW)
    return people


@pytest.mark.django_db
class InsightKpisTests:
    def test_all_customers(self, shop):
        report = insight_kpis()
        kpis = report.all

        assert (report.period_first_day.isoformat(), report.period_last_day.isoformat()) == ("2025-06-15", "2026-06-14")
        assert kpis.companies == 4
        assert kpis.buying_companies == 2  # Alfa and Bravo; Delta's order is of today
        assert kpis.contacts == 5
        assert kpis.revenue_12m == Decimal("1000.00")  # 600 + 400
        assert kpis.revenue_share == Decimal("100.00")
        assert kpis.orders_12m == 4
        assert kpis.average_order_value == Decimal("250.00")  # 1000 / 4
        assert kpis.annual_spend_per_company == Decimal("500.00")  # 1000 / 2 buying companies
        assert kpis.order_frequency == Decimal("2.00")  # 4 orders / 2 buying companies
        assert kpis.repeat_purchase_share == Decimal("50.00")  # Alfa (3 orders) of Alfa and Bravo
        assert kpis.web_share == Decimal("50.00")  # 2 web orders of 4
        assert kpis.order_cost_12m == Decimal("15.00")  # 2 x 1.50 + 1 x 12.00
        assert kpis.cost_per_order == Decimal("5.00")  # 15.00 / 3 costed orders
        assert kpis.uncosted_orders == 1  # Bravo's email order
        assert kpis.reachable_contacts == 2  # Alfa's consenting contact and Charlie's
        assert kpis.consented_share == Decimal("40.00")  # 2 of 5
        # Fewer than 20 repeat customers: no CLV model, so no prediction.
        assert (kpis.predicted_clv_companies, kpis.predicted_clv_mean, kpis.predicted_clv_total) == (0, None, Decimal("0.00"))

    def test_a_segment_side_by_side_with_all_customers(self, shop):
        segment = SegmentFactory(slug="alfa")
        SegmentMembershipFactory(segment=segment, contact=shop["alfa_consenting"])
        SegmentMembershipFactory(segment=segment, contact=shop["alfa_silent"])

        report = insight_kpis(segment=segment)
        kpis = report.segment

        assert report.segment_slug == "alfa" and report.all.companies == 4
        assert (kpis.companies, kpis.buying_companies, kpis.contacts) == (1, 1, 2)
        assert kpis.revenue_12m == Decimal("600.00")
        assert kpis.revenue_share == Decimal("60.00")  # 600 of 1000
        assert kpis.average_order_value == Decimal("200.00")  # 600 / 3
        assert kpis.annual_spend_per_company == Decimal("600.00")
        assert kpis.order_frequency == Decimal("3.00")
        assert kpis.repeat_purchase_share == Decimal("100.00")
        assert kpis.web_share == Decimal("66.67")  # 2 of 3, rounded half up
        assert kpis.cost_per_order == Decimal("5.00")  # (1.50 + 1.50 + 12.00) / 3
        assert kpis.uncosted_orders == 0
        assert (kpis.reachable_contacts, kpis.consented_share) == (1, Decimal("50.00"))

    def test_a_segment_without_orders_has_zero_sums_and_null_averages(self, shop):
        segment = SegmentFactory(slug="prospects")
        SegmentMembershipFactory(segment=segment, contact=shop["charlie"])

        kpis = insight_kpis(segment=segment).segment

        assert (kpis.companies, kpis.buying_companies, kpis.contacts, kpis.orders_12m) == (1, 0, 1, 0)
        assert kpis.revenue_12m == Decimal("0.00") and kpis.revenue_share == Decimal("0.00")
        assert kpis.order_cost_12m == Decimal("0.00") and kpis.uncosted_orders == 0
        assert kpis.predicted_clv_total == Decimal("0.00")
        for average in ("average_order_value", "annual_spend_per_company", "order_frequency", "repeat_purchase_share",
                        "web_share", "cost_per_order", "predicted_clv_mean"):
            assert getattr(kpis, average) is None, average
        assert kpis.consented_share == Decimal("100.00")

    def test_an_empty_segment_has_no_shares(self, shop):
        kpis = insight_kpis(segment=SegmentFactory(slug="empty")).segment

        assert (kpis.companies, kpis.contacts, kpis.revenue_12m) == (0, 0, Decimal("0.00"))
        assert kpis.consented_share is None and kpis.average_order_value is None

    def test_the_kpis_take_a_constant_number_of_queries(self, shop, django_assert_max_num_queries):
        segment = SegmentFactory(slug="alfa")
        SegmentMembershipFactory(segment=segment, contact=shop["alfa_consenting"])
        with django_assert_max_num_queries(8):
            insight_kpis(segment=segment)
