"""Smoke runs of bench/refresh.py and bench/contact_eval.py on a tiny shop (no time assertions)."""

import io
import json

import pytest
from django.core.management import call_command

from bench import contact_eval, refresh
from bench.evaluators import segments_load
from segments.models import MembershipEvent, Segment
from segments.selectors import field_registry
from segments.validation import validate_rule


@pytest.fixture
def tiny_shop(db):
    call_command("generate_dataset", companies=25, contacts=80, order_lines=600, seed=3, verbosity=0, stdout=io.StringIO())


@pytest.mark.django_db
class SegmentBenchTests:
    def test_the_benchmark_segments_cover_every_namespace_and_validate(self, tiny_shop):
        definitions = segments_load()
        registry = field_registry()
        assert len(definitions) == 20
        for definition in definitions:
            validate_rule(definition["rule"], registry=registry)
        text = json.dumps(definitions)
        for namespace in ("company.", "company.attr.", "contact.", "sales.", "cart.", "value.", "segment.member_of"):
            assert f'"{namespace}' in text

    def test_the_refresh_benchmark_evaluators_agree_and_a_second_refresh_writes_nothing(self, tiny_shop, tmp_path, capsys):
        result = refresh.main(["--sample", "40", "--results-dir", str(tmp_path)])

        assert result["evaluators_agree"], result["disagreements"]
        assert result["segments"] == 20 and Segment.objects.filter(slug__startswith="bench-").count() == 20
        assert sum(result["members"].values()) > 0
        assert result["no_change_refresh"]["rows_written"] == 0
        assert result["naive"]["sample"] == 40
        assert {"engine", "floor", "pandas", "ratios", "dataset", "database", "cpu_count"} <= set(result)
        assert json.loads((tmp_path / "refresh.json").read_text()) == json.loads(json.dumps(result, default=str))
        assert json.loads(capsys.readouterr().out)["benchmark"] == "refresh"
        events = MembershipEvent.objects.count()
        assert refresh.main(["--sample", "5", "--results-dir", str(tmp_path)])["engine"]["joined"] == 0
        assert MembershipEvent.objects.count() == events

    def test_the_contact_benchmark_reports_percentiles(self, tiny_shop, tmp_path, capsys):
        refresh.segments_ensure(segments_load())
        result = contact_eval.main(["--contacts", "15", "--warmup", "2", "--results-dir", str(tmp_path)])

        assert result["contacts"] == 15 and result["active_segments"] == 20
        assert result["membership_changes"] == 0
        assert 0 < result["ms"]["p50"] <= result["ms"]["p95"] <= result["ms"]["max"]
        assert json.loads((tmp_path / "contact_eval.json").read_text()) == result
