"""The RFM grid, the companies of a cell, and a segment created from a cell."""

import pytest
from django.utils import timezone

from accounts.models import Contact
from segments.insight.rules import rfm_cell_rule
from segments.insight.selectors import insight_rfm_cell_companies, insight_rfm_grid
from segments.insight.services import segment_from_rfm_cell_create
from segments.models import CompanyValue, Segment
from segments.services import segment_refresh, segment_rule_check
from segments.value import company_values_refresh
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory
from tests.segments.insight.conftest import NOW, days_ago, order


@pytest.fixture
def graded(db):
    """Five buying companies: company i has i + 1 orders, the last i x 10 days before the others' (scores 1..5);
    each has i + 1 contacts. One company without orders."""
    companies = []
    for index in range(5):
        company = CompanyFactory(name=f"Graded {index}")
        for n in range(index + 1):
            order(company, day=days_ago(1 + 10 * (4 - index) + n), amount=f"{100 * (index + 1)}.00")
        for _ in range(index + 1):
            ContactFactory(company=company)
        companies.append(company)
    silent = CompanyFactory(name="Silent")
    ContactFactory(company=silent)
    company_values_refresh(now=NOW)
    return companies


@pytest.mark.django_db
class RfmGridTests:
    def test_the_grid_counts_companies_contacts_and_revenue_per_cell(self, graded):
        grid = insight_rfm_grid()

        assert len(grid.cells) == 25
        assert [(c.recency, c.frequency) for c in grid.cells[:5]] == [(5, 1), (5, 2), (5, 3), (5, 4), (5, 5)]
        diagonal = [grid.cell(score, score) for score in range(1, 6)]
        assert [c.companies for c in diagonal] == [1, 1, 1, 1, 1]
        assert [c.contacts for c in diagonal] == [1, 2, 3, 4, 5]
        assert [str(c.revenue_12m) for c in diagonal] == ["100.00", "400.00", "900.00", "1600.00", "2500.00"]
        assert grid.cell(5, 5).rfm_segment == "champions" and grid.cell(1, 1).rfm_segment == "hibernating"
        assert grid.companies_scored == 5 and grid.companies_without_orders == 1
        assert sum(c.companies for c in grid.cells if c.recency != c.frequency) == 0

    def test_the_grid_of_a_segment_counts_its_members_only(self, graded):
        segment = SegmentFactory(slug="some")
        member = Contact.objects.filter(company=graded[4]).first()
        SegmentMembershipFactory(segment=segment, contact=member)

        grid = insight_rfm_grid(segment=segment)

        assert grid.cell(5, 5).companies == 1 and grid.cell(5, 5).contacts == 1
        assert grid.companies_scored == 1 and grid.companies_without_orders == 0

    def test_a_cell_lists_its_companies(self, graded):
        cell = insight_rfm_cell_companies(recency=4, frequency=4)

        assert cell.total == 1 and cell.rfm_segment == "loyal"
        assert [(c.name, c.orders_12m, c.contacts) for c in cell.companies] == [("Graded 3", 4, 4)]


@pytest.mark.django_db(transaction=True)
class SegmentFromCellTests:
    def test_the_cell_rule_is_valid_and_its_members_are_the_cells_contacts(self, graded):
        created = segment_from_rfm_cell_create(recency=5, frequency=5)
        segment_refresh(segment_id=created.pk, now=timezone.now(), values_current=True)

        created.refresh_from_db()
        segment_rule_check(rule=created.rule)
        assert created.rule == {"all": [
            {"field": "value.rfm_recency", "op": "eq", "value": 5},
            {"field": "value.rfm_frequency", "op": "eq", "value": 5},
        ]}
        assert created.name == "RFM R5 F5 (Champions)"
        cell_companies = set(CompanyValue.objects.filter(rfm_recency=5, rfm_frequency=5).values_list("company_id", flat=True))
        members = set(created.memberships.values_list("contact_id", flat=True))
        assert members == set(Contact.objects.filter(company_id__in=cell_companies).values_list("pk", flat=True))
        assert len(members) == 5

    def test_a_second_segment_of_the_same_cell_gets_a_free_name(self, graded):
        first = segment_from_rfm_cell_create(recency=1, frequency=1)
        second = segment_from_rfm_cell_create(recency=1, frequency=1)

        assert (first.name, second.name) == ("RFM R1 F1 (Hibernating)", "RFM R1 F1 (Hibernating) (2)")
        assert second.slug == "rfm-r1-f1-hibernating-2"

    def test_within_a_segment_the_rule_also_requires_membership(self, graded):
        scope = SegmentFactory(slug="scope", name="Scope")
        rule = rfm_cell_rule(recency=3, frequency=3, segment=scope)

        assert rule["all"][-1] == {"field": "segment.member_of", "op": "contains_any", "value": ["scope"]}
        created = segment_from_rfm_cell_create(recency=3, frequency=3, segment=scope)
        assert created.name == "RFM R3 F3 (Need attention) in Scope"
        assert list(created.depends_on.all()) == [scope]

    def test_scores_outside_1_to_5_are_refused(self, graded):
        from b2bshop.exceptions import ApplicationError

        with pytest.raises(ApplicationError, match="RFM scores are 1 to 5"):
            segment_from_rfm_cell_create(recency=6, frequency=1)
        assert not Segment.objects.exists()
