"""The insight page in the admin: charts with table views, CSV and SVG downloads, segments from a cell."""

import csv
import io
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client

from b2bshop.exceptions import ApplicationError
from orders.models import ChannelCost
from segments.insight import admin_views
from segments.models import Segment
from segments.value import company_values_refresh
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory
from tests.segments.insight.conftest import NOW, days_ago, order

PAGE = "/admin/segments/segment/insight/"


@pytest.fixture
def shop(db):
    """Company i (0..3) has i + 1 orders, the last 3 + 10 i days ago: cells R5 F2, R4 F3, R3 F4 and R2 F5
    (4 companies: rank k of 4 scores ceil(5k / 4))."""
    companies = []
    for index in range(4):
        company = CompanyFactory(name=f"Shop <{index}>", sector="G", sector_ci="g")
        for n in range(index + 1):
            order(company, day=days_ago(3 + 15 * n + 10 * index), amount=f"{100 * (index + 1)}.00")
        ContactFactory(company=company)
        companies.append(company)
    company_values_refresh(now=NOW)
    segment = SegmentFactory(slug="two", name="Two")
    for company in companies[2:]:
        SegmentMembershipFactory(segment=segment, contact=company.contacts.get())
    return segment


@pytest.fixture
def marketer_client(marketer):
    client = Client()
    client.force_login(marketer)
    return client


@pytest.mark.django_db
class InsightPageTests:
    @pytest.mark.parametrize(
        ("view", "charts", "tables"),
        [
            (None, ("rfm", "pareto"), ("kpis", "rfm_grid", "pareto", "top_companies")),
            ("profile", ("lift",), ("lift",)),  # the look-alike's table shows when a rule sets the segment apart
            ("segments", ("overlap", "trends"), ("overlap", "trends")),
        ],
    )
    def test_each_tab_shows_its_charts_with_their_tables_and_downloads(self, shop, marketer_client, view, charts, tables):
        response = marketer_client.get(PAGE, {"segment": "two", "compare": ["two"], **({"view": view} if view else {})})

        assert response.status_code == 200
        html = response.content.decode()
        for chart in charts:
            assert f'data-chart="{chart}"' in html, chart
            assert f"chart={chart}" in html, chart
        others = {"rfm", "pareto", "lift", "overlap", "trends"} - set(charts)
        assert not any(f'data-chart="{chart}"' in html for chart in others)  # other tabs' figures are not computed
        for table in tables:
            assert f"export={table}" in html, table
        assert html.count('class="insight-table"') >= len(tables)
        current = re.findall(r'id="insight-tab-(\w+)" aria-current="page"', html)
        assert current == [view or "overview"]
        assert "Shop <3>" not in html
        if view is None:  # company names show in the overview's top companies: escaped, in tables and charts
            assert "Shop &lt;3&gt;" in html

    def test_a_tab_computes_only_its_figures(self, shop, marketer_client, django_assert_max_num_queries):
        with django_assert_max_num_queries(60) as overview:
            marketer_client.get(PAGE, {"segment": "two", "compare": ["two"]})
        with django_assert_max_num_queries(60) as trends:
            marketer_client.get(PAGE, {"segment": "two", "compare": ["two"], "view": "segments"})

        def sql(captured) -> str:
            return " ".join(query["sql"] for query in captured.captured_queries)

        assert "segments_membershipevent" in sql(trends) and "segments_membershipevent" not in sql(overview)
        assert "orders_order" in sql(overview) and "orders_order" not in sql(trends)

    def test_the_tabs_keep_the_chosen_segment_and_cell_and_the_scope_form_keeps_the_tab(self, shop, marketer_client):
        response = marketer_client.get(PAGE, {"segment": "two", "cell": "2-5", "compare": "two", "view": "profile"})
        html = response.content.decode()

        tabs = {key: href for href, key in re.findall(r'<a href="([^"]*)" id="insight-tab-(\w+)"', html)}
        assert tabs == {
            "overview": "?segment=two&amp;cell=2-5&amp;compare=two",
            "profile": "?segment=two&amp;cell=2-5&amp;compare=two&amp;view=profile",
            "segments": "?segment=two&amp;cell=2-5&amp;compare=two&amp;view=segments",
        }
        assert '<input type="hidden" name="view" value="profile">' in html
        assert response.context["title"] == "Customer insight: Ideal customer profile"

    def test_an_unknown_tab_shows_the_overview(self, shop, marketer_client):
        html = marketer_client.get(PAGE, {"view": "bogus"}).content.decode()

        assert re.findall(r'id="insight-tab-(\w+)" aria-current="page"', html) == ["overview"]
        assert 'data-chart="rfm"' in html

    def test_the_segment_changelist_links_to_the_page(self, shop, marketer_client):
        assert 'id="insight-link"' in marketer_client.get("/admin/segments/segment/").content.decode()

    def test_clicking_a_cell_lists_its_companies_and_offers_a_segment(self, shop, marketer_client):
        html = marketer_client.get(PAGE, {"cell": "2-5"}).content.decode()

        assert 'id="rfm-cell"' in html and 'id="create-from-cell"' in html
        assert "Shop &lt;3&gt;" in html

    def test_every_table_exports_as_csv(self, shop, marketer_client):
        for table in ("kpis", "rfm_grid", "rfm_cell", "pareto", "top_companies", "lift", "lookalike", "overlap", "trends"):
            response = marketer_client.get(PAGE, {"segment": "two", "cell": "2-5", "compare": "two", "export": table})
            assert response.status_code == 200, table
            assert response["Content-Type"].startswith("text/csv")
            assert f'filename="insight-{table}-two.csv"' in response["Content-Disposition"]
            rows = list(csv.reader(io.StringIO(response.content.decode())))
            assert len(rows) >= (1 if table == "lookalike" else 2), table  # a header, and rows
        kpis = list(csv.reader(io.StringIO(marketer_client.get(PAGE, {"export": "kpis"}).content.decode())))
        assert kpis[0] == ["KPI", "All customers"] and kpis[1] == ["Companies", "4"]

    def test_every_chart_downloads_as_svg(self, shop, marketer_client):
        for chart in ("rfm", "pareto", "lift", "overlap", "trends"):
            response = marketer_client.get(PAGE, {"compare": "two", "chart": chart})
            assert response.status_code == 200
            assert response["Content-Type"] == "image/svg+xml"
            assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')

    def test_unknown_tables_charts_and_segments_are_404(self, shop, marketer_client):
        assert marketer_client.get(PAGE, {"export": "nope"}).status_code == 404
        assert marketer_client.get(PAGE, {"chart": "nope"}).status_code == 404
        assert marketer_client.get(PAGE, {"segment": "nope"}).status_code == 404
        assert marketer_client.get(PAGE, {"export": "rfm_cell"}).status_code == 404  # no cell chosen

    def test_staff_outside_marketing_and_buyers_cannot_open_it(self, shop):
        staff = Client()
        staff.force_login(StaffUserFactory(email="ops@b2bshop.example"))
        assert staff.get(PAGE).status_code == 403
        buyer = Client()
        buyer.force_login(ContactFactory())
        assert buyer.get(PAGE).status_code == 302  # not staff: the admin login
        assert Client().get(PAGE).status_code == 302


