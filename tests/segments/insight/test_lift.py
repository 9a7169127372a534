"""Ideal customer profile lift and the look-alike rule."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import CompanyAttributeDefinition, CompanyAttributeValue, Contact
from orders.models import Order
from segments.insight.rules import lookalike_build
from segments.insight.selectors import insight_lift
from segments.insight.services import lookalike_segment_create
from segments.models import CompanyValue
from segments.services import segment_refresh, segment_rule_check
from segments.value import company_values_refresh
from tests.accounts.factories import (
    CompanyAttributeDefinitionFactory,
    CompanyFactory,
    ContactFactory,
)
from tests.orders.factories import OrderLineFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory
from tests.segments.insight.conftest import NOW, days_ago, order


def _row(lift, trait: str, value: str):
    return next(row for row in lift.rows if row.trait == trait and row.value == value)


@pytest.fixture
def growers(db):
    """Ten companies. Four garden centres in sector G with 50-249 employees: three buy a lot on the web (the
    segment), one is a prospect. Six florists in sector A with 5 employees (all in NL): four buy a little by phone, two never."""
    tier = CompanyAttributeDefinitionFactory(name="tier", value_type=CompanyAttributeDefinition.ValueType.TEXT)
    companies = {}
    for index in range(4):
        kind = {"prospect": True} if index == 3 else {}
        company = CompanyFactory(name=f"Garden {index}", sector="G", sector_ci="g", customer_group="garden_centre",
                                 customer_group_ci="garden_centre", employee_count=80, country="NL", **kind)
        companies[f"garden{index}"] = company
        if index < 3:
            for n in range(12):
                order(company, day=days_ago(5 + 20 * n), amount="1000.00")
            CompanyAttributeValue.objects.create(company=company, definition=tier, raw_value="Gold", text_value="gold")
    for index in range(6):
        company = CompanyFactory(name=f"Florist {index}", sector="A", sector_ci="a", customer_group="florist",
                                 customer_group_ci="florist", employee_count=5, country="NL")
        companies[f"florist{index}"] = company
        if index < 4:
            order(company, day=days_ago(30), amount="50.00", channel=Order.Channel.PHONE)
    for company in companies.values():
        ContactFactory(company=company)
    company_values_refresh(now=NOW)
    segment = SegmentFactory(slug="best", name="Best")
    for key in ("garden0", "garden1", "garden2"):
        SegmentMembershipFactory(segment=segment, contact=Contact.objects.get(company=companies[key]))
    return segment, companies


@pytest.mark.django_db
class LiftTests:
    def test_share_in_segment_share_overall_and_lift(self, growers):
        segment, _companies = growers
        lift = insight_lift(segment=segment)

        assert (lift.segment_companies, lift.companies, lift.segment_label) == (3, 10, "Best")
        sector = _row(lift, "sector", "G")
        # 3 of 3 in the segment, 4 of 10 overall: lift 100 / 40 = 2.5
        assert (sector.segment_companies, sector.companies) == (3, 4)
        assert (sector.segment_share, sector.overall_share, sector.lift) == (Decimal("100.00"), Decimal("40.00"), Decimal("2.50"))
        assert sector.revenue_per_company == Decimal("9000.00")  # 36000 / 4 companies
        assert sector.segment_revenue_per_company == Decimal("12000.00")
        assert _row(lift, "size_band", "medium").lift == Decimal("2.50")
        assert _row(lift, "main_channel", "web").lift == Decimal("3.33")  # 100% vs 30%
        assert _row(lift, "frequency", "12-25").segment_companies == 3
        assert _row(lift, "attr.tier", "gold").value_label == "Gold"  # as the ERP wrote it

    def test_a_trait_absent_from_the_segment_has_share_and_lift_zero(self, growers):
        segment, _companies = growers
        lift = insight_lift(segment=segment)

        florists = _row(lift, "customer_group", "florist")
        assert (florists.segment_companies, florists.companies) == (0, 6)
        assert (florists.segment_share, florists.overall_share, florists.lift) == (Decimal("0.00"), Decimal("60.00"), Decimal("0.00"))
        assert florists.segment_revenue_per_company is None
        assert lift.rows[-1].lift == Decimal("0.00")  # ranked strongest first
        assert lift.rows[0].lift >= lift.rows[1].lift

    def test_breadth_bands_come_from_the_different_products_bought(self, growers):
        segment, companies = growers
        placed = companies["garden0"].orders.order_by("pk")
        for line_no, placed_order in enumerate(placed[:10], start=1):  # ten different products, one twice
            OrderLineFactory(order=placed_order, line_no=line_no)
        OrderLineFactory(order=placed[10], line_no=11, product=placed[0].lines.get().product)
        OrderLineFactory(order=companies["florist0"].orders.get(), line_no=1)
        company_values_refresh(now=NOW)

        lift = insight_lift(segment=segment)

        assert (_row(lift, "breadth", "10-24").segment_companies, _row(lift, "breadth", "10-24").companies) == (1, 1)
        assert (_row(lift, "breadth", "1-9").segment_companies, _row(lift, "breadth", "1-9").companies) == (0, 1)
        assert _row(lift, "breadth", "none").companies == 8
        assert _row(lift, "breadth", "10-24").value_label == "10 to 24 products"

    def test_values_without_a_stored_breadth_are_unknown_not_nothing_bought(self, growers):
        segment, _companies = growers
        CompanyValue.objects.update(products_12m=None)  # as the migration leaves values computed before it

        lift = insight_lift(segment=segment)

        assert not any(row.trait == "breadth" and row.value == "none" for row in lift.rows)
        assert _row(lift, "breadth", "").companies == 10

    def test_a_yes_no_attribute_counts_yes_and_no_apart(self, growers):
        segment, companies = growers
        organic = CompanyAttributeDefinitionFactory(name="organic", value_type=CompanyAttributeDefinition.ValueType.BOOLEAN)
        for key, value in (("garden0", True), ("garden1", True), ("florist0", False), ("florist1", True)):
            CompanyAttributeValue.objects.create(company=companies[key], definition=organic, raw_value=str(value),
                                                 boolean_value=value)

        lift = insight_lift(segment=segment)

        yes, no = _row(lift, "attr.organic", "true"), _row(lift, "attr.organic", "false")
        assert (yes.value_label, yes.segment_companies, yes.companies) == ("Yes", 2, 3)
        assert (no.value_label, no.segment_companies, no.companies) == ("No", 0, 1)
        assert yes.rule_field == "company.attr.organic"

    def test_revenue_per_company_is_exact_to_the_cent(self, growers):
        segment, companies = growers
        order(companies["florist0"], day=days_ago(40), amount="0.01", channel=Order.Channel.PHONE)
        order(companies["florist1"], day=days_ago(40), amount="33.33", channel=Order.Channel.PHONE)
        company_values_refresh(now=NOW)

        florists = _row(insight_lift(segment=segment), "customer_group", "florist")

        # 4 x 50.00 + 0.01 + 33.33 = 233.34 over 6 companies = 38.89
        assert florists.revenue_per_company == Decimal("38.89")

    def test_the_default_segment_is_the_top_25_percent(self, growers):
        lift = insight_lift()

        # Percentile > 75: the three gardens with 12000 each (rank 10/10); the florists' 50 is at 7/10.
        assert (lift.segment_slug, lift.segment_companies, lift.segment_label) == (None, 3, "Top 25% customers")
        assert _row(lift, "sector", "G").lift == Decimal("2.50")


@pytest.mark.django_db(transaction=True)
class LookAlikeTests:
    def test_the_look_alike_rule_is_valid_and_finds_the_prospect_with_the_same_traits(self, growers):
        segment, _companies = growers
        proposal = lookalike_build(lift=insight_lift(segment=segment), segment=segment)

        segment_rule_check(rule=proposal.rule)
        fields = {condition["field"] for condition in proposal.rule["all"]}
        # The tier only buyers have (no non-buyer holds it) and behaviour (channel, frequency) are left out.
        assert fields == {"company.sector", "company.customer_group", "company.size_band"}
        assert (proposal.companies, proposal.prospects, proposal.non_buyers, proposal.outside_segment) == (4, 1, 1, 1)
        assert proposal.contacts == 4

    def test_the_created_segment_has_the_contacts_of_the_companies_with_the_traits(self, growers):
        segment, companies = growers
        created = lookalike_segment_create(segment=segment)
        segment_refresh(segment_id=created.pk, now=timezone.now(), values_current=True)

        expected = set(Contact.objects.filter(company__sector="G", company__customer_group="garden_centre",
                                              company__employee_count__range=(50, 249)).values_list("pk", flat=True))
        assert set(created.memberships.values_list("contact_id", flat=True)) == expected
        assert companies["garden3"].contacts.get().pk in expected  # the prospect
        assert created.name == "Look-alikes of Best"

    def test_without_a_distinguishing_trait_there_is_no_rule(self, growers):
        everyone = SegmentFactory(slug="everyone")
        for contact in Contact.objects.all():
            SegmentMembershipFactory(segment=everyone, contact=contact)

        proposal = lookalike_build(lift=insight_lift(segment=everyone), segment=everyone)

        assert proposal.rule is None and proposal.companies == 0
