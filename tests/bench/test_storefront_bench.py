"""Smoke run of bench/storefront.py on a tiny shop (no time assertions)."""

import io
import json

import pytest
from django.core.management import call_command

from bench import storefront
from personalization.models import CategoryRestriction, ContentBlock, ProductRestriction
from segments.models import Segment


@pytest.fixture
def tiny_shop(db):
    call_command("generate_dataset", companies=25, contacts=80, order_lines=600, seed=3, verbosity=0, stdout=io.StringIO())


@pytest.mark.django_db
class StorefrontBenchTests:
    def test_the_benchmark_reports_both_variants_and_the_personalized_page_shows_the_targeted_block(
        self, tiny_shop, tmp_path, capsys
    ):
        arguments = ["--runs", "2", "--repetitions", "3", "--warmup", "1", "--results-dir", str(tmp_path)]
        result = storefront.main(arguments)

        for variant in ("anonymous", "personalized"):
            figures = result[variant]
            assert 0 < figures["ms"]["min"] <= figures["ms"]["p50"] <= figures["ms"]["p95"]
            assert len(figures["per_run_p50_ms"]) == 2
            assert figures["queries"] == len(result["statements"][variant]) > 0
            assert figures["products_on_page"] == storefront.PAGE_PRODUCTS
        assert result["checks"] == {
            "personalized_shows_targeted_block": True,
            "anonymous_shows_fallback_block": True,
            "full_pages": True,
            "prices_only_personalized": True,
        }
        assert result["personalized"]["content_blocks"][0].startswith("Storefront bench: offer for")
        assert result["anonymous"]["content_blocks"] == ["Storefront bench: welcome to our shop"]
        assert result["query_difference"] == result["personalized"]["queries"] - result["anonymous"]["queries"]
        assert result["ratio"]["best"] <= result["ratio"]["worst"] and len(result["ratio"]["per_run_p50"]) == 2
        assert result["contact"]["segments"] >= 4 and result["contact"]["company_prices"] > 0
        assert {"dataset", "database", "cpu_count", "targets", "setup", "cache"} <= set(result)
        assert json.loads((tmp_path / "storefront.json").read_text()) == json.loads(json.dumps(result, default=str))
        assert json.loads(capsys.readouterr().out)["benchmark"] == "storefront"

    def test_a_second_run_changes_nothing_and_remove_deletes_what_it_created(self, tiny_shop, tmp_path):
        arguments = ["--runs", "1", "--repetitions", "1", "--warmup", "0", "--results-dir", str(tmp_path)]
        storefront.main(arguments)
        counts = (Segment.objects.count(), ContentBlock.objects.count(), ProductRestriction.objects.count())

        again = storefront.main(arguments)["setup"]

        assert (Segment.objects.count(), ContentBlock.objects.count(), ProductRestriction.objects.count()) == counts
        assert {entry["action"] for entry in again["segments"].values()} == {"updated"}
        assert sum(entry["joined"] + entry["left"] for entry in again["segments"].values()) == 0
        assert set(again["content_blocks"].values()) == {"updated"}

        removed = storefront.main(["--remove"])["removed"]

        assert removed["segments"] == 5 and removed["content_blocks"] == 7
        assert not Segment.objects.filter(slug__startswith=storefront.SLUG_PREFIX).exists()
        assert not ContentBlock.objects.exists() and not ProductRestriction.objects.exists()
        assert not CategoryRestriction.objects.exists()
