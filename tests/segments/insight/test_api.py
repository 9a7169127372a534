"""The insight API: marketers only, 400 on bad input in the project's error shape, 404 for unknown segments."""

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from segments.value import company_values_refresh
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory
from tests.segments.insight.conftest import NOW, days_ago, order

ENDPOINTS = (
    "/api/insight/kpis/", "/api/insight/rfm-grid/", "/api/insight/pareto/", "/api/insight/lift/",
    "/api/insight/overlap/?segments=loyal", "/api/insight/trends/?segments=loyal",
    "/api/insight/rfm-grid/cell/?recency=5&frequency=5", "/api/insight/lift/look-alike/",
)


@pytest.fixture
def shop(db):
    company = CompanyFactory(sector="G", sector_ci="g")
    order(company, day=days_ago(2), amount="250.00")
    contact = ContactFactory(company=company)
    CompanyFactory()
    company_values_refresh(now=NOW)
    segment = SegmentFactory(slug="loyal", name="Loyal")
    SegmentMembershipFactory(segment=segment, contact=contact)
    return segment


@pytest.mark.django_db
class InsightApiTests:
    @pytest.mark.parametrize("url", ENDPOINTS)
    def test_marketers_read_every_endpoint(self, shop, marketer_api, url):
        assert marketer_api.get(url).status_code == 200

    @pytest.mark.parametrize("url", ENDPOINTS)
    def test_buyers_and_anonymous_visitors_are_refused(self, shop, buyer_api, url):
        assert buyer_api.get(url).status_code == 403
        assert APIClient().get(url).status_code == 403
        assert APIClient().get(url).json()["errors"] == []

    def test_kpis_of_a_segment_and_of_all_customers(self, shop, marketer_api):
        body = marketer_api.get("/api/insight/kpis/", {"segment": "loyal"}).json()

        assert body["segment_slug"] == "loyal"
        assert body["segment"]["revenue_12m"] == "250.00" and body["segment"]["revenue_share"] == "100.00"
        assert body["all"]["companies"] == 2 and body["segment"]["companies"] == 1
        assert marketer_api.get("/api/insight/kpis/").json()["segment"] is None

    def test_rfm_grid_pareto_and_lift_shapes(self, shop, marketer_api):
        grid = marketer_api.get("/api/insight/rfm-grid/", {"segment": "loyal"}).json()
        assert len(grid["cells"]) == 25 and grid["companies_scored"] == 1
        pareto = marketer_api.get("/api/insight/pareto/").json()
        assert pareto["top_quarter_revenue_share"] == "100.00" and pareto["points"][-1]["revenue_share"] == "100.00"
        lift = marketer_api.get("/api/insight/lift/", {"segment": "loyal"}).json()
        sector = next(row for row in lift["rows"] if row["trait"] == "sector" and row["value"] == "G")
        assert (sector["segment_share"], sector["overall_share"], sector["lift"]) == ("100.00", "50.00", "2.00")
        lookalike = marketer_api.get("/api/insight/lift/look-alike/", {"segment": "loyal"}).json()
        assert set(lookalike) == {"rule", "traits", "contacts", "companies", "prospects", "non_buyers", "outside_segment"}

    def test_overlap_of_a_segment_with_itself(self, shop, marketer_api):
        body = marketer_api.get("/api/insight/overlap/", {"segments": "loyal,loyal"}).json()

        assert [s["slug"] for s in body["segments"]] == ["loyal"]
        assert body["cells"] == [{"first": "loyal", "second": "loyal", "both": 1, "either": 1, "jaccard": "1.0000"}]

    @pytest.mark.parametrize("url", [
        "/api/insight/kpis/?segment=nope", "/api/insight/pareto/?segment=nope", "/api/insight/lift/?segment=nope",
        "/api/insight/rfm-grid/?segment=nope", "/api/insight/overlap/?segments=loyal,nope",
        "/api/insight/lift/look-alike/?segment=nope",
    ])
    def test_an_unknown_segment_is_404(self, shop, marketer_api, url):
        response = marketer_api.get(url)

        assert response.status_code == 404
        assert set(response.json()) == {"message", "errors"}

    @pytest.mark.parametrize(("url", "path"), [
        ("/api/insight/kpis/?segment=no%20slug!", "/segment"),
        ("/api/insight/overlap/", "/segments"),
        ("/api/insight/overlap/?segments=,,", "/segments"),
        ("/api/insight/overlap/?segments=" + ",".join(f"s{n}" for n in range(13)), "/segments"),
        ("/api/insight/rfm-grid/cell/?recency=0&frequency=5", "/recency"),
        ("/api/insight/rfm-grid/cell/?recency=5", "/frequency"),
        ("/api/insight/trends/?segments=loyal&days=abc", "/days"),
    ])
    def test_bad_input_is_400_with_a_pointer(self, shop, marketer_api, url, path):
        response = marketer_api.get(url)

        assert response.status_code == 400
        assert response.json()["message"] == "The request is invalid."
        assert [error["path"] for error in response.json()["errors"]] == [path]


@pytest.mark.django_db
class InsightSchemaTests:
    def test_the_endpoints_are_documented_in_a_valid_schema(self, tmp_path):
        target = tmp_path / "schema.yml"
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
        paths = yaml.safe_load(target.read_text())["paths"]

        for name in ("kpis", "rfm-grid", "rfm-grid/cell", "pareto", "lift", "lift/look-alike", "overlap", "trends"):
            assert f"/api/insight/{name}/" in paths, name
        parameters = {p["name"] for p in paths["/api/insight/overlap/"]["get"]["parameters"]}
        assert "segments" in parameters
