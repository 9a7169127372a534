"""Benchmark: a category page of 48 products, personalized vs anonymous, through the full middleware stack.

On the configured database (DATABASE_URL; run it against PostgreSQL with the `large`
dataset) and cache (REDIS_URL: django-redis; else local memory), in one run:

- set-up (idempotent; the JSON says what it created or updated): a few segments
  defined on the chosen contact's company (`segment_save`, then `segment_refresh`),
  category_top content blocks targeting them (one per segment, one excluded for the
  contact, one for a segment the contact is not in, and a fallback), a product
  restriction on two products of the category and a category restriction elsewhere.
  Everything it writes is named `storefront-bench-*` / "Storefront bench: ...";
  `--remove` deletes it again;
- personalized: a contact logged in (a session row), with those segment memberships,
  customer-specific prices (the chosen company has company prices in the category
  and a price group) and its company's delivery moment;
- anonymous: no session, generic moment, no prices, the fallback block;
- buyer_without_segments (when the data has one): a logged-in buyer with company prices
  who is in no segment, so `segment_ratio` isolates what the segments cost;
- all render `/c/<slug>/` with Django's test client (every middleware, the real
  view and templates, DEBUG off); after a warm-up, --runs blocks of --repetitions
  requests per variant, the variants alternating (ABBA) so that noise hits them alike.

Prints one JSON object with p50/p95 per variant (all samples and per run), the
ratio personalized/anonymous (and personalized/buyer_without_segments; `cpu_ratio`: the
same on this process's CPU time, which a shared machine disturbs less), the queries
per page of each variant, and writes bench/results/storefront.json. The database
must be migrated to the current code (`manage.py migrate`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/storefront_large REDIS_URL=redis://127.0.0.1:6379/7 \\
        python bench/storefront.py
    python bench/storefront.py --category cut-flowers --contact someone@example.com --runs 3 --repetitions 100

Target (spec/performance.md): personalized <= 1.1x anonymous.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    RESULTS_DIR,
    database_info,
    django_setup,
    machine_info,
    results_write,
)

TARGET_RATIO = 1.1
PAGE_PRODUCTS = 48
SLUG_PREFIX = "storefront-bench-"
NAME_PREFIX = "Storefront bench: "


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--category", help="category slug (default: the one with the most active products)")
    parser.add_argument("--contact", help="contact email (default: a contact of the company with the most company prices there)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per variant first (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="timed blocks (default 3)")
    parser.add_argument("--repetitions", type=int, default=100, help="timed requests per variant and run (default 100)")
    parser.add_argument("--remove", action="store_true", help="delete the benchmark's segments, blocks and restrictions, then exit")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index]


# --- Choosing the page and the buyer -------------------------------------------------------------------------------


def category_choose(slug: str | None):
    """The given category, or the one with the most active products (itself and below)."""
    from django.db.models import Count, F, OuterRef, Subquery

    from catalog.models import Category, Product

    if slug:
        return Category.objects.get(slug=slug)
    counts = (
        Product.objects.filter(is_active=True, category__path__startswith=OuterRef("path"))
        .order_by()
        .values("is_active")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Category.objects.annotate(active_products=Subquery(counts)).order_by(F("active_products").desc(nulls_last=True), "path").first()


def contact_choose(email: str | None, category):
    """The given contact, or the first active contact of the company with the most company prices in the category."""
    from django.db.models import Count, Q

    from accounts.models import Company, Contact

    if email:
        return Contact.objects.select_related("company").get(email=email)
    in_category = Q(prices__product__category__path__startswith=category.path)
    company = (
        Company.objects.filter(blocked=False, contacts__is_active=True)
        .exclude(price_group="")
        .annotate(company_prices=Count("prices", filter=in_category, distinct=True))
        .filter(company_prices__gt=0)
        .order_by("-company_prices", "pk")
        .first()
    )
    if company is None:  # no company prices at all: any contact still gets its price group / list prices
        company = Company.objects.filter(blocked=False, contacts__is_active=True).order_by("pk").first()
    return Contact.objects.select_related("company").filter(company=company, is_active=True).order_by("pk").first()


def contact_without_segments_choose(category):
    """A buyer in no segment at all whose company has company prices in the category (None if there is none)."""
    from django.db.models import Exists, OuterRef

    from accounts.models import Contact
    from catalog.models import Price
    from segments.models import SegmentMembership

    company_prices = Price.objects.filter(company_id=OuterRef("company_id"), product__category__path__startswith=category.path)
    return (
        Contact.objects.select_related("company")
        .filter(is_active=True, company__blocked=False, company__isnull=False)
        .exclude(company__price_group="")
        .filter(Exists(company_prices))
        .exclude(Exists(SegmentMembership.objects.filter(contact_id=OuterRef("pk"))))
        .order_by("pk")
        .first()
    )


# --- Set-up: segments, blocks, restrictions (idempotent) -----------------------------------------------------------


@dataclass(frozen=True)
class BenchSetup:
    segments: dict[str, Any]
    blocks: dict[str, Any]
    restrictions: dict[str, Any]
    expected_block: str  # headline the contact must see
    fallback_block: str  # headline anonymous visitors must see
    report: dict[str, Any]


def _segment_definitions(contact) -> list[dict[str, Any]]:
    """Segments the contact is a member of (all but the last), defined on its own company and contact fields."""
    company = contact.company
    country = {"field": "company.country", "op": "eq", "value": company.country}
    return [
        {"slug": "country", "name": f"customers in {company.country}", "rule": country},
        {"slug": "price-group", "name": f"price group {company.price_group}",
         "rule": {"field": "company.price_group", "op": "eq", "value": company.price_group}},
        {"slug": "customer-group", "name": f"customer group {company.customer_group}",
         "rule": {"field": "company.customer_group", "op": "eq", "value": company.customer_group}},
        {"slug": "local-group", "name": f"{company.customer_group} in {company.country}",
         "rule": {"all": [country, {"field": "company.customer_group", "op": "eq", "value": company.customer_group}]}},
        {"slug": "other-group", "name": f"other customers in {company.country}",
         "rule": {"all": [country, {"field": "company.customer_group", "op": "ne", "value": company.customer_group}]}},
    ]


def segments_ensure(contact) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create or update the benchmark segments and refresh them (a second run writes no membership)."""
    from django.utils import timezone

    from segments.models import Segment
    from segments.selectors import field_registry
    from segments.services import segment_refresh, segment_save

    segments, report = {}, {}
    registry = field_registry()
    now = timezone.now()
    for definition in _segment_definitions(contact):
        slug = SLUG_PREFIX + definition["slug"]
        existing = Segment.objects.filter(slug=slug).first()
        segment = segment_save(
            segment=existing, name=NAME_PREFIX + definition["name"], slug=slug, rule=definition["rule"],
            description="Created by bench/storefront.py.", refresh=False,
        )
        started = time.perf_counter()
        refreshed = segment_refresh(segment_id=segment.pk, now=now, registry=registry, values_current=True)
        segments[definition["slug"]] = segment
        report[slug] = {
            "action": "updated" if existing else "created", "members": refreshed.member_count,
            "joined": refreshed.joined, "left": refreshed.left,
            "refresh_seconds": round(time.perf_counter() - started, 3),
        }
    return segments, report


