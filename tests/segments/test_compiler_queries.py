"""Query shape (one SQL statement, whatever the data) and the Sana example rule end to end."""

import datetime

import pytest

from accounts.models import Company, CompanyAttributeValue, Contact
from orders.models import Cart, Order
from segments.compiler import compile_rule
from segments.validation import validate_rule
from tests.accounts.factories import CompanyAttributeDefinitionFactory
from tests.segments import reference
from tests.segments.factories import CompanyValueFactory, SegmentFactory, SegmentMembershipFactory
from tests.segments.test_compiler import (
    NOW,
    REGISTRY,
    cart,
    category,
    company,
    cond,
    contact,
    local,
    matches,
    order,
    product,
    utc,
)

EVERY_NAMESPACE = {
    "all": [
        cond("company.continent", "eq", "europe"),
        cond("company.name", "contains", "blumen"),
        cond("company.attr.loyalty_tier", "starts_with", "gold"),
        cond("company.eu_member", "is_true"),
        cond("company.size_band", "in", ["small", "medium"]),
        cond("contact.last_login", "more_than_days_ago", 14),
        {"any": [
            cond("sales.revenue", "gt", 100, window="this_year"),
            cond("sales.average_order_value", "gte", 10, window={"last_days": 90}),
            cond("sales.web_share", "gt", 10),
        ]},
        cond("sales.bought_category", "contains_any", ["flowers"], window={"from": "2026-01-01", "to": "2026-03-31"}),
        cond("sales.channel", "contains_all", ["web"]),
        {"not": cond("cart.contains_category", "contains_any", ["plants"])},
        cond("cart.quantity", "gt", 15),
        cond("value.revenue_percentile", "gt", 50),
        cond("value.rfm_segment", "ne", "hibernating"),
        cond("segment.member_of", "contains_none", ["blocked-list"]),
    ]
}


def _customer(index: int, flowers, plants) -> Contact:
    owner = company(name=f"Blumen {index} GmbH", country="DE", employee_count=20 + index)
    buyer = contact(f"buyer{index}@x.de", company=owner, last_login=NOW - datetime.timedelta(days=20 + index))
    order(owner, local(2026, 2, 1 + index % 27, 9), [(flowers, 20, "10.00")], channel="web", placed_by=buyer)
    cart(buyer, [(flowers, 16, "1.00", local(2026, 3, 30, 9))] + ([(plants, 1, "1.00", local(2026, 3, 30, 9))] if index % 2 else []))
    CompanyValueFactory(company=owner, computed_for=NOW.date(), revenue_rank=3 + index % 2, company_total=4,
                        rfm_segment="loyal")
    tier = CompanyAttributeDefinitionFactory(name="loyalty_tier", value_type="text")
    CompanyAttributeValue.objects.create(company=owner, definition=tier, raw_value="Gold", text_value="gold")
    return buyer


def _evaluate(rule) -> list[int]:
    q = compile_rule(validate_rule(rule, registry=REGISTRY), registry=REGISTRY, now=NOW)
    return list(Contact.objects.filter(q).values_list("pk", flat=True))


@pytest.mark.django_db
class QueryShapeTests:
    @pytest.fixture
    def products(self):
        return product("ROSE-1", category("flowers")), product("PLANT-1", category("plants"))

    def test_a_rule_over_every_namespace_is_one_query(self, products, django_assert_num_queries):
        buyers = [_customer(index, *products) for index in range(2)]
        SegmentMembershipFactory(segment=SegmentFactory(slug="blocked-list"), contact=contact("blocked@x.de"), since=NOW)
        with django_assert_num_queries(1):
            members = _evaluate(EVERY_NAMESPACE)
        assert members == [buyers[0].pk]

    def test_the_query_count_does_not_grow_with_the_contacts(self, products, django_assert_num_queries):
        for index in range(2):
            _customer(index, *products)
        with django_assert_num_queries(1):
            _evaluate(EVERY_NAMESPACE)
        for index in range(2, 25):
            _customer(index, *products)
        with django_assert_num_queries(1):
            members = _evaluate(EVERY_NAMESPACE)
        assert len(members) == 13  # the even indexes 0..24: no plants in the cart

    def test_values_are_parameters_never_sql(self):
        contact("robert@x.nl", company=company(name="Robert'); DROP TABLE accounts_company; --"))
        contact("other@x.nl")
        assert matches(cond("company.name", "eq", "x'); DROP TABLE accounts_company; --")) == set()
        assert matches(cond("company.name", "contains", "'); drop table")) == {"robert@x.nl"}
        assert Company.objects.count() == 2


SANA = {
    "all": [
        {"field": "company.continent", "op": "eq", "value": "europe"},
        {"field": "sales.revenue", "op": "gt", "value": 50000, "window": "this_year"},
        {"field": "cart.quantity", "op": "gt", "value": 15},
        {"field": "contact.last_login", "op": "more_than_days_ago", "value": 14},
    ]
}


