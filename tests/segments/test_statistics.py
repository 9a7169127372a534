"""Run statistics: what a refresh run aggregates once for all its segments (segments/statistics.py).

That both compiled forms select the same contacts is checked by every compiler test
(`test_compiler.matches`, `test_properties.sql_members`).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Contact
from segments.compiler import compile_rule
from segments.models import RunCartStatistics, RunSalesStatistics
from segments.statistics import DEFAULT_OWNER, run_statistics_needed, run_statistics_prepare, window_key
from segments.validation import validate_rule
from tests.segments.test_compiler import NOW, REGISTRY, cart, company, cond, contact, local, order, product

RULES = [
    {"all": [cond("sales.revenue", "gt", 10, window="this_year"), cond("cart.quantity", "gt", 1)]},
    {"any": [cond("sales.average_order_value", "gte", 5), cond("sales.quantity", "gt", 3, window="this_year")]},
    cond("sales.web_share", "gt", 10, window={"last_days": 30}),
    cond("sales.bought_product", "contains_any", ["ROSE-1"], window="last_year"),
    cond("company.name", "contains", "x"),
]


def _nodes():
    return [validate_rule(rule, registry=REGISTRY) for rule in RULES]


class RunStatisticsNeededTests:
    def test_each_window_once_with_the_levels_its_figures_need(self):
        sales, carts = run_statistics_needed(nodes=_nodes(), registry=REGISTRY)

        levels = {key: set(found) for key, (_window, found) in sales.items()}
        assert levels == {'"this_year"': {"orders", "lines"}, '"all_time"': {"orders"}, '{"last_days": 30}': {"orders"}}
        assert carts is True

    def test_rules_without_sales_or_cart_figures_need_nothing(self):
        sales, carts = run_statistics_needed(nodes=[validate_rule(cond("contact.is_active", "is_true"), registry=REGISTRY)],
                                             registry=REGISTRY)
        assert (sales, carts) == ({}, False)


@pytest.mark.django_db
class RunStatisticsPrepareTests:
    def test_one_row_per_company_with_orders_and_window_plus_a_default_row(self):
        rose = product("ROSE-1")
        buyer = contact("a@x.nl", company=company(name="A"))
        order(buyer.company, local(2026, 2, 1, 9), [(rose, 4, "2.50")])
        cart(buyer, [(rose, 3, "1.00", local(2026, 3, 30, 9))])
        contact("b@x.nl", company=company(name="B"))

        statistics = run_statistics_prepare(nodes=_nodes(), registry=REGISTRY, now=NOW)

        this_year = RunSalesStatistics.objects.filter(window_key='"this_year"')
        assert sorted(this_year.values_list("owner", "quantity", "order_count")) == [(DEFAULT_OWNER, 0, 0), (buyer.company_id, 4, 1)]
        assert sorted(RunCartStatistics.objects.values_list("owner", "line_count", "quantity")) == [
            (DEFAULT_OWNER, 0, 0), (buyer.pk, 1, 3)]
        assert statistics.sales_key(validate_rule(RULES[1], registry=REGISTRY).children[1].window, "lines") == window_key(
            validate_rule(RULES[0], registry=REGISTRY).children[0].window)
        assert statistics.sales_key(validate_rule(RULES[2], registry=REGISTRY).window, "lines") is None  # orders only

    def test_a_second_run_replaces_the_first_runs_rows(self):
        buyer = contact("a@x.nl", company=company(name="A"))
        order(buyer.company, local(2026, 2, 1, 9), [(product("ROSE-1"), 4, "2.50")])
        run_statistics_prepare(nodes=_nodes(), registry=REGISTRY, now=NOW)
        run_statistics_prepare(nodes=_nodes()[2:3], registry=REGISTRY, now=NOW)

        assert set(RunSalesStatistics.objects.values_list("window_key", flat=True)) == {'{"last_days": 30}'}
        assert not RunCartStatistics.objects.exists()

    def test_the_refresh_form_is_one_query_per_segment_whatever_the_contacts(self):
        for index in range(5):
            buyer = contact(f"c{index}@x.nl", company=company(name=f"C{index}"))
            order(buyer.company, local(2026, 2, 1 + index, 9), [(product(f"P-{index}"), 4, "2.50")])
        node = validate_rule(RULES[0], registry=REGISTRY)
        statistics = run_statistics_prepare(nodes=[node], registry=REGISTRY, now=NOW)
        with CaptureQueriesContext(connection) as queries:
            list(Contact.objects.filter(compile_rule(node, registry=REGISTRY, now=NOW, statistics=statistics)).values_list("pk"))
        assert len(queries) == 1
        assert "segments_run_sales_statistics" in queries[0]["sql"]
        assert "segments_run_cart_statistics" in queries[0]["sql"]
