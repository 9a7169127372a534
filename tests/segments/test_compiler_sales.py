"""sales.*: company-level statistics over windows (rules.md sales.*, precise semantics 2, 6, 7, 14)."""

import pytest

from orders.models import Order
from tests.segments.test_compiler import NOW, category, cond, contact, local, matches, order, product, utc


@pytest.mark.django_db
class RevenueTests:
    def test_revenue_is_the_sum_of_quantity_times_unit_price(self):
        buyer = contact("buyer@x.nl")
        order(buyer.company, local(2026, 3, 1, 9), [(product("ROSE-1"), 3, "33.33"), (product("TUL-1"), 2, "0.50")])
        assert matches(cond("sales.revenue", "eq", 100.99)) == {"buyer@x.nl"}
        assert matches(cond("sales.revenue", "gt", 100.98)) == {"buyer@x.nl"}
        assert matches(cond("sales.revenue", "lt", 100.99)) == set()

    def test_cancelled_orders_are_excluded(self):
        buyer = contact("buyer@x.nl")
        tulip = product("TUL-1")
        order(buyer.company, local(2026, 3, 1, 9), [(tulip, 1, "10.00")], channel="phone")
        order(buyer.company, local(2026, 3, 20, 9), [(product("ROSE-1"), 100, "10.00")], channel="fax",
              status=Order.Status.CANCELLED)
        assert matches(cond("sales.revenue", "eq", 10)) == {"buyer@x.nl"}
        assert matches(cond("sales.order_count", "eq", 1)) == {"buyer@x.nl"}
        assert matches(cond("sales.quantity", "eq", 1)) == {"buyer@x.nl"}
        assert matches(cond("sales.distinct_products", "eq", 1)) == {"buyer@x.nl"}
        assert matches(cond("sales.channel", "contains_any", ["fax"])) == set()
        assert matches(cond("sales.bought_product", "contains_any", ["ROSE-1"])) == set()
        assert matches(cond("sales.last_order_at", "before", "2026-03-02")) == {"buyer@x.nl"}

    def test_open_orders_count(self):
        buyer = contact("buyer@x.nl")
        order(buyer.company, local(2026, 3, 1, 9), [(product("TUL-1"), 4, "2.50")], status=Order.Status.OPEN)
        assert matches(cond("sales.revenue", "eq", 10)) == {"buyer@x.nl"}
        assert matches(cond("sales.order_count", "eq", 1)) == {"buyer@x.nl"}

    def test_sales_are_company_wide_whichever_contact_ordered(self):
        ordering = contact("orders@x.nl")
        colleague = contact("colleague@x.nl", company=ordering.company)
        contact("other@x.nl")
        order(ordering.company, local(2026, 3, 1, 9), [(product("TUL-1"), 1, "600.00")], placed_by=ordering)
        order(ordering.company, local(2026, 3, 2, 9), [(product("ROSE-1"), 1, "400.00")], placed_by=None)  # from the ERP
        assert colleague.company_id == ordering.company_id
        assert matches(cond("sales.revenue", "eq", 1000)) == {"orders@x.nl", "colleague@x.nl"}
        assert matches(cond("sales.bought_product", "contains_all", ["TUL-1", "ROSE-1"])) == {"orders@x.nl", "colleague@x.nl"}


