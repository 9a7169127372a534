"""Smoke run of bench/insight.py on a tiny shop (no time assertions)."""

import io
import json

import pytest
from django.core.management import call_command

from bench import insight
from segments.models import CompanyValue, Segment


@pytest.fixture
def tiny_shop(db):
    call_command("generate_dataset", companies=25, contacts=80, order_lines=600, seed=3, verbosity=0, stdout=io.StringIO())


@pytest.mark.django_db
class InsightBenchTests:
    def test_every_endpoint_is_timed_cold_and_warm(self, tiny_shop, tmp_path, capsys):
        result = insight.main(["--cold", "1", "--warm", "2", "--results-dir", str(tmp_path)])

        assert result["wrote"]["segment_created"] == "bench-insight-top-25"
        assert Segment.objects.get(slug="bench-insight-top-25").member_count > 0
        assert CompanyValue.objects.count() == 25
        assert set(result["endpoints"]) == {
            "kpis", "kpis_segment", "rfm_grid", "rfm_grid_segment", "rfm_cell", "pareto", "pareto_segment", "lift_top_25",
            "lift_segment", "lookalike_top_25", "lookalike_segment", "overlap", "trends", "admin_overview",
            "admin_overview_segment_cell", "admin_profile", "admin_profile_segment", "admin_segments",
        }
        for figures in result["endpoints"].values():
            assert figures["cold_ms"]["p50"] > 0 and 0 < figures["warm_ms"]["p50"] <= figures["warm_ms"]["max"]
        assert result["slowest_cold"]["endpoint"] in result["endpoints"]
        assert json.loads((tmp_path / "insight.json").read_text()) == json.loads(json.dumps(result, default=str))
        assert json.loads(capsys.readouterr().out)["benchmark"] == "insight"
