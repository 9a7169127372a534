"""Benchmark: re-evaluate one contact against every active segment (`contacts_segments_reevaluate`).

On the configured database (DATABASE_URL; run it against PostgreSQL), picks
--contacts random contacts (default 1000) and times one call per contact, as a
login, a cart change or an order triggers it. The membership is refreshed first, so
the calls measure evaluation and (normally no) corrections. Prints one JSON object
with p50/p95/p99/max in milliseconds and writes bench/results/contact_eval.json.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/demo_large python bench/contact_eval.py
    python bench/contact_eval.py --contacts 50

Target (spec/performance.md): p95 < 20 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import RESULTS_DIR, database_info, django_setup, machine_info, results_write  # noqa: E402
from bench.refresh import dataset_size  # noqa: E402

TARGET_P95_MS = 20.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1000, help="random contacts to re-evaluate (default 1000)")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls first (connection, caches)")
    parser.add_argument("--no-refresh", action="store_true", help="skip the full refresh before timing")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index]


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    django_setup(queue_tasks=True)
    from accounts.models import Contact
    from segments.models import Segment
    from segments.services import contacts_segments_reevaluate, segments_refresh_all

    if not arguments.no_refresh:
        segments_refresh_all()  # stored membership current: the calls below correct (almost) nothing
    contact_ids = list(Contact.objects.values_list("pk", flat=True))
    rng = random.Random(arguments.seed)
    chosen = rng.sample(contact_ids, min(arguments.contacts, len(contact_ids)))
    for contact_id in rng.sample(contact_ids, min(arguments.warmup, len(contact_ids))):
        contacts_segments_reevaluate(contact_ids=[contact_id])
    timings, changes = [], 0
    for contact_id in chosen:
        started = time.perf_counter()
        evaluation = contacts_segments_reevaluate(contact_ids=[contact_id])
        timings.append(1000 * (time.perf_counter() - started))
        changes += len(evaluation.joined) + len(evaluation.left)
    result = {
        "benchmark": "contact_eval",
        "contacts": len(chosen),
        "active_segments": Segment.objects.filter(is_active=True).count(),
        "ms": {
            "p50": round(statistics.median(timings), 2) if timings else None,
            "p95": round(_percentile(timings, 0.95), 2) if timings else None,
            "p99": round(_percentile(timings, 0.99), 2) if timings else None,
            "max": round(max(timings), 2) if timings else None,
            "mean": round(statistics.fmean(timings), 2) if timings else None,
        },
        "membership_changes": changes,
        "dataset": dataset_size(),
        "database": database_info(),
        **machine_info(),
    }
    result["targets"] = {"p95_under_20ms": bool(timings) and result["ms"]["p95"] < TARGET_P95_MS}
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    arguments = _arguments(argv)
    result = run(arguments)
    results_write(name="contact_eval", result=result, results_dir=arguments.results_dir)
    return result


if __name__ == "__main__":
    main()
