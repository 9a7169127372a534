"""Benchmark: 50 buyers on the shop under gunicorn while a full segment refresh and a Mailchimp sync run.

On the configured database (DATABASE_URL; run it against PostgreSQL with the `large`
dataset, after `manage.py migrate` and `manage.py generate_dataset --size large`) and
cache (REDIS_URL), in one run, on this machine's loopback only:

- set-up (idempotent): the 20 benchmark segments of bench/segments.json
  (`segment_save`, and a first `segments_refresh_all` if one was never refreshed),
  their Mailchimp sync turned on
  (earlier sync records are forgotten, so the sync in the load window is an initial
  one), and --users buyers: active contacts of different, unblocked companies with a
  price group and delivery moments; they get one random password for this run
  (stored as one hash) and their open carts are emptied, so every order starts clean;
- the shop under gunicorn (DEBUG off, plain HTTP on 127.0.0.1), with a Celery worker
  for the tasks the pages queue when REDIS_URL is set (its Redis is the broker;
  without it the tasks run eagerly in the request, as in the embedded mode), and the
  Mailchimp stand-in in its own process (--latency per call);
- locust, headless (bench/load_locustfile.py): --users buyers log in through the login
  form and browse (home, category and product pages), search, change the delivery
  moment, add to the cart and order (checkout page and placing the order), waiting
  --wait-min..--wait-max seconds between actions; bounded by --run-time and
  --max-requests;
- once every buyer is in (--background-delay), a full segment refresh
  (`segments_refresh_all`) and a Mailchimp sync of every synced segment start in two
  processes of their own (bench/load_background.py) and are repeated until the load
  window ends (--background-once: once).

Reports requests per second, p50/p95/p99 per page type (for the whole run, and from
the moment every buyer had logged in: 50 password checks are a burst of their own),
the error count (responses other than the page's expected status, connection errors,
failed background runs, tracebacks in the server's and worker's logs), how long the
refreshes and syncs took, and where the machine's CPU went (bench/load_cpu.py: this
run's processes, PostgreSQL, and everything else on the machine); prints a table to
stderr and one JSON object to stdout and writes bench/results/load.json; exits 1 when
there were errors.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/load_large REDIS_URL=redis://127.0.0.1:6379/11 \\
        python bench/load.py
    python bench/load.py --smoke        # 3 buyers until each has requested every page type, at least 15 s
    python bench/load.py --smoke --prepare small   # on a fresh database: migrate and load `small` first (CI)

Targets (issue #8): 0 errors; p95 of the category page < 300 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    REPO,
    RESULTS_DIR,
    database_info,
    django_setup,
    machine_info,
    results_write,
)
from bench.load_cpu import CpuMeter

TARGET_CATEGORY_P95_MS = 300.0
PAGE_TYPES = (
    "login_page", "login", "home", "category", "product", "search", "delivery_moment",
    "cart_add", "cart", "checkout_page", "checkout_place",
)
# The smoke run ends once every buyer has requested every page type, after at least SMOKE_MIN_SECONDS of load
# (run_time is then only its upper bound).
SMOKE = {"users": 3, "spawn_rate": 3.0, "run_time": 60, "wait_min": 0.2, "wait_max": 0.5, "latency": 0.0,
         "max_requests": 5000}
SMOKE_MIN_SECONDS = 15
LOCUSTFILE = REPO / "bench" / "load_locustfile.py"
BACKGROUND = REPO / "bench" / "load_background.py"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent buyers (default 50)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="buyers started per second (default 5)")
    parser.add_argument("--run-time", type=int, default=120, help="seconds of load (default 120)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop after this many requests")
    parser.add_argument("--wait-min", type=float, default=1.0, help="a buyer's least pause between actions, s")
    parser.add_argument("--wait-max", type=float, default=3.0, help="a buyer's longest pause between actions, s")
    parser.add_argument("--workers", type=int, help="gunicorn worker processes (default 2 x cores + 1, --smoke 2; 1 without REDIS_URL)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the Mailchimp stand-in waits per call")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to serve on (default 127.0.0.1)")
    parser.add_argument("--background-delay", type=float, help="seconds into the load before the refresh and sync start "
                        "(default: when every buyer has started)")
    parser.add_argument("--background-once", action="store_true", help="run the refresh and the sync once each")
    parser.add_argument(
        "--background-nice", type=int, default=10,
        help="CPU niceness of the Celery worker and the background jobs, as a deploy on one host gives its workers "
             "(docker-compose: cpu_shares); 0 runs them at the web's priority (default 10)",
    )
    parser.add_argument("--no-background", action="store_true", help="no refresh and no sync (the load alone)")
    parser.add_argument("--smoke", action="store_true",
                        help="a short run: " + ", ".join(f"{key.replace('_', '-')} {value}" for key, value in SMOKE.items()))
    parser.add_argument("--prepare", choices=["small", "large"],
                        help="first migrate the (fresh) database and load the generated dataset of this size")
    parser.add_argument("--seed", type=int, default=1, help="seed for the choice of search words")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    arguments = parser.parse_args(argv)
    if arguments.smoke:
        for key, value in SMOKE.items():
            setattr(arguments, key, value)
    if not ipaddress.ip_address(arguments.host).is_loopback:
        parser.error("--host must be a loopback address: the benchmark never listens beyond this machine")
    if arguments.users < 1 or arguments.run_time < 1 or arguments.max_requests < 1:
        parser.error("--users, --run-time and --max-requests must be positive")
    return arguments


# --- Set-up --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSetup:
    buyers: list[str]
    password: str
    categories: list[str]
    search_terms: list[str]
    report: dict[str, Any]


def _queued_tasks_purge() -> int:
    """Empty the benchmark's own broker queue (a scratch database goes with its own broker database)."""
    from django.conf import settings

    if not (os.environ.get("CELERY_BROKER_URL") or settings.REDIS_URL):
        return 0  # no broker: tasks run in the request
    from b2bshop.celery import app

    return app.control.purge() or 0


