"""Benchmark: the marketer insight endpoints and the admin insight page, cold and warm.

On the configured database (DATABASE_URL; run it against PostgreSQL with the
`large` dataset), times every insight endpoint for all customers and for one
segment (the active segment with the most members, or --segment), the overlap and
trends of the --compare largest segments, one RFM cell, and the admin page's tabs:

- cold: the insight cache entries removed before each request (the database's own
  buffers stay warm: this is the first request after a refresh run);
- warm: the same request again, answered from the cache (a few version queries).

Requests go through Django's test client as a marketer (the API's serialization and
the page's rendering included). When the customer values are missing or not of
today they are computed first, and when the database has no segment one is created
("bench-insight-top-25") and refreshed: both write to the database (untimed).
Prints one JSON object and writes bench/results/insight.json.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/demo_large python bench/insight.py
    python bench/insight.py --cold 1 --warm 2

Target (issue: marketer insight): every page < 1 s cold on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    RESULTS_DIR,
    database_info,
    django_setup,
    machine_info,
    results_write,
)

TARGET_COLD_MS = 1000.0
FALLBACK_SEGMENT = "bench-insight-top-25"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--segment", help="segment slug for the ?segment= requests (default: the largest active segment)")
    parser.add_argument("--compare", type=int, default=4, help="segments in the overlap and trends requests (default 4)")
    parser.add_argument("--cold", type=int, default=3, help="cold requests per endpoint (default 3)")
    parser.add_argument("--warm", type=int, default=5, help="warm requests per endpoint (default 5)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)


def _insight_cache_clear() -> None:
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("insight:*")  # never flush a shared Redis
    else:
        cache.clear()


def _prepare(arguments: argparse.Namespace) -> tuple[Any, list[Any], dict[str, Any]]:
    from django.utils import timezone

    from accounts.models import User
    from segments.models import Segment
    from segments.services import segment_refresh, segment_save
    from segments.value import company_values_ensure_current

    wrote: dict[str, Any] = {"customer_values": company_values_ensure_current(now=timezone.now()), "segment_created": None}
    if not Segment.objects.filter(is_active=True).exists():
        created = segment_save(name="Bench insight: top 25%", slug=FALLBACK_SEGMENT, refresh=False,
                               rule={"all": [{"field": "value.top_25_percent", "op": "is_true"}]})
        segment_refresh(segment_id=created.pk, values_current=True)
        wrote["segment_created"] = created.slug
    largest = list(Segment.objects.filter(is_active=True).order_by("-member_count", "slug"))
    segment = Segment.objects.get(slug=arguments.segment) if arguments.segment else largest[0]
    marketer = User.objects.filter(is_superuser=True, is_active=True).first() or User.objects.create_superuser(
        "bench-insight@b2bshop.example", None
    )
    return segment, largest[: max(1, arguments.compare)], {"marketer": marketer, **wrote}


def _requests(segment, compared) -> dict[str, str]:
    from segments.models import CompanyValue

    slugs = ",".join(s.slug for s in compared)
    cell = CompanyValue.objects.filter(rfm_recency__isnull=False).values("rfm_recency", "rfm_frequency").first()
    recency, frequency = (cell["rfm_recency"], cell["rfm_frequency"]) if cell else (5, 5)
    compare = urlencode([("compare", s.slug) for s in compared])
    return {
        "kpis": "/api/insight/kpis/",
        "kpis_segment": f"/api/insight/kpis/?segment={segment.slug}",
        "rfm_grid": "/api/insight/rfm-grid/",
        "rfm_grid_segment": f"/api/insight/rfm-grid/?segment={segment.slug}",
        "rfm_cell": f"/api/insight/rfm-grid/cell/?recency={recency}&frequency={frequency}",
        "pareto": "/api/insight/pareto/",
        "pareto_segment": f"/api/insight/pareto/?segment={segment.slug}",
        "lift_top_25": "/api/insight/lift/",
        "lift_segment": f"/api/insight/lift/?segment={segment.slug}",
        "lookalike_top_25": "/api/insight/lift/look-alike/",
        "lookalike_segment": f"/api/insight/lift/look-alike/?segment={segment.slug}",
        "overlap": f"/api/insight/overlap/?segments={slugs}",
        "trends": f"/api/insight/trends/?segments={slugs}",
        # The admin page, tab by tab (each tab computes its own figures).
        "admin_overview": f"/admin/segments/segment/insight/?{compare}",
        "admin_overview_segment_cell": (
            f"/admin/segments/segment/insight/?segment={segment.slug}&cell={recency}-{frequency}&{compare}"
        ),
        "admin_profile": f"/admin/segments/segment/insight/?{compare}&view=profile",
        "admin_profile_segment": f"/admin/segments/segment/insight/?segment={segment.slug}&{compare}&view=profile",
        "admin_segments": f"/admin/segments/segment/insight/?{compare}&view=segments",
    }


def _time(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = 1000 * (time.perf_counter() - started)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    django_setup(queue_tasks=True)
    from django.test import Client

    from bench.refresh import dataset_size

    segment, compared, prepared = _prepare(arguments)
    client = Client()
    client.force_login(prepared.pop("marketer"))
    requests = _requests(segment, compared)
    _insight_cache_clear()
    client.get(requests["kpis"])  # connection, imports, templates: not part of any figure
    endpoints = {}
    for name, url in requests.items():
        cold = []
        for _ in range(max(1, arguments.cold)):
            _insight_cache_clear()
            cold.append(_time(client, url))
        warm = [_time(client, url) for _ in range(max(1, arguments.warm))]
        endpoints[name] = {
            "url": url,
            "cold_ms": {"p50": round(statistics.median(cold), 1), "max": round(max(cold), 1)},
            "warm_ms": {"p50": round(statistics.median(warm), 1), "max": round(max(warm), 1)},
        }
    _insight_cache_clear()
    slowest = max(endpoints.items(), key=lambda item: item[1]["cold_ms"]["p50"])
    return {
        "benchmark": "insight",
        "segment": {"slug": segment.slug, "members": segment.member_count},
        "compared": [s.slug for s in compared],
        "endpoints": endpoints,
        "slowest_cold": {"endpoint": slowest[0], "ms": slowest[1]["cold_ms"]["p50"]},
        "wrote": prepared,
        "dataset": dataset_size(),
        "database": database_info(),
        **machine_info(),
        "targets": {"every_page_cold_under_1s": all(e["cold_ms"]["p50"] < TARGET_COLD_MS for e in endpoints.values())},
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    arguments = _arguments(argv)
    result = run(arguments)
    results_write(name="insight", result=result, results_dir=arguments.results_dir)
    return result


if __name__ == "__main__":
    main()