def _block(name: str, *, category, headline: str, priority: int, include=(), exclude=(), fallback: bool = False):
    from personalization.models import ContentBlock

    block, created = ContentBlock.objects.update_or_create(
        name=NAME_PREFIX + name,
        defaults={
            "placement": ContentBlock.Placement.CATEGORY_TOP, "kind": ContentBlock.Kind.TEXT, "headline": headline,
            "text": "<p>Shown by the storefront benchmark.</p>", "priority": priority, "is_fallback": fallback,
            "category": category, "product": None, "starts_at": None, "ends_at": None, "is_active": True,
        },
    )
    block.include_segments.set(include)
    block.exclude_segments.set(exclude)
    return block, created


def setup_ensure(*, contact, category) -> BenchSetup:
    from catalog.models import Category, Product
    from personalization.models import CategoryRestriction, ProductRestriction

    segments, segment_report = segments_ensure(contact)
    member = [segments[key] for key in ("country", "price-group", "customer-group", "local-group")]
    blocks, block_report = {}, {}

    def add(key: str, *args, **kwargs) -> None:
        block, created = _block(key, *args, **kwargs)
        blocks[key] = block
        block_report[block.name] = "created" if created else "updated"

    add("fallback", category=None, headline="Storefront bench: welcome to our shop", priority=0, fallback=True)
    for position, segment in enumerate(member, start=1):
        add(f"segment {position}", category=category if position % 2 else None,
            headline=f"Storefront bench: offer for {segment.name.removeprefix(NAME_PREFIX)}",
            priority=10 * position, include=[segment])
    add("excluded", category=None, headline="Storefront bench: excluded for the contact", priority=100,
        include=[segments["country"]], exclude=[segments["price-group"]])
    add("other segment", category=category, headline="Storefront bench: for another segment", priority=90,
        include=[segments["other-group"]])

    # Two products of the category only for the contact's segment; a category elsewhere only for another one.
    restricted_products = list(
        Product.objects.filter(category__path__startswith=category.path, is_active=True).order_by("-name", "-pk")[:2]
    )
    restriction_report: dict[str, Any] = {"products": [], "category": None}
    for product in restricted_products:
        restriction, created = ProductRestriction.objects.update_or_create(
            product=product, defaults={"note": "Created by bench/storefront.py."}
        )
        restriction.include_segments.set([segments["customer-group"]])
        restriction.exclude_segments.set([])
        restriction_report["products"].append({"sku": product.sku, "action": "created" if created else "updated"})
    elsewhere = (
        Category.objects.exclude(path__startswith=category.path)
        .exclude(pk__in=[ancestor.pk for ancestor in Category.objects.all() if category.path.startswith(ancestor.path)])
        .order_by("-depth", "path")
        .first()
    )
    if elsewhere is not None:
        restriction, created = CategoryRestriction.objects.update_or_create(
            category=elsewhere, defaults={"note": "Created by bench/storefront.py."}
        )
        restriction.include_segments.set([segments["local-group"]])
        restriction.exclude_segments.set([])
        restriction_report["category"] = {"slug": elsewhere.slug, "action": "created" if created else "updated"}

    expected = blocks["segment 4"].headline
    return BenchSetup(
        segments=segments, blocks=blocks, restrictions=restriction_report, expected_block=expected,
        fallback_block=blocks["fallback"].headline,
        report={"segments": segment_report, "content_blocks": block_report, "restrictions": restriction_report},
    )


