"""Figures are cached per refresh: a new run, new customer values or a cost change invalidate them."""

from decimal import Decimal

import pytest

from orders.models import ChannelCost, Order
from segments.insight.figures import kpis_figure
from segments.models import RefreshRun
from segments.value import company_values_refresh
from tests.accounts.factories import CompanyFactory
from tests.segments.factories import SegmentFactory
from tests.segments.insight.conftest import NOW, days_ago, order


@pytest.fixture
def one_order(db):
    company = CompanyFactory()
    order(company, day=days_ago(3), amount="100.00")
    company_values_refresh(now=NOW)
    return company


@pytest.mark.django_db
class InsightCacheTests:
    def test_a_cached_figure_costs_only_the_version_queries(self, one_order, django_assert_num_queries):
        kpis_figure()
        with django_assert_num_queries(3):
            assert kpis_figure().all.revenue_12m == Decimal("100.00")

    def test_a_new_refresh_run_invalidates(self, one_order):
        assert kpis_figure().all.orders_12m == 1
        order(one_order, day=days_ago(4), amount="50.00")
        company_values_refresh(now=NOW)
        # Same day of values, no new run: still the cached figure.
        assert kpis_figure().all.orders_12m == 1

        RefreshRun.objects.create(segment=SegmentFactory(), status=RefreshRun.Status.SUCCEEDED)

        assert kpis_figure().all.orders_12m == 2

    def test_a_changed_channel_cost_invalidates(self, one_order):
        assert kpis_figure().all.cost_per_order is None

        ChannelCost.objects.create(channel=Order.Channel.WEB, cost_per_order=Decimal("2.00"))

        assert kpis_figure().all.cost_per_order == Decimal("2.00")
