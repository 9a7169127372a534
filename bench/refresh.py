"""Benchmark: full refresh of the 20 benchmark segments, against three independent evaluators.

On the configured database (DATABASE_URL; run it against PostgreSQL), in one run:

(a) engine: the segments of bench/segments.json are created or updated with
    `segment_save(refresh=False)`, then refreshed the way `segments_refresh_all`
    does it (customer value once, the run's shared sales and cart statistics once,
    then every segment in dependency order),
    restricted to them; then a second refresh with no data change, counting the
    membership rows and events it writes (must be 0);
(b) naive: per contact, load the contact with its company, orders, lines and cart
    and evaluate every rule in Python (a per-request personalization engine), on a
    random sample of contacts (--sample, default 2000); reported per contact;
(c) pandas: load the tables into dataframes and evaluate there, end to end;
(d) floor: hand-written SQL, per-company aggregates computed once, then one query
    per segment.

The four must produce identical member sets (naive on its sample); the run exits
with status 1 otherwise. Prints one JSON object and writes bench/results/refresh.json.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/demo_large python bench/refresh.py
    python bench/refresh.py --sample 200 --segments bench/segments.json

Targets (spec/performance.md): full refresh < 5 s and <= 2x the floor; engine
>= 100x faster per contact than naive; faster than pandas end to end; a refresh
with no data change writes 0 membership rows.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import REPO, RESULTS_DIR, database_info, django_setup, machine_info, results_write  # noqa: E402

TARGET_FULL_REFRESH_S = 5.0
TARGET_FLOOR_RATIO = 2.0
TARGET_NAIVE_SPEEDUP = 100.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=2000, help="contacts the naive evaluator evaluates (default 2000)")
    parser.add_argument("--segments", type=Path, default=REPO / "bench" / "segments.json", help="the benchmark segments file")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the naive sample")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)




def dataset_size() -> dict[str, int]:
    from accounts.models import Company, Contact
    from orders.models import Cart, Order, OrderLine

    return {
        "companies": Company.objects.count(), "contacts": Contact.objects.count(), "orders": Order.objects.count(),
        "order_lines": OrderLine.objects.count(), "open_carts": Cart.objects.filter(status=Cart.Status.OPEN).count(),
    }




def segments_ensure(definitions: list[dict[str, Any]]) -> list:
    """Create or update the benchmark segments (validated against the registry), without refreshing."""
    from segments.models import Segment
    from segments.selectors import field_registry
    from segments.services import segment_save
    from segments.validation import validate_rule

    registry = field_registry()
    saved = []
    for definition in definitions:  # referenced segments first
        validate_rule(definition["rule"], registry=registry)
        existing = Segment.objects.filter(slug=definition["slug"]).first()
        saved.append(segment_save(
            segment=existing, name=definition["name"], slug=definition["slug"], rule=definition["rule"],
            description=definition.get("description", ""), refresh=False,
        ))
    return saved


def engine_refresh(segments: list, now) -> dict[str, Any]:
    """`segments_refresh_all`, restricted to the benchmark segments.

    Customer value once, the run's shared statistics once, then each segment in
    dependency order (`segments_refresh_ordered`), each part timed.
    """
    from segments.selectors import field_registry, segments_in_dependency_order
    from segments.services import segments_refresh_ordered, segments_statistics_prepare
    from segments.value import company_values_refresh

    started = time.perf_counter()
    values = company_values_refresh(now=now)
    values_s = time.perf_counter() - started
    registry = field_registry()
    ordered = segments_in_dependency_order(segments)
    statistics = segments_statistics_prepare(segments=ordered, now=now, registry=registry)
    statistics_s = time.perf_counter() - started - values_s
    results = segments_refresh_ordered(segments=ordered, now=now, registry=registry, statistics=statistics)
    total = time.perf_counter() - started
    return {
        "seconds": round(total, 3), "customer_value_seconds": round(values_s, 3),
        "customer_value_rows_written": values.rows_written,
        "statistics_seconds": round(statistics_s, 3),
        "segments_seconds": round(total - values_s - statistics_s, 3),
        "per_segment_seconds": {segment.slug: round(result.seconds, 3) for segment, result in zip(ordered, results, strict=True)},
        "joined": sum(result.joined for result in results), "left": sum(result.left for result in results),
    }


def _membership_counts(segment_ids: list[int]) -> dict[str, int]:
    from segments.models import MembershipEvent, SegmentMembership

    return {
        "memberships": SegmentMembership.objects.filter(segment_id__in=segment_ids).count(),
        "events": MembershipEvent.objects.filter(segment_id__in=segment_ids).count(),
    }


def engine_members(segments: list) -> dict[str, set[int]]:
    from segments.models import SegmentMembership

    members: dict[str, set[int]] = {segment.slug: set() for segment in segments}
    slugs = {segment.pk: segment.slug for segment in segments}
    for segment_id, contact_id in SegmentMembership.objects.filter(segment_id__in=slugs).values_list("segment_id", "contact_id"):
        members[slugs[segment_id]].add(contact_id)
    return members


def _difference(expected: dict[str, set[int]], actual: dict[str, set[int]], *, within: set[int] | None = None) -> dict[str, Any]:
    """Per segment, the contacts only one side has (restricted to `within` when given)."""
    problems = {}
    for slug, wanted in expected.items():
        got = actual.get(slug, set())
        if within is not None:
            wanted, got = wanted & within, got & within
        if wanted != got:
            problems[slug] = {"only_engine": sorted(wanted - got)[:10], "only_other": sorted(got - wanted)[:10],
                              "engine": len(wanted), "other": len(got)}
    return problems


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    django_setup(queue_tasks=True)
    from django.utils import timezone

    from accounts.models import Contact
    from bench.evaluators import segments_load
    from bench.evaluators.naive import NaiveEvaluator
    from bench.evaluators.pandas_eval import PandasEvaluator
    from bench.evaluators.sql_floor import SqlFloor

    definitions = segments_load(arguments.segments)
    segments = segments_ensure(definitions)
    segment_ids = [segment.pk for segment in segments]
    size = dataset_size()

    now = timezone.now()
    engine = engine_refresh(segments, now)
    members = engine_members(segments)

    before = _membership_counts(segment_ids)
    again = engine_refresh(segments, timezone.now())
    after = _membership_counts(segment_ids)
    no_change = {
        "seconds": again["seconds"], "joined": again["joined"], "left": again["left"],
        "customer_value_rows_written": again["customer_value_rows_written"],
        "membership_rows_before": before["memberships"], "membership_rows_after": after["memberships"],
        "events_before": before["events"], "events_after": after["events"],
        "rows_written": again["joined"] + again["left"] + (after["events"] - before["events"]),
    }

    started = time.perf_counter()
    floor = SqlFloor(now=now)
    floor.prepare(definitions)
    prepared = time.perf_counter() - started
    floor_members = floor.members(definitions)
    floor_s = time.perf_counter() - started
    floor.close()

    started = time.perf_counter()
    pandas_evaluator = PandasEvaluator(now=now)
    loaded = time.perf_counter() - started
    pandas_members = pandas_evaluator.members(definitions)
    pandas_s = time.perf_counter() - started
    del pandas_evaluator

    contact_ids = sorted(Contact.objects.values_list("pk", flat=True))
    sample = sorted(random.Random(arguments.seed).sample(contact_ids, min(arguments.sample, len(contact_ids))))
    started = time.perf_counter()
    naive_members = NaiveEvaluator(segments=definitions, now=now).members(sample)
    naive_s = time.perf_counter() - started
    naive_per_contact = naive_s / max(len(sample), 1)
    engine_per_contact = engine["seconds"] / max(size["contacts"], 1)

    disagreements = {
        "floor": _difference(members, floor_members),
        "pandas": _difference(members, pandas_members),
        "naive": _difference(members, naive_members, within=set(sample)),
    }
    agree = not any(disagreements.values())
    result: dict[str, Any] = {
        "benchmark": "refresh",
        "segments": len(definitions),
        "members": {slug: len(ids) for slug, ids in members.items()},
        "engine": engine,
        "no_change_refresh": no_change,
        "floor": {"seconds": round(floor_s, 3), "aggregates_seconds": round(prepared, 3), "per_segment_seconds": floor.seconds},
        "pandas": {"seconds": round(pandas_s, 3), "load_seconds": round(loaded, 3)},
        "naive": {"sample": len(sample), "seconds": round(naive_s, 3), "per_contact_ms": round(1000 * naive_per_contact, 3)},
        "engine_per_contact_ms": round(1000 * engine_per_contact, 4),
        "ratios": {
            "engine_vs_floor": round(engine["seconds"] / floor_s, 2) if floor_s else None,
            "engine_segments_only_vs_floor": round(engine["segments_seconds"] / floor_s, 2) if floor_s else None,
            "engine_no_change_vs_floor": round(again["seconds"] / floor_s, 2) if floor_s else None,
            "naive_per_contact_vs_engine_per_contact": round(naive_per_contact / engine_per_contact, 1) if engine_per_contact else None,
            "pandas_vs_engine": round(pandas_s / engine["seconds"], 2) if engine["seconds"] else None,
        },
        "evaluators_agree": agree,
        "disagreements": disagreements,
        "dataset": size,
        "database": database_info(),
        **machine_info(),
    }
    result["targets"] = {
        "full_refresh_under_5s": max(engine["seconds"], again["seconds"]) < TARGET_FULL_REFRESH_S,
        "at_most_2x_floor": max(engine["seconds"], again["seconds"]) <= TARGET_FLOOR_RATIO * floor_s,
        "100x_faster_than_naive_per_contact": naive_per_contact >= TARGET_NAIVE_SPEEDUP * engine_per_contact,
        "faster_than_pandas": engine["seconds"] < pandas_s,
        "identical_member_sets": agree,
        "no_change_refresh_writes_0_rows": no_change["rows_written"] == 0,
    }
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    arguments = _arguments(argv)
    result = run(arguments)
    results_write(name="refresh", result=result, results_dir=arguments.results_dir)
    return result


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome["evaluators_agree"] else 1)