def setup_remove() -> dict[str, int]:
    """Delete everything the benchmark created (segments with their memberships, blocks, restrictions)."""
    from personalization.models import (
        CategoryRestriction,
        ContentBlock,
        ProductRestriction,
    )
    from segments.models import Segment
    from segments.selectors import contact_segments_cache_clear

    bench_note = "Created by bench/storefront.py."
    segments = Segment.objects.filter(slug__startswith=SLUG_PREFIX)
    member_ids = set(segments.values_list("memberships__contact_id", flat=True)) - {None}
    removed = {
        "content_blocks": ContentBlock.objects.filter(name__startswith=NAME_PREFIX).delete()[1].get(ContentBlock._meta.label, 0),
        "product_restrictions": ProductRestriction.objects.filter(note=bench_note).delete()[1].get(
            ProductRestriction._meta.label, 0
        ),
        "category_restrictions": CategoryRestriction.objects.filter(note=bench_note).delete()[1].get(
            CategoryRestriction._meta.label, 0
        ),
        "segments": segments.count(),
    }
    segments.delete()
    contact_segments_cache_clear(member_ids)
    return removed


# --- Measuring -----------------------------------------------------------------------------------------------------


def _page_facts(html: str) -> dict[str, Any]:
    date = re.search(r'data-testid="delivery-date">([^<]*)<', html)
    return {
        "products_on_page": html.count('<li class="card'),
        "prices_on_page": html.count('data-testid="price"'),
        "content_blocks": re.findall(r'<h2 class="content-block-headline">([^<]*)</h2>', html),
        "delivery_date": date.group(1) if date else None,
    }


def _queries(client, url: str) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return [query["sql"] for query in captured.captured_queries]


def _summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(samples), 2), "p95": round(_percentile(samples, 0.95), 2),
        "min": round(min(samples), 2), "mean": round(statistics.fmean(samples), 2),
    }


def measure(*, url: str, clients: dict[str, Any], warmup: int, runs: int, repetitions: int) -> dict[str, Any]:
    """Per variant and run: the wall-clock milliseconds of each request, and the CPU milliseconds this process spent.

    The CPU time leaves out the database server and the cache, and time spent waiting for a core:
    on a shared machine it varies less than the wall clock, so it is reported next to it.
    """
    timings: dict[str, list[list[float]]] = {name: [] for name in clients}
    cpu: dict[str, list[list[float]]] = {name: [] for name in clients}
    for _ in range(warmup):
        for client in clients.values():
            client.get(url)
    names = list(clients)
    for _ in range(runs):
        for name in names:
            timings[name].append([])
            cpu[name].append([])
        for repetition in range(repetitions):
            order = names if repetition % 2 == 0 else names[::-1]  # ABBA: drift hits both variants alike
            for name in order:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = clients[name].get(url)
                timings[name][-1].append(1000 * (time.perf_counter() - started))
                cpu[name][-1].append(1000 * (time.process_time() - started_cpu))
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {url} answered {response.status_code}")
    return {"wall": timings, "cpu": cpu}


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    django_setup(queue_tasks=True)
    from django.test.utils import override_settings

    if arguments.remove:
        return {"benchmark": "storefront", "removed": setup_remove()}
    with override_settings(DEBUG=False):  # as in production: no query log, no template debug information
        return _run(arguments)


