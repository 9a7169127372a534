"""Benchmark: import a generated orders CSV (default 1M lines) through the ERP import.

Generates categories, companies, products and an orders file into a temporary
folder, imports the first three (not timed), then times the orders import on the
configured database (DATABASE_URL; run it against PostgreSQL). Celery tasks are
queued, not run eagerly, so the segment refresh that an import enqueues is not
part of the timing. Prints one JSON object and writes it to
bench/results/import_erp.json.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import python bench/import_erp.py
    python bench/import_erp.py --lines 300      # a quick smoke run

Targets (spec/performance.md): >= 50k lines/s and peak RSS < 1 GiB.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import RESULTS_DIR, database_info, django_setup, peak_rss_mb, results_write  # noqa: E402
TARGET_LINES_PER_S = 50_000
TARGET_PEAK_RSS_MB = 1024
_BLOCK_LINES = 100_000
_CHANNELS = np.array(["web", "phone", "email", "sales_rep", "edi", "fax"])
_STATUSES = np.array(["shipped", "shipped", "shipped", "open", "cancelled"])




def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines in the orders file")
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reimport", action="store_true", help="also time importing the same file again")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)


def files_generate(
    directory: Path, *, lines: int, companies: int, products: int, seed: int, prefix: str
) -> dict[str, Path]:
    """Write categories, companies, products and orders CSV files; orders in blocks (bounded memory)."""
    rng = np.random.default_rng(seed)
    paths = {entity: directory / f"{entity}.csv" for entity in ("categories", "companies", "products", "orders")}
    pd.DataFrame({"slug": ["bench"], "name": ["Benchmark"], "parent_slug": [""]}).to_csv(
        paths["categories"], index=False
    )
    company_ids = np.array([f"B{number:07d}" for number in range(1, companies + 1)])
    pd.DataFrame(
        {
            "erp_id": company_ids,
            "name": [f"Bench company {number}" for number in range(1, companies + 1)],
            "country": "NL",
        }
    ).to_csv(paths["companies"], index=False)
    skus = np.array([f"BENCH-{number:05d}" for number in range(1, products + 1)])
    pd.DataFrame(
        {
            "sku": skus,
            "name": [f"Bench product {number}" for number in range(1, products + 1)],
            "category_slug": "bench",
            "list_price": "9.95",
        }
    ).to_csv(paths["products"], index=False)
    _orders_write(paths["orders"], rng=rng, lines=lines, company_ids=company_ids, skus=skus, prefix=prefix)
    return paths


def _orders_write(
    path: Path, *, rng: np.random.Generator, lines: int, company_ids: np.ndarray, skus: np.ndarray, prefix: str
) -> None:
    """One row per order line; 1-10 lines per order, a few large customers (Pareto)."""
    written, order = 0, 0
    header = True
    start = pd.Timestamp("2023-01-01", tz="UTC").value // 10**9
    while written < lines:
        sizes = rng.integers(1, 11, size=_BLOCK_LINES // 5)
        sizes = sizes[np.cumsum(sizes) <= min(_BLOCK_LINES, lines - written)]
        if sizes.size == 0:
            sizes = np.array([lines - written])
        orders = sizes.size
        numbers = np.char.add(prefix, np.char.zfill((np.arange(orders) + order + 1).astype(str), 8))
        company = company_ids[np.minimum((rng.pareto(1.2, orders) * 50).astype(int), len(company_ids) - 1)]
        seconds = start + rng.integers(0, 2 * 365 * 86400, orders)
        ordered_at = pd.to_datetime(seconds, unit="s", utc=True).tz_convert("Europe/Amsterdam")
        ordered_text = np.where(
            rng.random(orders) < 0.5,
            ordered_at.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"(\d{2})(\d{2})$", r"\1:\2", regex=True),
            ordered_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
        delivery = (ordered_at + pd.to_timedelta(rng.integers(1, 5, orders), unit="D")).strftime("%Y-%m-%d")
        email = np.where(rng.random(orders) < 0.3, np.char.add(np.char.lower(numbers), "@buyer.example"), "")
        repeat = np.repeat(np.arange(orders), sizes)
        frame = pd.DataFrame(
            {
                "order_number": numbers[repeat],
                "line_no": np.concatenate([np.arange(1, size + 1) for size in sizes]),
                "company_erp_id": company[repeat],
                "contact_email": email[repeat],
                "ordered_at": np.asarray(ordered_text)[repeat],
                "channel": _CHANNELS[rng.integers(0, len(_CHANNELS), orders)][repeat],
                "status": _STATUSES[rng.integers(0, len(_STATUSES), orders)][repeat],
                "delivery_date": np.asarray(delivery)[repeat],
                "sku": skus[rng.integers(0, len(skus), repeat.size)],
                "quantity": rng.integers(1, 200, repeat.size),
                "unit_price": np.char.mod("%.2f", rng.uniform(0.2, 60.0, repeat.size)),
            }
        )
        frame.to_csv(path, mode="w" if header else "a", header=header, index=False)
        header = False
        written += repeat.size
        order += orders






def run(arguments: argparse.Namespace) -> dict[str, Any]:
    django_setup(queue_tasks=True)
    from django.conf import settings

    from integrations.erp.services import erp_import_file
    from integrations.models import ImportRun

    prefix = f"BN{int(time.time()) % 10**8:08d}-"
    with tempfile.TemporaryDirectory(prefix="b2bshop-bench-") as folder:
        paths = files_generate(
            Path(folder),
            lines=arguments.lines,
            companies=arguments.companies,
            products=arguments.products,
            seed=arguments.seed,
            prefix=prefix,
        )
        for entity in ("categories", "companies", "products"):
            setup_run = erp_import_file(entity=entity, path=paths[entity])
            if setup_run.status != ImportRun.Status.SUCCEEDED:
                raise SystemExit(f"setting up {entity} failed: {setup_run.message} {setup_run.errors[:3]}")
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        import_run = erp_import_file(entity="orders", path=paths["orders"])
        seconds = time.perf_counter() - started
        result: dict[str, Any] = {
            "benchmark": "import_erp",
            "lines": arguments.lines,
            "seconds": round(seconds, 2),
            "lines_per_s": round(arguments.lines / seconds),
            "peak_rss_mb": peak_rss_mb(),
            "status": import_run.status,
            "created": import_run.created,
            "failed": import_run.failed,
            "chunk_rows": settings.ERP_IMPORT_CHUNK_ROWS,
            "database": database_info(),
            "cpu_count": os.cpu_count(),
            "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
            "python": platform.python_version(),
            "pandas": pd.__version__,
        }
        if arguments.reimport:
            started = time.perf_counter()
            again = erp_import_file(entity="orders", path=paths["orders"])
            result["reimport"] = {
                "seconds": round(time.perf_counter() - started, 2),
                "created": again.created,
                "updated": again.updated,
                "unchanged": again.unchanged,
            }
            result["peak_rss_mb"] = peak_rss_mb()
    result["meets_targets"] = result["lines_per_s"] >= TARGET_LINES_PER_S and result["peak_rss_mb"] < TARGET_PEAK_RSS_MB
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    arguments = _arguments(argv)
    result = run(arguments)
    results_write(name="import_erp", result=result, results_dir=arguments.results_dir)
    return result


if __name__ == "__main__":
    main()
