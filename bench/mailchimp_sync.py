"""Benchmark: sync 100k consenting members in 20 segments to the local Mailchimp stand-in.

Bulk-creates companies, contacts (all with marketing consent), 20 segments with their
memberships and joined events, and turns on the Mailchimp sync of those segments, in
the configured database (DATABASE_URL; use a scratch PostgreSQL database). The
stand-in runs in its own process and answers every call after a fixed latency (default 50 ms).

Measured: the initial sync of all segments (target < 60 s), the peak number of
concurrent connections the stand-in saw (target <= 10), and the write calls of a
second, incremental run and of a full reconcile after it (target 0 for both). Prints one
JSON object and writes it to bench/results/mailchimp_sync.json.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mcbench python bench/mailchimp_sync.py
    python bench/mailchimp_sync.py --members 200 --latency 0      # a quick smoke run

Each run uses fresh emails and segment slugs (a run prefix); the sync records of earlier
bench runs are deleted, and the run stops if the database has other enabled syncs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import REPO, RESULTS_DIR, database_info, django_setup, peak_rss_mb, results_write  # noqa: E402
TARGET_INITIAL_SECONDS = 60
TARGET_PEAK_CONNECTIONS = 10
BENCH_SLUG_PREFIX = "bench-mc-"




def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000, help="consenting contacts")
    parser.add_argument("--segments", type=int, default=20)
    parser.add_argument("--segments-per-member", type=int, default=2, help="tags each member gets (overlapping segments)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the stand-in waits before every answer")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)


def data_create(*, members: int, segments: int, per_member: int, prefix: str) -> list[int]:
    """Companies, contacts, segments, memberships, joined events and enabled syncs; returns the segment ids."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Company, User
    from integrations.models import MailchimpSegmentSync
    from segments.models import MembershipEvent, Segment, SegmentMembership

    now = timezone.now()
    batch = 5000
    with transaction.atomic():
        companies = Company.objects.bulk_create(
            [
                Company(erp_id=f"{prefix}{n:06d}", name=f"Bench company {n}", country="NL", sector="A",
                        erp_id_ci=f"{prefix}{n:06d}".lower(), name_ci=f"bench company {n}")
                for n in range(max(1, members // 100))
            ],
            batch_size=batch,
        )
        User.objects.bulk_create(
            [
                User(email=f"{prefix}{n}@mcbench.example", first_name="Bench", last_name=f"Member {n}",
                     company=companies[n % len(companies)], marketing_consent=True, password="!")
                for n in range(members)
            ],
            batch_size=batch,
        )
        contact_ids = list(
            User.objects.filter(email__startswith=prefix, email__endswith="@mcbench.example").order_by("pk").values_list("pk", flat=True)
        )
        Segment.objects.bulk_create(
            [Segment(name=f"Bench {prefix}{n:02d}", slug=f"{BENCH_SLUG_PREFIX}{prefix}{n:02d}", rule={"all": []},
                     is_dirty=False) for n in range(segments)],
            batch_size=batch,
        )
        segment_ids = list(
            Segment.objects.filter(slug__startswith=f"{BENCH_SLUG_PREFIX}{prefix}").order_by("slug").values_list("pk", flat=True)
        )
        pairs = sorted({
            (segment_ids[(index + step * 7) % segments], contact_id)
            for index, contact_id in enumerate(contact_ids)
            for step in range(min(per_member, segments))
        })
        SegmentMembership.objects.bulk_create(
            [SegmentMembership(segment_id=s, contact_id=c, since=now) for s, c in pairs], batch_size=batch
        )
        MembershipEvent.objects.bulk_create(
            [MembershipEvent(segment_id=s, contact_id=c, kind=MembershipEvent.Kind.JOINED, at=now) for s, c in pairs],
            batch_size=batch,
        )
        MailchimpSegmentSync.objects.bulk_create(
            [MailchimpSegmentSync(segment_id=segment_id, enabled=True, tag_prefix="bench: ") for segment_id in segment_ids]
        )
    return segment_ids


def _previous_runs_forget() -> None:
    """Earlier bench runs' sync records go (their contacts and segments stay, unsynced): each run starts clean."""
    from django.db.models import Q

    from integrations.models import MailchimpMember, MailchimpSegmentSync, MailchimpSyncRun

    MailchimpSyncRun.objects.filter(Q(segment__slug__startswith=BENCH_SLUG_PREFIX) | Q(segment__isnull=True)).delete()
    MailchimpSegmentSync.objects.filter(segment__slug__startswith=BENCH_SLUG_PREFIX).delete()
    MailchimpMember.objects.filter(email__endswith="@mcbench.example").delete()






class StandinProcess:
    """The stand-in in its own process, as Mailchimp is: its work does not compete with the sync's."""

    _CODE = (
        "import sys\n"
        "from integrations.mailchimp.standin import MailchimpStandin\n"
        "standin = MailchimpStandin(latency=float(sys.argv[1]))\n"
        "print(standin.url, flush=True)\n"
        "standin.serve_forever()\n"
    )

    def __init__(self, *, latency: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self._CODE, str(latency)], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        self.url = self.process.stdout.readline().strip()
        if not self.url:
            raise SystemExit("the Mailchimp stand-in did not start")
        self.control = self.url.removesuffix("/3.0") + "/_standin/"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.control + "stats", timeout=30) as response:
            return json.loads(response.read())

    def reset_calls(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.control + "reset_calls", method="POST"), timeout=30).read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _calls(stats: dict[str, Any]) -> dict[str, int]:
    calls = stats["calls"]
    return {"write": sum(n for method, n in calls.items() if method != "GET"), "read": calls.get("GET", 0)}