def _ratios(numerator: dict[str, Any], denominator: dict[str, Any]) -> dict[str, Any]:
    per_run = [round(top / bottom, 3) for top, bottom in zip(numerator["per_run_p50_ms"], denominator["per_run_p50_ms"])]
    return {
        "p50": round(numerator["ms"]["p50"] / denominator["ms"]["p50"], 3),
        "p95": round(numerator["ms"]["p95"] / denominator["ms"]["p95"], 3),
        "per_run_p50": per_run, "best": min(per_run), "worst": max(per_run),
    }


def _run(arguments: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from bench.refresh import dataset_size
    from catalog.models import Product

    category = category_choose(arguments.category)
    contact = contact_choose(arguments.contact, category)
    setup = setup_ensure(contact=contact, category=category)
    plain_buyer = contact_without_segments_choose(category)
    url = f"/c/{category.slug}/"

    clients = {"anonymous": Client(), "personalized": Client()}
    clients["personalized"].force_login(contact)  # writes one session row
    if plain_buyer is not None:
        clients["buyer_without_segments"] = Client()
        clients["buyer_without_segments"].force_login(plain_buyer)
    facts = {name: _page_facts(client.get(url).content.decode()) for name, client in clients.items()}
    queries = {name: _queries(client, url) for name, client in clients.items()}
    timings = measure(
        url=url, clients=clients, warmup=arguments.warmup, runs=arguments.runs, repetitions=arguments.repetitions
    )

    variants: dict[str, Any] = {}
    for name, per_run in timings["wall"].items():
        pooled = [value for block in per_run for value in block]
        cpu_per_run = timings["cpu"][name]
        variants[name] = {
            "ms": _summary(pooled),
            "per_run_p50_ms": [round(statistics.median(block), 2) for block in per_run],
            "cpu_ms": _summary([value for block in cpu_per_run for value in block]),
            "cpu_per_run_p50_ms": [round(statistics.median(block), 2) for block in cpu_per_run],
            "queries": len(queries[name]),
            **facts[name],
        }
    ratio = _ratios(variants["personalized"], variants["anonymous"])
    cpu_ratio = _ratios(*(
        {"ms": variants[name]["cpu_ms"], "per_run_p50_ms": variants[name]["cpu_per_run_p50_ms"]}
        for name in ("personalized", "anonymous")
    ))
    result: dict[str, Any] = {
        "benchmark": "storefront",
        "url": url,
        "category": {"slug": category.slug, "active_products": Product.objects.filter(
            category__path__startswith=category.path, is_active=True).count()},
        "contact": _contact_facts(contact),
        "buyer_without_segments_contact": _contact_facts(plain_buyer) if plain_buyer else None,
        "setup": setup.report,
        "warmup": arguments.warmup, "runs": arguments.runs, "repetitions": arguments.repetitions,
        **variants,
        "ratio": ratio,
        # The same on this process's CPU time (Django's own work; no database server, no waiting for a core).
        "cpu_ratio": cpu_ratio,
        # What the segments alone cost: the same kind of logged-in buyer with prices, without any segment.
        "segment_ratio": _ratios(variants["personalized"], variants["buyer_without_segments"]) if plain_buyer else None,
        "query_difference": len(queries["personalized"]) - len(queries["anonymous"]),
        "checks": {
            "personalized_shows_targeted_block": setup.expected_block in facts["personalized"]["content_blocks"],
            "anonymous_shows_fallback_block": facts["anonymous"]["content_blocks"] == [setup.fallback_block],
            "full_pages": all(fact["products_on_page"] == PAGE_PRODUCTS for fact in facts.values()),
            "prices_only_personalized": facts["anonymous"]["prices_on_page"] == 0
            and facts["personalized"]["prices_on_page"] == facts["personalized"]["products_on_page"],
        },
        "statements": {name: [sql[:160] for sql in sqls] for name, sqls in queries.items()},
        "cache": settings.CACHES["default"]["BACKEND"],
        "debug": settings.DEBUG,
        "dataset": dataset_size(),
        "database": database_info(),
        **machine_info(),
    }
    result["targets"] = {"personalized_at_most_1_1x_anonymous": ratio["p50"] <= TARGET_RATIO}
    return result


def _contact_facts(contact) -> dict[str, Any]:
    return {
        "id": contact.pk, "email": contact.email, "company_id": contact.company_id,
        "price_group": contact.company.price_group, "company_prices": contact.company.prices.count(),
        "segments": len(_contact_segment_ids(contact.pk)),
    }


def _contact_segment_ids(contact_id: int) -> frozenset[int]:
    from segments.selectors import contact_segment_ids

    return contact_segment_ids(contact_id=contact_id)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    arguments = _arguments(argv)
    result = run(arguments)
    if arguments.remove:
        print(result)
        return result
    results_write(name="storefront", result=result, results_dir=arguments.results_dir)
    return result


if __name__ == "__main__":
    main()