@pytest.mark.django_db
class CountTests:
    def test_order_count_counts_orders_not_lines(self):
        buyer = contact("buyer@x.nl")
        tulip, rose, orchid = product("TUL-1"), product("ROSE-1"), product("ORC-1")
        order(buyer.company, local(2026, 3, 1, 9), [(tulip, 1, "1.00"), (rose, 1, "1.00"), (orchid, 1, "1.00")])
        order(buyer.company, local(2026, 3, 1, 9), [(tulip, 5, "1.00")])
        assert matches(cond("sales.order_count", "eq", 2)) == {"buyer@x.nl"}
        assert matches(cond("sales.quantity", "eq", 8)) == {"buyer@x.nl"}
        assert matches(cond("sales.distinct_products", "eq", 3)) == {"buyer@x.nl"}

    def test_an_order_without_lines_counts_as_an_order_with_no_revenue(self):
        buyer = contact("buyer@x.nl")
        order(buyer.company, local(2026, 3, 1, 9), [])
        assert matches(cond("sales.order_count", "eq", 1)) == {"buyer@x.nl"}
        assert matches(cond("sales.revenue", "eq", 0)) == {"buyer@x.nl"}
        assert matches(cond("sales.average_order_value", "eq", 0)) == {"buyer@x.nl"}
        assert matches(cond("sales.quantity", "eq", 0)) == {"buyer@x.nl"}

    def test_distinct_categories_counts_the_category_each_product_hangs_on(self):
        flowers = category("flowers")
        roses = category("roses", flowers)
        buyer = contact("buyer@x.nl")
        red, white, mixed = product("RED-1", roses), product("WHITE-1", roses), product("MIX-1", flowers)
        order(buyer.company, local(2026, 3, 1, 9), [(red, 1, "1.00"), (white, 1, "1.00")])
        assert matches(cond("sales.distinct_categories", "eq", 1)) == {"buyer@x.nl"}
        order(buyer.company, local(2026, 3, 2, 9), [(mixed, 1, "1.00")])
        assert matches(cond("sales.distinct_categories", "eq", 2)) == {"buyer@x.nl"}
        assert matches(cond("sales.distinct_products", "eq", 3)) == {"buyer@x.nl"}


@pytest.mark.django_db
class ExactArithmeticTests:
    """Precise semantics 14: average_order_value and web_share are exact, not rounded."""

    @pytest.fixture(autouse=True)
    def _three_orders_totalling_100(self):
        buyer = contact("buyer@x.nl")
        tulip = product("TUL-1")
        order(buyer.company, local(2026, 3, 1, 9), [(tulip, 1, "33.33")], channel="web")
        order(buyer.company, local(2026, 3, 2, 9), [(tulip, 1, "33.33")], channel="phone")
        order(buyer.company, local(2026, 3, 3, 9), [(tulip, 1, "33.34")], channel="edi")

    @pytest.mark.parametrize(
        ("op", "value", "matched"),
        [
            ("gt", 33.33, True),
            ("lt", 33.34, True),
            ("eq", 33.33, False),
            ("eq", 33.34, False),
            ("ne", 33.33, True),
            ("gte", 33.34, False),
            ("lte", 33.33, False),
            ("between", [33.33, 33.34], True),
            ("between", [33.333334, 34], False),
            ("gt", 33.333333, True),
        ],
    )
    def test_average_order_value_of_100_over_3_orders(self, op, value, matched):
        assert (matches(cond("sales.average_order_value", op, value)) == {"buyer@x.nl"}) is matched

    def test_revenue_of_the_three_orders_is_exactly_100(self):
        assert matches(cond("sales.revenue", "eq", 100)) == {"buyer@x.nl"}

    @pytest.mark.parametrize(
        ("op", "value", "matched"),
        [("gt", 33.33, True), ("lt", 33.34, True), ("eq", 33.33, False), ("gte", 33.333334, False),
         ("between", [33.333333, 33.333334], True)],
    )
    def test_web_share_of_one_in_three_orders(self, op, value, matched):
        assert (matches(cond("sales.web_share", op, value)) == {"buyer@x.nl"}) is matched


@pytest.mark.django_db
class WebShareTests:
    def test_web_share_is_the_percentage_of_orders_placed_on_the_web(self):
        buyer = contact("buyer@x.nl")
        tulip = product("TUL-1")
        order(buyer.company, local(2026, 3, 1, 9), [(tulip, 100, "1.00")], channel="web")
        order(buyer.company, local(2026, 3, 2, 9), [(tulip, 1, "1.00")], channel="phone")
        assert matches(cond("sales.web_share", "eq", 50)) == {"buyer@x.nl"}  # counts orders, not money

    def test_cancelled_orders_do_not_count_for_web_share(self):
        buyer = contact("buyer@x.nl")
        tulip = product("TUL-1")
        order(buyer.company, local(2026, 3, 1, 9), [(tulip, 1, "1.00")], channel="web")
        order(buyer.company, local(2026, 3, 2, 9), [(tulip, 1, "1.00")], channel="phone", status=Order.Status.CANCELLED)
        order(buyer.company, local(2026, 3, 3, 9), [(tulip, 1, "1.00")], channel="web", status=Order.Status.CANCELLED)
        assert matches(cond("sales.web_share", "eq", 100)) == {"buyer@x.nl"}

    def test_no_web_orders_is_zero_percent(self):
        buyer = contact("buyer@x.nl")
        order(buyer.company, local(2026, 3, 1, 9), [(product("TUL-1"), 1, "1.00")], channel="edi")
        assert matches(cond("sales.web_share", "eq", 0)) == {"buyer@x.nl"}
        assert matches(cond("sales.web_share", "between", [0, 100])) == {"buyer@x.nl"}