def segments_and_sync_ensure() -> dict[str, Any]:
    """The benchmark segments, refreshed once, with their Mailchimp sync on and no sync history."""
    from bench.evaluators import segments_load
    from bench.refresh import segments_ensure
    from integrations.mailchimp.services import mailchimp_segment_sync_save
    from integrations.models import (
        MailchimpMember,
        MailchimpSegmentSync,
        MailchimpSyncRun,
    )
    from segments.models import SegmentMembership
    from segments.services import segments_refresh_all

    segments = segments_ensure(segments_load())
    others = MailchimpSegmentSync.objects.filter(enabled=True).exclude(segment__in=segments).count()
    if others:
        raise SystemExit(f"{others} other segment(s) are synced to Mailchimp here: run the benchmark on a scratch database.")
    # Tasks an interrupted earlier run left in the broker name the runs deleted below: drop them first.
    tasks_purged = _queued_tasks_purge()
    # A fresh stand-in holds no audience: forget what earlier runs sent, so this run's sync sends everything again.
    MailchimpSyncRun.objects.all().delete()
    MailchimpSegmentSync.objects.filter(segment__in=segments).delete()
    MailchimpMember.objects.all().delete()
    # Memberships for the pages to read; once only: bringing them up to date is the load window's refresh.
    refresh_seconds = None
    if any(segment.last_refreshed_at is None for segment in segments):
        started = time.perf_counter()
        segments_refresh_all()
        refresh_seconds = round(time.perf_counter() - started, 2)
    for segment in segments:
        mailchimp_segment_sync_save(segment=segment, enabled=True, sync_now=False)
    return {
        "segments": len(segments), "initial_refresh_seconds": refresh_seconds,
        "memberships": SegmentMembership.objects.filter(segment__in=segments).count(),
        "synced_segments": len(segments), "queued_tasks_purged": tasks_purged,
    }


