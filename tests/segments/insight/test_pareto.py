"""The Pareto curve: companies ranked by 12-month revenue, ties included."""

from decimal import Decimal

import pytest

from segments.insight.selectors import insight_pareto
from segments.value import company_values_refresh
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory
from tests.segments.insight.conftest import NOW, days_ago, order


@pytest.fixture
def tied(db):
    """Revenues 400, 400, 100, 100 and 0 (total 1000): two ties."""
    companies = [CompanyFactory(name=name) for name in ("Ann", "Bob", "Cid", "Dan", "Eve")]
    for company, amount in zip(companies, ("400.00", "400.00", "100.00", "100.00")):
        order(company, day=days_ago(5), amount=amount)
    company_values_refresh(now=NOW)
    return companies


@pytest.mark.django_db
class ParetoTests:
    def test_the_curve_with_tied_revenues(self, tied):
        pareto = insight_pareto()

        assert (pareto.companies, pareto.revenue_12m) == (5, Decimal("1000.00"))
        # Positions 1..5: 400, 800, 900, 1000, 1000 whichever tied company comes first.
        assert [(p.companies, p.company_share, p.revenue_share) for p in pareto.points] == [
            (0, Decimal("0.00"), Decimal("0.00")),
            (1, Decimal("20.00"), Decimal("40.00")),
            (2, Decimal("40.00"), Decimal("80.00")),
            (3, Decimal("60.00"), Decimal("90.00")),
            (4, Decimal("80.00"), Decimal("100.00")),
            (5, Decimal("100.00"), Decimal("100.00")),
        ]
        assert (pareto.top_quarter_companies, pareto.top_quarter_revenue_share) == (2, Decimal("80.00"))

    def test_ties_are_ranked_by_company_id_so_the_table_is_deterministic(self, tied):
        ranks = [(c.rank, c.name, c.revenue_12m, c.cumulative_share) for c in insight_pareto().top_companies]

        assert ranks == [
            (1, "Ann", Decimal("400.00"), Decimal("40.00")),
            (2, "Bob", Decimal("400.00"), Decimal("80.00")),
            (3, "Cid", Decimal("100.00"), Decimal("90.00")),
            (4, "Dan", Decimal("100.00"), Decimal("100.00")),
            (5, "Eve", Decimal("0.00"), Decimal("100.00")),
        ]

    def test_the_focus_group_follows_the_revenue_percentile(self, tied):
        # Percentile = companies with revenue <= own / 5: 400 -> 5/5 = 100 (focus group), 100 -> 3/5 = 60, 0 -> 1/5.
        pareto = insight_pareto()

        assert (pareto.focus_group_companies, pareto.focus_group_revenue_share) == (2, Decimal("80.00"))

    def test_the_same_for_a_segment(self, tied):
        segment = SegmentFactory(slug="two")
        for company in (tied[1], tied[2]):
            SegmentMembershipFactory(segment=segment, contact=ContactFactory(company=company))

        pareto = insight_pareto(segment=segment)

        assert (pareto.companies, pareto.revenue_12m, pareto.top_quarter_companies) == (2, Decimal("500.00"), 1)
        assert pareto.top_quarter_revenue_share == Decimal("80.00")  # Bob's 400 of 500
        assert [p.revenue_share for p in pareto.points] == [Decimal("0.00"), Decimal("80.00"), Decimal("100.00")]

    def test_without_revenue_the_shares_are_null(self, db):
        CompanyFactory()
        company_values_refresh(now=NOW)

        pareto = insight_pareto()

        assert pareto.companies == 1 and pareto.revenue_12m == Decimal("0.00")
        assert pareto.top_quarter_revenue_share is None and pareto.points[-1].revenue_share is None

    def test_an_empty_segment(self, tied):
        pareto = insight_pareto(segment=SegmentFactory(slug="nobody"))

        assert (pareto.companies, pareto.top_quarter_companies, pareto.top_quarter_revenue_share) == (0, 0, None)
        assert [p.companies for p in pareto.points] == [0]