@pytest.mark.django_db
class BoughtCategoryTests:
    """bought_category matches the category or any of its descendants (via the closure rows)."""

    @pytest.fixture(autouse=True)
    def _tree(self):
        flowers = category("flowers")
        roses = category("roses", flowers)
        red_roses = category("red-roses", roses)
        category("tulips", flowers)
        plants = category("plants")
        leaf_buyer, mid_buyer, plant_buyer = contact("leaf@x.nl"), contact("mid@x.nl"), contact("plant@x.nl")
        order(leaf_buyer.company, local(2026, 3, 1, 9), [(product("RED-1", red_roses), 1, "1.00")])
        order(mid_buyer.company, local(2026, 3, 1, 9), [(product("ROSE-1", roses), 1, "1.00")])
        order(plant_buyer.company, local(2026, 3, 1, 9), [(product("PLANT-1", plants), 1, "1.00")])

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (["red-roses"], {"leaf"}),
            (["roses"], {"leaf", "mid"}),
            (["flowers"], {"leaf", "mid"}),
            (["tulips"], set()),
            (["plants"], {"plant"}),
            (["tulips", "plants"], {"plant"}),
        ],
    )
    def test_contains_any_matches_the_category_and_its_descendants(self, value, expected):
        assert matches(cond("sales.bought_category", "contains_any", value)) == {f"{name}@x.nl" for name in expected}

    def test_contains_all_and_contains_none(self):
        assert matches(cond("sales.bought_category", "contains_all", ["flowers", "red-roses"])) == {"leaf@x.nl"}
        assert matches(cond("sales.bought_category", "contains_all", ["flowers", "plants"])) == set()
        assert matches(cond("sales.bought_category", "contains_none", ["roses"])) == {"plant@x.nl"}

    def test_a_parent_category_does_not_match_a_child(self):
        assert "mid@x.nl" not in matches(cond("sales.bought_category", "contains_any", ["red-roses"]))