@pytest.mark.django_db
class SanaExampleTests:
    """European customers who spent more than EUR 50,000 this year, more than 15 items in the cart,
    not logged in for two weeks (NOW = 2026-04-01 10:00 Amsterdam)."""

    @pytest.fixture(autouse=True)
    def _dataset(self):
        rose = product("ROSE-1")
        long_ago = NOW - datetime.timedelta(days=15)

        def customer(email, *, country="NL", orders=(), cart_quantity=16, last_login=long_ago, cart_status=Cart.Status.OPEN,
                     owner=None):
            owner = owner or company(country=country)
            buyer = contact(email, company=owner, last_login=last_login)
            for at, amount, status in orders:
                order(owner, at, [(rose, 1, amount)], status=status)
            if cart_quantity:
                cart(buyer, [(rose, cart_quantity, "1.00", local(2026, 3, 30, 9))], status=cart_status)
            return owner

        this_year = local(2026, 2, 1, 9)
        nl = customer("match@x.nl", orders=[(this_year, "50000.01", Order.Status.SHIPPED)])
        customer("small-cart@x.nl", owner=nl, cart_quantity=15)
        customer("recent-login@x.nl", owner=nl, last_login=local(2026, 3, 18, 0, 0))
        customer("never-logged-in@x.nl", owner=nl, last_login=None, cart_quantity=20)
        customer("ordered-cart@x.nl", owner=nl, cart_quantity=20, cart_status=Cart.Status.ORDERED)
        customer("no-cart@x.nl", owner=nl, cart_quantity=0)
        customer("american@x.com", country="US", orders=[(this_year, "90000.00", Order.Status.SHIPPED)])
        customer("exactly@x.de", country="DE", orders=[(this_year, "50000.00", Order.Status.SHIPPED)])
        customer("last-year@x.be", country="BE", orders=[(utc(2025, 12, 31, 22, 30), "60000.00", Order.Status.SHIPPED)])
        customer("cancelled@x.fr", country="FR", orders=[(this_year, "50000.01", Order.Status.CANCELLED),
                                                        (this_year, "100.00", Order.Status.SHIPPED)])
        customer("open-order@x.cy", country="CY", orders=[(this_year, "30000.00", Order.Status.OPEN),
                                                          (local(2026, 3, 31, 23, 59), "20000.01", Order.Status.SHIPPED)])
        customer("turkish@x.tr", country="TR", orders=[(this_year, "90000.00", Order.Status.SHIPPED)])
        customer("stateless@x.example", country="", orders=[(this_year, "90000.00", Order.Status.SHIPPED)])
        customer("new-year@x.at", country="AT", orders=[(utc(2025, 12, 31, 23, 30), "50000.01", Order.Status.SHIPPED)])

    def test_the_sana_rule_selects_exactly_the_matching_contacts(self):
        assert matches(SANA) == {"match@x.nl", "open-order@x.cy", "new-year@x.at"}

    def test_the_reference_evaluator_agrees(self):
        expected = {Contact.objects.get(email=email).pk for email in ("match@x.nl", "open-order@x.cy", "new-year@x.at")}
        assert reference.members(SANA, snapshot=reference.snapshot_load(now=NOW)) == expected

    def test_a_colleague_with_a_full_cart_shares_the_company_revenue(self):
        nl = Contact.objects.get(email="match@x.nl").company
        colleague = contact("colleague@x.nl", company=nl, last_login=NOW - datetime.timedelta(days=30))
        cart(colleague, [(product("TUL-1"), 99, "0.10", local(2026, 3, 1, 9))])
        assert "colleague@x.nl" in matches(SANA)

    def test_membership_changes_with_time_alone(self):
        assert "recent-login@x.nl" not in matches(SANA)
        assert "recent-login@x.nl" in matches(SANA, now=NOW + datetime.timedelta(days=1))
        assert matches(SANA, now=local(2027, 1, 2, 9)) == set()  # a new year: no revenue this year yet

    def test_the_sana_rule_is_one_query(self, django_assert_num_queries):
        with django_assert_num_queries(1):
            _evaluate(SANA)


@pytest.mark.django_db
class SanaThresholdTests:
    def test_revenue_summed_from_cents_is_exact_at_the_threshold(self):
        buyer = contact("exact@x.nl")
        for index, amount in enumerate(("16666.67", "16666.67", "16666.66")):  # 50000.00 in three orders
            order(buyer.company, local(2026, 1, 5 + index, 9), [(product(f"P-{index}"), 1, amount)])
        assert matches(cond("sales.revenue", "gt", 50000, window="this_year")) == set()
        assert matches(cond("sales.revenue", "gte", 50000, window="this_year")) == {"exact@x.nl"}
        assert matches(cond("sales.revenue", "eq", 50000, window="this_year")) == {"exact@x.nl"}
