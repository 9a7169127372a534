"""Figures are cached per refresh: a new run, new customer values or a cost change invalidate them."""

from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import ChannelCost, Order
from segments import tasks
from segments.insight.figures import (
    default_compared_segments,
    insight_figures_warm,
    kpis_figure,
    lift_figure,
    lookalike_figure,
    overlap_figure,
    pareto_figure,
    rfm_grid_figure,
    trends_figure,
)
from segments.insight.selectors import TRENDS_DAYS
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


@pytest.mark.django_db
class InsightWarmTests:
    def test_after_warming_the_first_views_come_from_the_cache(self, one_order, django_assert_num_queries):
        largest, smaller = SegmentFactory(member_count=5), SegmentFactory(member_count=1)

        warmed = insight_figures_warm(segments_limit=1)

        assert warmed == 5 * 2 + 2  # all customers and the largest segment, plus overlap and trends
        for segment in (None, largest):
            for figure in (kpis_figure, rfm_grid_figure, pareto_figure, lift_figure, lookalike_figure):
                with django_assert_num_queries(3):  # the version queries only
                    figure(segment=segment)
        compared = default_compared_segments()
        with django_assert_num_queries(3):
            overlap_figure(segments=compared)
        with django_assert_num_queries(3):
            trends_figure(segments=compared, days=TRENDS_DAYS)
        with CaptureQueriesContext(connection) as beyond_the_limit:
            kpis_figure(segment=smaller)
        assert len(beyond_the_limit.captured_queries) > 3  # not warmed: computed now

    def test_a_scheduled_refresh_queues_the_warming_after_its_runs(self, one_order, django_capture_on_commit_callbacks):
        SegmentFactory(rule={"field": "company.country", "op": "is_not_empty"})

        with (
            mock.patch.object(tasks, "insight_figures_warm") as warm,
            django_capture_on_commit_callbacks(execute=True),
        ):
            tasks.segments_refresh_all_task()

        warm.assert_called_once_with(segments_limit=settings.INSIGHT_WARM_SEGMENTS)
        assert RefreshRun.objects.filter(status=RefreshRun.Status.SUCCEEDED).exists()

    def test_nothing_to_refresh_queues_nothing(self, db, django_capture_on_commit_callbacks):
        with (
            mock.patch.object(tasks, "insight_figures_warm") as warm,
            django_capture_on_commit_callbacks(execute=True),
        ):
            tasks.segments_refresh_all_task()

        warm.assert_not_called()

    def test_a_partial_refresh_after_an_import_does_not_warm(self, one_order, django_capture_on_commit_callbacks):
        SegmentFactory(rule={"field": "company.country", "op": "is_not_empty"}, is_dirty=True)

        with (
            mock.patch.object(tasks, "insight_figures_warm") as warm,
            django_capture_on_commit_callbacks(execute=True),
        ):
            tasks.segments_refresh_all_task(only_dirty=True)

        warm.assert_not_called()
        assert RefreshRun.objects.filter(status=RefreshRun.Status.SUCCEEDED).exists()