def buyers_choose(count: int) -> list:
    """`count` active contacts of different unblocked companies with a price group and a delivery moment now."""
    from django.utils import timezone

    from accounts.models import Contact
    from orders.delivery_calendar import delivery_moments
    from orders.selectors import company_delivery_profile, shop_calendar_rules

    calendar, now = shop_calendar_rules(), timezone.now()
    chosen, companies = [], set()
    candidates = (
        Contact.objects.select_related("company")
        .filter(is_active=True, is_staff=False, company__blocked=False)
        .exclude(company__price_group="")
        .order_by("company_id", "pk")
    )
    for contact in candidates.iterator(chunk_size=500):
        if contact.company_id in companies:
            continue
        if delivery_moments(calendar=calendar, profile=company_delivery_profile(contact.company), now=now):
            chosen.append(contact)
            companies.add(contact.company_id)
            if len(chosen) == count:
                return chosen
    raise SystemExit(f"only {len(chosen)} companies have a buyer who can order now; use fewer --users")


def buyers_prepare(buyers: list) -> tuple[str, dict[str, Any]]:
    """One random password for this run on every buyer (hashed once), and empty carts."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Contact
    from orders.models import Cart

    password = secrets.token_urlsafe(18)
    ids = [buyer.pk for buyer in buyers]
    Contact.objects.filter(pk__in=ids).update(password=make_password(password))
    carts_emptied = Cart.objects.filter(contact_id__in=ids, status=Cart.Status.OPEN).delete()[1].get(Cart._meta.label, 0)
    return password, {"buyers": len(buyers), "companies": len({buyer.company_id for buyer in buyers}),
                      "open_carts_removed": carts_emptied}


def catalog_choose(seed: int) -> tuple[list[str], list[str]]:
    """Categories with active products (in them or below), and words from product names to search for."""
    from catalog.models import Category, Product

    names = list(Product.objects.filter(is_active=True).values_list("name", "category__path"))
    paths = {path for _name, path in names}
    categories = [
        slug for slug, path in Category.objects.order_by("path").values_list("slug", "path")
        if any(product_path.startswith(path) for product_path in paths)
    ]
    words = sorted({word.lower() for name, _path in names for word in name.split() if word.isalpha() and len(word) >= 4})
    return categories, sorted(random.Random(seed).sample(words, min(40, len(words))))


def dataset_prepare(*, size: str) -> None:
    """`manage.py migrate` and `manage.py generate_dataset --size <size>`, in this process."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("generate_dataset", size=size, verbosity=0, stdout=sys.stderr)  # stdout carries the JSON


def setup_ensure(*, users: int, seed: int) -> LoadSetup:
    segments = segments_and_sync_ensure()
    buyers = buyers_choose(users)
    password, buyer_report = buyers_prepare(buyers)
    categories, search_terms = catalog_choose(seed)
    if not categories:
        raise SystemExit("no category has active products: load a dataset first (manage.py generate_dataset)")
    return LoadSetup(
        buyers=[buyer.email for buyer in buyers], password=password, categories=categories, search_terms=search_terms,
        report={**segments, **buyer_report, "categories": len(categories), "search_terms": len(search_terms)},
    )


# --- The processes -------------------------------------------------------------------------------------------------


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def server_environment(*, standin_url: str, broker: str | None) -> dict[str, str]:
    """The shop in deploy mode (DEBUG off), but over plain HTTP on the loopback: no HTTPS redirect, no secure cookies."""
    environment = {
        **os.environ, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "0",
        "MAILCHIMP_API_KEY": "", "MAILCHIMP_STANDIN_URL": standin_url, "PYTHONUNBUFFERED": "1",
    }
    if broker:
        environment.update({"CELERY_BROKER_URL": broker, "CELERY_TASK_ALWAYS_EAGER": "false"})
    else:
        environment.pop("CELERY_BROKER_URL", None)
        environment["CELERY_TASK_ALWAYS_EAGER"] = "true"
    return environment


