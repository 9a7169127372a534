"""Null semantics of rules.md, one named test per rule (and precise semantics 9 and 10)."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import CompanyAttributeValue
from orders.models import Cart
from tests.accounts.factories import CompanyAttributeDefinitionFactory
from tests.segments.factories import CompanyValueFactory
from tests.segments.test_compiler import NOW, cart, company, cond, contact, local, matches, order, product


@pytest.mark.django_db
class ComparisonWithNullTests:
    @pytest.fixture(autouse=True)
    def _contacts(self):
        contact("known@x.nl", company=company(employee_count=20, country="NL"), last_login=local(2026, 3, 1, 9))
        contact("unknown@x.nl", company=company(employee_count=None, country=""), last_login=None)

    @pytest.mark.parametrize(
        "rule",
        [
            cond("company.employee_count", "eq", 0),
            cond("company.employee_count", "gt", -1),
            cond("company.employee_count", "lt", 1000),
            cond("company.employee_count", "lte", 1000),
            cond("company.employee_count", "between", [-1, 1000]),
            cond("contact.last_login", "before", "2100-01-01"),
            cond("contact.last_login", "after", "1900-01-01"),
            cond("contact.last_login", "between", ["1900-01-01", "2100-01-01"]),
            cond("contact.last_login", "within_last_days", 36600),
            cond("contact.last_login", "more_than_days_ago", 0),
            cond("company.continent", "eq", "europe"),
            cond("company.continent", "in", ["europe", "asia"]),
            cond("company.size_band", "in", ["micro", "small", "medium", "large"]),
        ],
    )
    def test_a_comparison_with_null_is_false(self, rule):
        assert "unknown@x.nl" not in matches(rule)

    @pytest.mark.parametrize(
        "rule",
        [
            cond("company.employee_count", "ne", 0),
            cond("company.continent", "ne", "asia"),
            cond("company.size_band", "ne", "large"),
        ],
    )
    def test_ne_on_null_is_false(self, rule):
        assert matches(rule) == {"known@x.nl"}

    def test_not_in_on_null_is_false(self):
        assert matches(cond("company.continent", "not_in", ["asia"])) == {"known@x.nl"}
        assert matches(cond("company.size_band", "not_in", ["micro"])) == {"known@x.nl"}


@pytest.mark.django_db
class NotIsTwoValuedTests:
    def test_not_is_true_when_the_condition_is_false_because_of_null(self):
        contact("known@x.nl", company=company(employee_count=20))
        contact("unknown@x.nl", company=company(employee_count=None))
        assert matches({"not": cond("company.employee_count", "gt", 10)}) == {"unknown@x.nl"}
        assert matches({"not": cond("company.employee_count", "ne", 20)}) == {"known@x.nl", "unknown@x.nl"}

    def test_not_within_last_days_matches_contacts_who_never_logged_in(self):
        contact("recent@x.nl", last_login=NOW - datetime.timedelta(days=2))
        contact("old@x.nl", last_login=NOW - datetime.timedelta(days=60))
        contact("never@x.nl", last_login=None)
        assert matches({"not": cond("contact.last_login", "within_last_days", 14)}) == {"old@x.nl", "never@x.nl"}

    def test_not_of_a_comparison_on_a_missing_sales_average_is_true(self):
        contact("no-orders@x.nl")
        assert matches({"not": cond("sales.average_order_value", "gt", 0)}) == {"no-orders@x.nl"}
        assert matches({"not": cond("sales.average_order_value", "ne", 0)}) == {"no-orders@x.nl"}

    def test_not_of_is_true_on_null_is_true(self):
        contact("stateless@x.example", company=company(country=""))
        assert matches({"not": cond("company.eu_member", "is_true")}) == {"stateless@x.example"}
        assert matches({"not": cond("company.eu_member", "is_false")}) == {"stateless@x.example"}

    def test_not_of_not_in_on_null_is_true(self):
        contact("stateless@x.example", company=company(country=""))
        assert matches({"not": cond("company.continent", "not_in", ["asia"])}) == {"stateless@x.example"}


@pytest.mark.django_db
class NeverLoggedInTests:
    @pytest.fixture(autouse=True)
    def _contacts(self):
        contact("old@x.nl", last_login=NOW - datetime.timedelta(days=30))
        contact("never@x.nl", last_login=None)

    def test_more_than_days_ago_is_false_when_never_logged_in(self):
        assert matches(cond("contact.last_login", "more_than_days_ago", 14)) == {"old@x.nl"}

    def test_any_with_is_empty_includes_those_who_never_logged_in(self):
        never = {"any": [cond("contact.last_login", "more_than_days_ago", 14), cond("contact.last_login", "is_empty")]}
        assert matches(never) == {"old@x.nl", "never@x.nl"}

    def test_last_login_is_empty_when_never_logged_in(self):
        assert matches(cond("contact.last_login", "is_empty")) == {"never@x.nl"}


@pytest.mark.django_db
class IsEmptyTests:
    @pytest.fixture(autouse=True)
    def _attributes(self):
        tier = CompanyAttributeDefinitionFactory(name="loyalty_tier", value_type="text")
        for email, raw, text in (("gold@x.nl", "Gold", "gold"), ("blank@x.nl", "", ""), ("null@x.nl", "?", None)):
            owner = contact(email, company=company(region="" if text is None else "Holland"))
            CompanyAttributeValue.objects.create(company=owner.company, definition=tier, raw_value=raw, text_value=text)
        contact("missing@x.nl", company=company(region="Zeeland"))

    def test_is_empty_is_true_for_null_and_for_the_empty_string(self):
        assert matches(cond("company.attr.loyalty_tier", "is_empty")) == {"blank@x.nl", "null@x.nl", "missing@x.nl"}
        assert matches(cond("company.region", "is_empty")) == {"null@x.nl"}

    def test_is_not_empty_is_false_for_null_and_for_the_empty_string(self):
        assert matches(cond("company.attr.loyalty_tier", "is_not_empty")) == {"gold@x.nl"}

    def test_a_blank_text_is_not_null_for_comparisons(self):
        assert matches(cond("company.attr.loyalty_tier", "ne", "gold")) == {"blank@x.nl"}
        assert matches(cond("company.attr.loyalty_tier", "contains", "")) == {"gold@x.nl", "blank@x.nl"}
        assert matches(cond("company.attr.loyalty_tier", "not_in", ["silver"])) == {"gold@x.nl", "blank@x.nl"}

    def test_is_empty_is_true_for_a_null_number_and_date(self):
        contact("nobody@x.nl", company=company(employee_count=None, customer_since=None, credit_limit=None))
        assert "nobody@x.nl" in matches(cond("company.employee_count", "is_empty"))
        assert "nobody@x.nl" in matches(cond("company.customer_since", "is_empty"))
        assert "nobody@x.nl" in matches(cond("company.credit_limit", "is_empty"))


@pytest.mark.django_db
class AggregatesOverNoRowsTests:
    @pytest.fixture(autouse=True)
    def _contacts(self):
        buyer = contact("buyer@x.nl")
        order(buyer.company, local(2026, 3, 1, 9), [(product("TUL-1"), 2, "5.00")])
        contact("no-orders@x.nl")
        only_cancelled = contact("cancelled@x.nl")
        order(only_cancelled.company, local(2026, 3, 1, 9), [(product("ROSE-1"), 1, "5.00")], status="cancelled")

    @pytest.mark.parametrize(
        "field", ["sales.revenue", "sales.order_count", "sales.quantity", "sales.distinct_products", "sales.distinct_categories"]
    )
    def test_counts_and_sums_over_no_orders_are_zero_not_null(self, field):
        assert matches(cond(field, "eq", 0)) == {"no-orders@x.nl", "cancelled@x.nl"}
        assert matches(cond(field, "lt", 1)) == {"no-orders@x.nl", "cancelled@x.nl"}
        assert matches(cond(field, "is_empty")) == set()
        assert len(matches(cond(field, "is_not_empty"))) == 3

    @pytest.mark.parametrize("field", ["sales.average_order_value", "sales.web_share"])
    def test_averages_over_no_orders_are_null(self, field):
        assert matches(cond(field, "is_empty")) == {"no-orders@x.nl", "cancelled@x.nl"}
        assert matches(cond(field, "is_not_empty")) == {"buyer@x.nl"}
        assert matches(cond(field, "eq", 0)) == set()
        assert matches(cond(field, "ne", 0)) == {"buyer@x.nl"}
        assert matches(cond(field, "lt", 1000)) == {"buyer@x.nl"}

    @pytest.mark.parametrize("field", ["sales.last_order_at", "sales.first_order_at"])
    def test_dates_over_no_orders_are_null(self, field):
        assert matches(cond(field, "is_empty")) == {"no-orders@x.nl", "cancelled@x.nl"}
        assert matches(cond(field, "within_last_days", 36600)) == {"buyer@x.nl"}
        assert matches(cond(field, "more_than_days_ago", 0)) == {"buyer@x.nl"}

    def test_an_empty_window_is_like_no_orders(self):
        last_year = {"window": "last_year"}
        assert "buyer@x.nl" in matches(cond("sales.revenue", "eq", 0, **last_year))
        assert "buyer@x.nl" in matches(cond("sales.order_count", "eq", 0, **last_year))
        assert "buyer@x.nl" in matches(cond("sales.average_order_value", "is_empty", **last_year))
        assert "buyer@x.nl" in matches(cond("sales.last_order_at", "is_empty", **last_year))
        assert "buyer@x.nl" not in matches(cond("sales.revenue", "eq", 0))


@pytest.mark.django_db
class NoCartTests:
    @pytest.fixture(autouse=True)
    def _contacts(self):
        shopper = contact("shopper@x.nl")
        cart(shopper, [(product("TUL-1"), 3, "2.00", local(2026, 3, 30, 9))])
        contact("no-cart@x.nl")
        cart(contact("empty-cart@x.nl"))
        cart(contact("ordered-cart@x.nl"), [(product("ROSE-1"), 9, "2.00", local(2026, 3, 30, 9))], status=Cart.Status.ORDERED)

    @pytest.mark.parametrize("field", ["cart.line_count", "cart.quantity", "cart.value"])
    def test_a_contact_without_cart_has_zero(self, field):
        assert matches(cond(field, "eq", 0)) == {"no-cart@x.nl", "empty-cart@x.nl", "ordered-cart@x.nl"}
        assert matches(cond(field, "is_empty")) == set()
        assert matches(cond(field, "gt", 0)) == {"shopper@x.nl"}

    def test_last_item_added_at_is_null_without_cart(self):
        assert matches(cond("cart.last_item_added_at", "is_empty")) == {"no-cart@x.nl", "empty-cart@x.nl", "ordered-cart@x.nl"}
        assert matches(cond("cart.last_item_added_at", "more_than_days_ago", 0)) == {"shopper@x.nl"}


@pytest.mark.django_db
class ReferenceWithNoRowsTests:
    """Precise semantics 9: no orders, an empty window or an empty cart is the empty set."""

    @pytest.fixture(autouse=True)
    def _contacts(self):
        contact("nothing@x.nl")
        cart(contact("empty-cart@x.nl"))

    @pytest.mark.parametrize(
        ("field", "value"),
        [("sales.channel", ["web"]), ("sales.bought_product", ["TUL-1"]), ("sales.bought_category", ["flowers"]),
         ("cart.contains_product", ["TUL-1"]), ("cart.contains_category", ["flowers"]), ("segment.member_of", ["vip"])],
    )
    def test_contains_none_is_true_and_any_and_all_are_false(self, field, value):
        everyone = {"nothing@x.nl", "empty-cart@x.nl"}
        assert matches(cond(field, "contains_none", value)) == everyone
        assert matches(cond(field, "contains_any", value)) == set()
        assert matches(cond(field, "contains_all", value)) == set()

    def test_an_empty_window_is_the_empty_set(self):
        buyer = contact("buyer@x.nl")
        order(buyer.company, local(2025, 6, 1, 9), [(product("TUL-1"), 1, "1.00")], channel="web")
        this_year = {"window": "this_year"}
        assert "buyer@x.nl" in matches(cond("sales.channel", "contains_none", ["web"], **this_year))
        assert "buyer@x.nl" not in matches(cond("sales.bought_product", "contains_any", ["TUL-1"], **this_year))
        assert "buyer@x.nl" in matches(cond("sales.bought_product", "contains_any", ["TUL-1"]))


@pytest.mark.django_db
class NullBooleanTests:
    """Precise semantics 10: is_true and is_false are both false on NULL; continent and EU are NULL for empty or unknown countries."""

    def test_is_true_and_is_false_are_both_false_on_a_null_attribute(self):
        organic = CompanyAttributeDefinitionFactory(name="organic", value_type="boolean")
        for email, value in (("yes@x.nl", True), ("no@x.nl", False), ("unknown@x.nl", None)):
            owner = contact(email)
            CompanyAttributeValue.objects.create(company=owner.company, definition=organic, raw_value="?", boolean_value=value)
        contact("undeclared@x.nl")
        assert matches(cond("company.attr.organic", "is_true")) == {"yes@x.nl"}
        assert matches(cond("company.attr.organic", "is_false")) == {"no@x.nl"}

    def test_eu_member_is_null_for_an_empty_country(self):
        contact("nl@x.nl", company=company(country="NL"))
        contact("ch@x.ch", company=company(country="CH"))
        contact("empty@x.example", company=company(country=""))
        assert matches(cond("company.eu_member", "is_true")) == {"nl@x.nl"}
        assert matches(cond("company.eu_member", "is_false")) == {"ch@x.ch"}

    def test_eu_member_and_continent_are_null_for_an_unknown_country(self):
        contact("unknown@x.example", company=company(country="ZZ"))
        assert matches(cond("company.eu_member", "is_true")) == set()
        assert matches(cond("company.eu_member", "is_false")) == set()
        assert matches(cond("company.continent", "is_empty")) == {"unknown@x.example"}
        assert matches(cond("company.continent", "ne", "europe")) == set()

    def test_continent_is_empty_for_an_empty_country(self):
        contact("empty@x.example", company=company(country=""))
        contact("nl@x.nl", company=company(country="NL"))
        assert matches(cond("company.continent", "is_empty")) == {"empty@x.example"}
        assert matches(cond("company.continent", "is_not_empty")) == {"nl@x.nl"}

    def test_top_25_percent_is_null_without_customer_value(self):
        valued = contact("valued@x.nl")
        CompanyValueFactory(company=valued.company, computed_for=NOW.date(), revenue_rank=1, company_total=2)
        contact("unvalued@x.nl")
        assert matches(cond("value.top_25_percent", "is_false")) == {"valued@x.nl"}
        assert matches(cond("value.top_25_percent", "is_true")) == set()

    def test_value_fields_without_customer_value_compare_false(self):
        valued = contact("valued@x.nl")
        CompanyValueFactory(company=valued.company, computed_for=NOW.date(), revenue_rank=1, company_total=2,
                            lifetime_revenue=Decimal("0.00"))
        contact("unvalued@x.nl")
        assert matches(cond("value.revenue_percentile", "gte", 0)) == {"valued@x.nl"}
        assert matches(cond("value.revenue_percentile", "is_empty")) == {"unvalued@x.nl"}
        assert matches(cond("value.lifetime_revenue", "ne", 5)) == {"valued@x.nl"}
        assert matches(cond("value.rfm_segment", "is_empty")) == {"valued@x.nl", "unvalued@x.nl"}