@pytest.mark.django_db
class SalesWindowTests:
    """NOW = 2026-04-01 10:00 Amsterdam (UTC+2); Q2 and April start today."""

    @pytest.fixture(autouse=True)
    def _orders(self):
        buyer = contact("buyer@x.nl")
        tulip, rose, orchid, plant = product("TUL-1"), product("ROSE-1"), product("ORC-1"), product("PLANT-1")
        self.company = buyer.company
        order(buyer.company, utc(2024, 12, 31, 23, 30), [(plant, 1, "1.00")], channel="fax")  # 2025-01-01 00:30 local
        order(buyer.company, local(2025, 6, 15, 12), [(plant, 1, "2.00")], channel="phone")
        order(buyer.company, utc(2025, 12, 31, 23, 30), [(tulip, 1, "10.00")], channel="edi")  # 2026-01-01 00:30 local
        order(buyer.company, local(2026, 3, 31, 23, 59), [(rose, 1, "100.00")], channel="email")
        order(buyer.company, utc(2026, 3, 31, 22, 30), [(orchid, 1, "1000.00")], channel="web")  # 2026-04-01 00:30 local

    @pytest.mark.parametrize(
        ("window", "revenue"),
        [
            ("all_time", 1113),
            ("this_year", 1110),
            ("last_year", 3),
            ("this_quarter", 1000),
            ("this_month", 1000),
            ({"last_days": 0}, 1000),
            ({"last_days": 1}, 1100),
            ({"last_days": 90}, 1110),
            ({"last_days": 89}, 1100),
            ({"from": "2026-01-01", "to": "2026-03-31"}, 110),
            ({"from": "2025-01-01", "to": "2025-01-01"}, 1),
            ({"from": "2024-12-31", "to": "2024-12-31"}, 0),
            ({"from": "2025-12-31", "to": "2025-12-31"}, 0),
        ],
    )
    def test_revenue_per_window(self, window, revenue):
        assert matches(cond("sales.revenue", "eq", revenue, window=window)) == {"buyer@x.nl"}

    def test_an_order_at_23_30_utc_on_new_years_eve_belongs_to_the_new_year(self):
        assert matches(cond("sales.channel", "contains_any", ["edi"], window="this_year")) == {"buyer@x.nl"}
        assert matches(cond("sales.channel", "contains_any", ["edi"], window="last_year")) == set()
        assert matches(cond("sales.channel", "contains_any", ["fax"], window="last_year")) == {"buyer@x.nl"}

    def test_the_window_applies_to_every_sales_field(self):
        month = {"window": "this_month"}
        assert matches(cond("sales.order_count", "eq", 1, **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.average_order_value", "eq", 1000, **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.web_share", "eq", 100, **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.quantity", "eq", 1, **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.distinct_products", "eq", 1, **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.distinct_categories", "eq", 1, **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.channel", "contains_none", ["email"], **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.bought_product", "contains_all", ["ORC-1"], **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.bought_product", "contains_any", ["ROSE-1"], **month)) == set()
        assert matches(cond("sales.bought_category", "contains_any", ["cat-orc-1"], **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.first_order_at", "after", "2026-03-31", **month)) == {"buyer@x.nl"}
        assert matches(cond("sales.first_order_at", "before", "2025-01-02")) == {"buyer@x.nl"}

    def test_last_and_first_order_at_within_a_window(self):
        last_year = {"window": "last_year"}
        assert matches(cond("sales.first_order_at", "between", ["2025-01-01", "2025-01-01"], **last_year)) == {"buyer@x.nl"}
        assert matches(cond("sales.last_order_at", "between", ["2025-06-15", "2025-06-15"], **last_year)) == {"buyer@x.nl"}
        assert matches(cond("sales.last_order_at", "within_last_days", 0)) == {"buyer@x.nl"}
        assert matches(cond("sales.last_order_at", "within_last_days", 0, window={"last_days": 1})) == {"buyer@x.nl"}
        q1 = {"window": {"from": "2026-01-01", "to": "2026-03-31"}}
        assert matches(cond("sales.last_order_at", "more_than_days_ago", 0, **q1)) == {"buyer@x.nl"}
        assert matches(cond("sales.last_order_at", "after", "2026-03-30", **q1)) == {"buyer@x.nl"}

    def test_last_days_starts_at_local_midnight_of_today_minus_n(self):
        order(self.company, local(2026, 3, 2, 0, 0), [(product("EDGE-1"), 1, "5.00")])
        order(self.company, local(2026, 3, 1, 23, 59), [(product("EDGE-2"), 1, "7.00")])
        assert matches(cond("sales.bought_product", "contains_any", ["EDGE-1"], window={"last_days": 30})) == {"buyer@x.nl"}
        assert matches(cond("sales.bought_product", "contains_any", ["EDGE-2"], window={"last_days": 30})) == set()
        assert matches(cond("sales.bought_product", "contains_any", ["EDGE-2"], window={"last_days": 31})) == {"buyer@x.nl"}

    def test_this_year_on_new_years_day(self):
        new_year = utc(2025, 12, 31, 23, 45)  # 2026-01-01 00:45 locally
        # The whole calendar period containing today, later orders in it included.
        assert matches(cond("sales.revenue", "eq", 1110, window="this_year"), now=new_year) == {"buyer@x.nl"}
        assert matches(cond("sales.revenue", "eq", 3, window="last_year"), now=new_year) == {"buyer@x.nl"}
        assert matches(cond("sales.revenue", "eq", 10, window="this_month"), now=new_year) == {"buyer@x.nl"}
        assert matches(cond("sales.revenue", "eq", 110, window="this_quarter"), now=new_year) == {"buyer@x.nl"}
        assert matches(cond("sales.revenue", "eq", 10, window={"last_days": 0}), now=new_year) == {"buyer@x.nl"}

    def test_windows_move_with_now(self):
        march = local(2026, 3, 31, 12)
        assert matches(cond("sales.revenue", "eq", 110, window="this_quarter"), now=march) == {"buyer@x.nl"}
        assert matches(cond("sales.revenue", "eq", 100, window="this_month"), now=march) == {"buyer@x.nl"}
        assert matches(cond("sales.revenue", "eq", 0, window="this_month"), now=NOW.replace(month=5)) == {"buyer@x.nl"}