class Processes:
    """Child processes started by the run, each stopped (gently, then for good) when the run ends."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[tuple[str, subprocess.Popen]] = []
        self.logs = ExitStack()

    def start(
        self, name: str, command: list[str], *, environment: dict[str, str], stdout: Any = None, niceness: int = 0
    ) -> subprocess.Popen:
        log = self.logs.enter_context((self.directory / f"{name}.log").open("w"))
        process = subprocess.Popen(
            command, cwd=REPO, env=environment, stdout=stdout or log, stderr=log, text=True,
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
        )
        self.started.append((name, process))
        return process

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _name, process in reversed(self.started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.logs.close()


def _warm_up(url: str, *, paths: list[str], rounds: int) -> None:
    """Untimed anonymous requests first, so that every worker has loaded its code and templates."""
    for _ in range(rounds):
        for path in paths:
            with urllib.request.urlopen(url + path, timeout=60) as response:
                response.read()


def _queue_drain(broker: str, *, timeout: float = 180) -> float:
    """Wait until the worker has taken every task the load queued (none is left for a later run); the seconds it took."""
    import redis

    started = time.monotonic()
    client = redis.Redis.from_url(broker)
    while client.llen("celery") and time.monotonic() - started < timeout:
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)  # the task in hand finishes at the worker's warm shutdown


def _wait_until_serving(url: str, process: subprocess.Popen, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {process.returncode}; see its log")
        try:
            with urllib.request.urlopen(url + "/healthz/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz/ in time")


# --- Figures -------------------------------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index]


def _is_error(sample: dict[str, Any]) -> bool:
    return sample["error"] is not None


def page_figures(samples: list[dict[str, Any]], seconds: float) -> dict[str, dict[str, Any]]:
    """Per page type: requests, errors, requests per second and response-time percentiles in ms."""
    pages: dict[str, dict[str, Any]] = {}
    for name in PAGE_TYPES:
        mine = [sample for sample in samples if sample["name"] == name]
        times = [sample["ms"] for sample in mine]
        pages[name] = {
            "requests": len(mine), "errors": sum(1 for sample in mine if _is_error(sample)),
            "rps": round(len(mine) / seconds, 2) if seconds else 0.0,
            **({
                "p50": round(_percentile(times, 0.50), 1), "p95": round(_percentile(times, 0.95), 1),
                "p99": round(_percentile(times, 0.99), 1), "max": round(max(times), 1),
                "mean": round(statistics.fmean(times), 1),
            } if times else {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}),
        }
    return pages


def background_figures(
    outputs: dict[str, tuple[int, list[str]]], *, window: tuple[float, float]
) -> dict[str, Any]:
    """The refresh and sync runs: each one's figures, the failed ones, and how much of the load window they covered.

    `outputs`: per job, the process's exit status and its lines (one JSON object per finished run).
    """
    figures: dict[str, Any] = {}
    for job, (status, output) in outputs.items():
        runs = [json.loads(line) for line in output if line.startswith('{"job"')]
        covered = sum(
            max(0.0, min(run["started"] + run["seconds"], window[1]) - max(run["started"], window[0])) for run in runs
        )
        figures[job] = {
            "runs": len(runs),
            "failed": sum(1 for run in runs if not _background_ok(run)) + (status != 0),
            "exit_status": status,
            "seconds": [run["seconds"] for run in runs],
            "window_share": round(covered / (window[1] - window[0]), 3) if window[1] > window[0] else 0.0,
            "details": [{key: value for key, value in run.items() if key != "job"} for run in runs],
        }
    return figures


def _background_ok(run: dict[str, Any]) -> bool:
    # A sync that found Mailchimp unavailable (interrupted), failed or had member errors is an error; "skipped"
    # and "partial" without member errors mean another sync held a segment's lease (the worker's, after a
    # refresh changed its members) and a rerun was requested: the designed outcome.
    return run.get("status") not in ("failed", "interrupted") and not run.get("failed")


def server_errors(log: str) -> int:
    """Tracebacks and worker timeouts in the server's and worker's logs (a 500 is logged with its traceback)."""
    return log.count("Traceback (most recent call last)") + log.count("WORKER TIMEOUT")


def _page_table(pages: dict[str, dict[str, Any]], total: dict[str, Any]) -> list[str]:
    rows = [f"{'page':<16}{'requests':>9}{'errors':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"]
    for name, page in pages.items():
        cells = [f"{page[key]:>9.1f}" if page[key] is not None else f"{'-':>9}" for key in ("p50", "p95", "p99", "max")]
        rows.append(f"{name:<16}{page['requests']:>9}{page['errors']:>7}{page['rps']:>8.2f}{''.join(cells)}")
    rows.append(f"{'all':<16}{total['requests']:>9}{total['errors']:>7}{total['rps']:>8.2f}")
    return rows


def table(result: dict[str, Any]) -> str:
    rows = [f"The whole run ({result['measured_seconds']} s):", *_page_table(result["pages"], result["total"])]
    steady = result["after_logins"]
    rows += [f"After every buyer had logged in (from {steady['from_s']} s, {steady['seconds']} s):",
             *_page_table(steady["pages"], steady["total"])]
    for job, figures in result["background"].items():
        rows.append(f"{job}: {figures['runs']} run(s), {figures['failed']} failed, seconds {figures['seconds']}, "
                    f"{100 * figures['window_share']:.0f}% of the load window")
    rows.append(f"orders placed {result['orders_placed']}, checkout conflicts (409) {result['checkout_conflicts']}, "
                f"server errors logged {result['server_errors_logged']}, errors in all {result['errors']}")
    cpu = result["cpu"]
    rows.append(f"CPU seconds: {cpu['parts_cpu_seconds']}, unattributed {cpu['unattributed_cpu_seconds']}; machine busy "
                f"{cpu['machine_busy_cpu_seconds']} of {cpu['machine_capacity_cpu_seconds']}")
    rows.append(f"targets: {result['targets']}")
    return "\n".join(rows)


# --- The run -------------------------------------------------------------------------------------------------------


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    django_setup(queue_tasks=True)  # the set-up's own tasks are not run here
    from django.conf import settings
    from django.db import connections

    from bench.mailchimp_sync import StandinProcess
    from bench.refresh import dataset_size

    shared_cache = bool(settings.REDIS_URL)
    default_workers = (2 if arguments.smoke else 2 * (os.cpu_count() or 1) + 1) if shared_cache else 1
    workers = arguments.workers or default_workers
    if workers > 1 and not shared_cache:
        raise SystemExit("several gunicorn workers need a shared cache (sessions, segment ids): set REDIS_URL or --workers 1")
    broker = os.environ.get("CELERY_BROKER_URL") or settings.REDIS_URL or None

    background_delay = arguments.background_delay
    if background_delay is None:
        background_delay = min(arguments.users / arguments.spawn_rate, arguments.run_time / 3)
    port = _free_port(arguments.host)
    host = f"[{arguments.host}]" if ":" in arguments.host else arguments.host
    url = f"http://{host}:{port}"
    load_before = os.getloadavg()
    starting = time.time()

    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        directory = Path(scratch)
        processes = Processes(directory)
        standin = StandinProcess(latency=arguments.latency)
        try:
            environment = server_environment(standin_url=standin.url, broker=broker)
            plan = directory / "plan.json"
            samples_path = directory / "samples.json"
            start_file, stop_file = directory / "load-started", directory / "load-ended"
            # Every process starts at once and sets Django up in parallel; the refresh and the sync then wait
            # for the start file, which gives them the moment to begin (--background-delay into the load).
            # The celery worker takes only what the pages queue: this process's own set-up queues nothing.
            gunicorn = processes.start("gunicorn", [
                sys.executable, "-m", "gunicorn", "b2bshop.wsgi:application", "--bind", f"{host}:{port}",
                "--workers", str(workers), "--preload", "--timeout", "120", "--graceful-timeout", "10", "--log-level", "warning",
            ], environment=environment)
            if broker:
                processes.start("celery", [
                    sys.executable, "-m", "celery", "-A", "b2bshop", "worker", "--pool", "solo",
                    "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING",
                ], environment=environment, niceness=arguments.background_nice)
            background: dict[str, subprocess.Popen] = {}
            if not arguments.no_background:
                for job in ("refresh", "sync"):
                    background[job] = processes.start(job, [
                        sys.executable, str(BACKGROUND), job, "--start-file", str(start_file), "--stop-file", str(stop_file),
                        *(["--once"] if arguments.background_once else []),
                    ], environment=environment, stdout=subprocess.PIPE, niceness=arguments.background_nice)
            # While they import, this process prepares the data (nothing of theirs touches the database yet).
            setup_started = time.perf_counter()
            if arguments.prepare:
                dataset_prepare(size=arguments.prepare)
            setup = setup_ensure(users=arguments.users, seed=arguments.seed)
            setup_seconds = time.perf_counter() - setup_started
            connections.close_all()  # nothing of ours holds a connection or a lock during the load
            _wait_until_serving(url, gunicorn)
            _warm_up(url, paths=["/", f"/c/{setup.categories[0]}/"], rounds=workers)
            for job, process in background.items():
                if json.loads(process.stdout.readline() or "{}").get("ready") is not True:
                    raise SystemExit(f"the background {job} did not start; see its log")
            plan.write_text(json.dumps({
                "buyers": setup.buyers, "password": setup.password, "categories": setup.categories,
                "search_terms": setup.search_terms, "max_requests": arguments.max_requests,
                "wait_min": arguments.wait_min, "wait_max": arguments.wait_max, "users": arguments.users,
                "stop_after_first_visits": arguments.smoke, "min_seconds": SMOKE_MIN_SECONDS,
            }))
            load_started = time.time()
            locust = processes.start("locust", [
                sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
                "--users", str(arguments.users), "--spawn-rate", str(arguments.spawn_rate),
                "--run-time", f"{arguments.run_time}s", "--stop-timeout", "0", "--only-summary", "--loglevel", "WARNING",
            ], environment={**environment, "LOAD_PLAN": str(plan), "LOAD_SAMPLES": str(samples_path)})
            written = directory / "load-started.part"
            written.write_text(json.dumps({"start_at": load_started + background_delay, "until": load_started + arguments.run_time}))
            written.replace(start_file)  # appears whole
            meter = CpuMeter(
                roots={"mailchimp stand-in": standin.process.pid, **{name: process.pid for name, process in processes.started}},
                database=str(settings.DATABASES["default"]["NAME"]),
            )
            meter.start()
            locust.wait(timeout=arguments.run_time + 120)
            load_ended = time.time()
            stop_file.touch()
            cpu = meter.stop()
            outputs = {}
            for job, process in background.items():
                output = process.communicate(timeout=900)[0]
                outputs[job] = (process.returncode, output.splitlines())
            background_ended = time.time()
            queue_drain_seconds = _queue_drain(broker) if broker and broker.startswith(("redis://", "rediss://")) else 0.0
            load_after = os.getloadavg()
            if not samples_path.exists():
                raise SystemExit("locust wrote no samples:\n" + processes.log("locust")[-3000:])
            samples = json.loads(samples_path.read_text())["samples"]
        finally:
            stopping = time.time()
            processes.stop_all()
            standin.stop()
            stopped = time.time()
        # After shutdown, so everything they wrote is in.
        logs = {name: processes.log(name) for name in ("gunicorn", "celery", "refresh", "sync")
                if (directory / f"{name}.log").exists()}

    first = min((sample["start"] for sample in samples), default=load_started)
    last = max((sample["start"] + sample["ms"] / 1000 for sample in samples), default=load_ended)
    seconds = max(last - first, 1e-9)
    pages = page_figures(samples, seconds)
    # Once every buyer has logged in: 50 password checks at the start (PBKDF2, ~0.25 s of CPU each) are a burst
    # of their own, reported apart so that the steady state can be read too.
    logins = [sample["start"] + sample["ms"] / 1000 for sample in samples if sample["name"] == "login"]
    steady_from = max(logins, default=first)
    steady_samples = [sample for sample in samples if sample["start"] >= steady_from]
    steady_seconds = max(last - steady_from, 1e-9)
    background_result = background_figures(outputs, window=(first, last))
    request_errors = sum(1 for sample in samples if _is_error(sample))
    logged = sum(server_errors(logs[name]) for name in ("gunicorn", "celery") if name in logs)
    background_failed = sum(figures["failed"] for figures in background_result.values())
    errors = request_errors + background_failed + logged
    category_p95 = pages["category"]["p95"]
    result: dict[str, Any] = {
        "benchmark": "load",
        "smoke": arguments.smoke,
        "users": arguments.users, "spawn_rate": arguments.spawn_rate, "run_time_s": arguments.run_time,
        "max_requests": arguments.max_requests, "wait_s": [arguments.wait_min, arguments.wait_max],
        "gunicorn_workers": workers, "tasks": "celery worker (one process, solo pool)" if broker else "eager, in the request",
        "standin_latency_ms": round(arguments.latency * 1000),
        "background_delay_s": round(background_delay, 1), "background_nice": arguments.background_nice,
        "background": background_result,
        "task_queue_drain_s": queue_drain_seconds,
        "background_outlasted_load_s": round(max(0.0, background_ended - load_ended), 1) if background else 0.0,
        "setup": setup.report, "setup_seconds": round(setup_seconds, 1),
        "phase_seconds": {
            "setup": round(setup_seconds, 1), "processes_start_after_setup": round(load_started - starting - setup_seconds, 1),
            "load": round(load_ended - load_started, 1), "background_and_queue_tail": round(stopping - load_ended, 1),
            "processes_stop": round(stopped - stopping, 1),
        },
        "measured_seconds": round(seconds, 1),
        "total": {"requests": len(samples), "errors": request_errors, "rps": round(len(samples) / seconds, 2)},
        "pages": pages,
        "after_logins": {
            "from_s": round(steady_from - first, 1), "seconds": round(steady_seconds, 1),
            "total": {"requests": len(steady_samples), "errors": sum(1 for sample in steady_samples if _is_error(sample)),
                      "rps": round(len(steady_samples) / steady_seconds, 2)},
            "pages": page_figures(steady_samples, steady_seconds),
        },
        "cpu": cpu,
        "page_types_requested": sorted(name for name, page in pages.items() if page["requests"]),
        "orders_placed": sum(1 for s in samples if s["name"] == "checkout_place" and s["status"] == 302 and not s["error"]),
        "checkout_conflicts": sum(1 for s in samples if s["name"] == "checkout_place" and s["status"] == 409),
        "error_messages": dict(Counter(s["error"] for s in samples if s["error"]).most_common(10)),
        "server_errors_logged": logged,
        "errors": errors,
        "log_tails": {name: log[-2000:] for name, log in logs.items() if server_errors(log)},
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "dataset": dataset_size(),
        "database": database_info(),
        "cache": settings.CACHES["default"]["BACKEND"],
        **machine_info(),
    }
    steady_p95 = result["after_logins"]["pages"]["category"]["p95"]
    result["targets"] = {
        "zero_errors": errors == 0,
        "category_p95_under_300ms": category_p95 is not None and category_p95 < TARGET_CATEGORY_P95_MS,
        "category_p95_under_300ms_after_logins": steady_p95 is not None and steady_p95 < TARGET_CATEGORY_P95_MS,
    }
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    arguments = _arguments(argv)
    result = run(arguments)
    print(table(result), file=sys.stderr)
    results_write(name="load_smoke" if arguments.smoke else "load", result=result, results_dir=arguments.results_dir)
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["errors"] == 0 else 1)
