"""A smoke run of bench/import_erp.py with a few hundred lines (no timing assertions)."""

import importlib.util
import json
from pathlib import Path

import pytest

from orders.models import Order

BENCH = Path(__file__).resolve().parents[2] / "bench" / "import_erp.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_import_erp", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db
class ImportErpBenchTests:
    def test_a_small_run_imports_every_line_and_writes_its_result(self, tmp_path, capsys):
        bench = _bench_module()
        result = bench.main(["--lines", "300", "--companies", "30", "--products", "12", "--results-dir", str(tmp_path)])
        assert (result["lines"], result["status"], result["created"], result["failed"]) == (300, "succeeded", 300, 0)
        assert {"seconds", "lines_per_s", "peak_rss_mb", "database", "cpu_count"} <= set(result)
        assert json.loads((tmp_path / "import_erp.json").read_text()) == result
        assert json.loads(capsys.readouterr().out) == result
        assert Order.objects.count() > 0

    def test_a_reimport_creates_nothing(self, tmp_path):
        result = _bench_module().main(
            ["--lines", "120", "--companies", "5", "--products", "5", "--reimport", "--results-dir", str(tmp_path)]
        )
        assert (result["reimport"]["created"], result["reimport"]["updated"], result["reimport"]["unchanged"]) == (
            0,
            0,
            120,
        )