def _timed(function: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function(**kwargs)
    return result, time.perf_counter() - started


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    django_setup()
    from django.test import override_settings

    from integrations.mailchimp.services import mailchimp_sync
    from integrations.models import MailchimpSegmentSync

    others = MailchimpSegmentSync.objects.filter(enabled=True).exclude(segment__slug__startswith=BENCH_SLUG_PREFIX).count()
    if others:
        raise SystemExit(f"{others} other segment(s) are synced to Mailchimp here: run the benchmark on a scratch database.")
    _previous_runs_forget()
    prefix = f"b{int(time.time()) % 10**8:08d}x"
    started = time.perf_counter()
    data_create(members=arguments.members, segments=arguments.segments, per_member=arguments.segments_per_member, prefix=prefix)
    setup_seconds = time.perf_counter() - started

    standin = StandinProcess(latency=arguments.latency)
    try:
        with override_settings(MAILCHIMP_API_KEY="", MAILCHIMP_STANDIN_URL=standin.url, MAILCHIMP_LIST_ID="bench-audience"):
            initial, initial_seconds = _timed(mailchimp_sync)
            initial_stats = standin.stats()
            standin.reset_calls()
            second, second_seconds = _timed(mailchimp_sync)
            second_stats = standin.stats()
            standin.reset_calls()
            full, full_seconds = _timed(mailchimp_sync, full=True)
            full_stats = standin.stats()
    finally:
        standin.stop()
    audience = full_stats["lists"].get("bench-audience", {"members": 0, "tags": {}})
    peak = max(initial_stats["peak_concurrency"], second_stats["peak_concurrency"], full_stats["peak_concurrency"])

    result: dict[str, Any] = {
        "benchmark": "mailchimp_sync",
        "members": arguments.members,
        "segments": arguments.segments,
        "tag_memberships": sum(audience["tags"].values()),
        "latency_ms": round(arguments.latency * 1000),
        "setup_seconds": round(setup_seconds, 2),
        "initial_sync": {
            "seconds": round(initial_seconds, 2), "status": initial.status, "upserted": initial.upserted,
            "added": initial.added, "failed": initial.failed, "calls": _calls(initial_stats),
            "peak_concurrent_connections": initial_stats["peak_concurrency"],
            "refused_connections": initial_stats["refused_connections"],
        },
        "second_run": {"seconds": round(second_seconds, 2), "status": second.status, "calls": _calls(second_stats)},
        "full_reconcile": {
            "seconds": round(full_seconds, 2), "status": full.status, "calls": _calls(full_stats),
            "peak_concurrent_connections": full_stats["peak_concurrency"],
        },
        "peak_concurrent_connections": peak,
        "audience_members": audience["members"],
        "peak_rss_mb": peak_rss_mb(),
        "database": database_info(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    result["meets_targets"] = (
        initial_seconds < TARGET_INITIAL_SECONDS
        and peak <= TARGET_PEAK_CONNECTIONS
        and result["second_run"]["calls"]["write"] == 0
        and result["full_reconcile"]["calls"]["write"] == 0
    )
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    arguments = _arguments(argv)
    result = run(arguments)
    results_write(name="mailchimp_sync", result=result, results_dir=arguments.results_dir)
    return result


if __name__ == "__main__":
    main()