@pytest.mark.django_db(transaction=True)
class InsightPageCreateTests:
    def test_create_a_segment_from_a_cell_opens_the_builder(self, shop, marketer_client):
        response = marketer_client.post(f"{PAGE}cell-segment/", {"recency": "5", "frequency": "2", "segment": ""})

        created = Segment.objects.get(name="RFM R5 F2 (Potential loyalists)")
        assert response.status_code == 302
        assert response["Location"] == f"/admin/segments/segment/{created.pk}/change/"
        assert created.member_count == 1  # refreshed after commit
        assert marketer_client.get(response["Location"]).status_code == 200

    def test_create_from_a_cell_within_a_segment(self, shop, marketer_client):
        marketer_client.post(f"{PAGE}cell-segment/", {"recency": "2", "frequency": "5", "segment": "two"})

        created = Segment.objects.get(name="RFM R2 F5 (Can't lose them) in Two")
        assert created.rule["all"][-1]["value"] == ["two"]

    def test_a_bad_cell_goes_back_with_a_message(self, shop, marketer_client):
        response = marketer_client.post(f"{PAGE}cell-segment/", {"recency": "9", "frequency": "1"}, follow=True)

        assert "Pick an RFM cell first." in response.content.decode()
        assert Segment.objects.count() == 1
        assert marketer_client.get(f"{PAGE}cell-segment/").status_code == 405

    def test_a_refused_create_goes_back_to_the_same_segment_and_tab(self, shop, marketer_client):
        cell = marketer_client.post(f"{PAGE}cell-segment/", {"segment": "two", "recency": "9", "frequency": "1"})
        assert cell["Location"] == f"{PAGE}?segment=two"

        with mock.patch.object(admin_views, "lookalike_segment_create", side_effect=ApplicationError("No trait.")):
            lookalike = marketer_client.post(f"{PAGE}lookalike-segment/", {"segment": "two"})
        assert lookalike["Location"] == f"{PAGE}?segment=two&view=profile"
        assert "No trait." in marketer_client.get(lookalike["Location"]).content.decode()

    def test_create_a_look_alike(self, shop, marketer_client):
        CompanyFactory(name="Other", sector="A", sector_ci="a")
        response = marketer_client.post(f"{PAGE}lookalike-segment/", {"segment": ""}, follow=True)

        content = response.content.decode()
        assert "Look-alikes of the top 25%" in content or "sets this segment apart" in content


@pytest.mark.django_db
class ChannelCostAdminTests:
    def test_marketers_keep_the_cost_per_channel(self, marketer_client):
        response = marketer_client.post("/admin/orders/channelcost/add/", {"channel": "phone", "cost_per_order": "12.50"})

        assert response.status_code == 302
        assert ChannelCost.objects.get().cost_per_order == Decimal("12.50")
        assert marketer_client.post("/admin/orders/channelcost/add/", {"channel": "fax", "cost_per_order": "-1"}).status_code == 200
        assert ChannelCost.objects.count() == 1

    def test_other_staff_cannot(self, db):
        staff = Client()
        staff.force_login(StaffUserFactory(email="ops@b2bshop.example"))
        assert staff.get("/admin/orders/channelcost/").status_code == 403
