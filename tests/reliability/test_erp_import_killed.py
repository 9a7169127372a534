"""A worker killed in the middle of an ERP import: nothing of it stays, the re-run imports everything once.

The import runs in one transaction, so a process that dies mid-file leaves no rows; only
its `ImportRun` stays `running`. The next import marks such a run failed ("interrupted")
and imports the file completely, with the same counts and rows as an uninterrupted run.

The honest kill: a separate process imports the file and is killed with SIGKILL after its
first chunk, with the import's transaction open. It works on the test database: on
PostgreSQL directly, on SQLite (in memory in the tests) through a file copy that is
copied back after the kill.
"""

import io
import os
import sqlite3
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction

from integrations.erp.services import erp_import, import_runs_interrupted_mark
from integrations.models import ImportRun
from orders.models import Order, OrderLine
from tests.accounts.factories import CompanyFactory
from tests.catalog.factories import ProductFactory
from tests.reliability.processes import sigkill_at

CHUNK_ROWS = 40
ORDERS = 60  # two lines each: 120 rows, three chunks


class WorkerKilled(BaseException):
    """A worker dying mid-import: no `except Exception` clean-up runs."""


def _orders_csv() -> bytes:
    lines = ["order_number,line_no,company_erp_id,ordered_at,channel,sku,quantity,unit_price"]
    for number in range(ORDERS):
        for line_no, sku in ((1, "ROSE"), (2, "TULIP")):
            lines.append(f"ERP-{number:04d},{line_no},C{number % 3},2026-03-{number % 28 + 1:02d}T09:00:00,phone,{sku},{number % 7 + 1},2.50")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def erp_base(settings):
    settings.ERP_IMPORT_CHUNK_ROWS = CHUNK_ROWS
    for erp_id in ("C0", "C1", "C2"):
        CompanyFactory(erp_id=erp_id)
    ProductFactory(sku="ROSE")
    ProductFactory(sku="TULIP")


def _import(**kwargs) -> ImportRun:
    return erp_import(entity="orders", stream=io.BytesIO(_orders_csv()), source=ImportRun.Source.FILE,
                      source_name="orders.csv", **kwargs)


def _orders_state() -> tuple[int, int, Decimal, list[tuple[str, int]]]:
    lines = OrderLine.objects.order_by("order__order_number", "line_no")
    return (
        Order.objects.count(),
        lines.count(),
        sum(Order.objects.values_list("total_amount", flat=True), Decimal(0)),
        [(line.order.order_number, line.quantity) for line in lines.select_related("order")][:6],
    )


def _expected_state() -> tuple[int, int, Decimal, list[tuple[str, int]]]:
    total = sum(Decimal("2.50") * (number % 7 + 1) * 2 for number in range(ORDERS))
    first = [("ERP-0000", 1), ("ERP-0000", 1), ("ERP-0001", 2), ("ERP-0001", 2), ("ERP-0002", 3), ("ERP-0002", 3)]
    return ORDERS, ORDERS * 2, total, first


def _after_the_kill_the_rerun_imports_everything_once(killed: ImportRun) -> None:
    assert killed.status == ImportRun.Status.RUNNING  # what the dead process left
    assert (Order.objects.count(), OrderLine.objects.count()) == (0, 0)  # its transaction was rolled back

    rerun = _import()

    killed.refresh_from_db()
    assert killed.status == ImportRun.Status.FAILED and killed.message.startswith("interrupted")
    assert (killed.created, killed.updated, killed.finished_at is not None) == (0, 0, True)
    assert (rerun.status, rerun.rows, rerun.created, rerun.updated, rerun.failed) == ("succeeded", 120, 120, 0, 0)
    assert _orders_state() == _expected_state()
    # Nothing is counted twice: the only run with counts is the re-run, and importing again changes nothing.
    again = _import()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 120)
    assert _orders_state() == _expected_state()
    assert list(ImportRun.objects.order_by("pk").values_list("status", flat=True)) == ["failed", "succeeded", "succeeded"]


@pytest.mark.django_db
class KilledInProcessTests:
    def test_an_import_dying_after_its_first_chunk_is_marked_and_the_rerun_imports_everything_once(self, erp_base):
        def die_after_the_first_chunk(rows: int) -> None:
            if rows >= CHUNK_ROWS:
                raise WorkerKilled

        with pytest.raises(WorkerKilled):
            _import(progress=die_after_the_first_chunk)

        _after_the_kill_the_rerun_imports_everything_once(ImportRun.objects.get())

    def test_an_uninterrupted_import_gives_the_expected_state(self, erp_base):
        run = _import()
        assert (run.status, run.created) == ("succeeded", 120)
        assert _orders_state() == _expected_state()


@pytest.mark.django_db(transaction=True)
class LiveImportTests:
    def test_a_live_import_is_not_marked_by_an_import_starting_meanwhile(self, erp_base):
        """Between two chunks of a running import, another process's import starts (its own connection)."""
        seen = []

        def another_import_starts(rows: int) -> None:
            if rows != CHUNK_ROWS:
                return
            if connection.vendor == "sqlite":
                # No row locks: the live run is marked, and sets its real status when it ends.
                seen.append(import_runs_interrupted_mark())
                return
            other = threading.Thread(target=lambda: (seen.append(import_runs_interrupted_mark()), connections.close_all()))
            other.start()
            other.join(timeout=30)

        run = _import(progress=another_import_starts)

        assert seen == ([1] if connection.vendor == "sqlite" else [0])  # PostgreSQL: the live run's row is locked
        assert (run.status, ImportRun.objects.get().status, run.created) == ("succeeded", "succeeded", 120)


DRIVER = """
import os, sys, time
import django
django.setup()
from integrations.erp.services import erp_import_file

def progress(rows):
    print(f"chunk done: {rows}", flush=True)
    time.sleep(120)  # killed here, with the import's transaction open

erp_import_file(entity="orders", path=sys.argv[1], progress=progress)
"""


def _database_url(sqlite_copy) -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{sqlite_copy}"


@pytest.mark.django_db(transaction=True)
class KilledProcessTests:
    def test_a_process_killed_after_its_first_chunk_leaves_nothing_and_the_rerun_imports_everything_once(
        self, erp_base, tmp_path
    ):
        path = tmp_path / "orders.csv"
        path.write_bytes(_orders_csv())
        sqlite_copy = tmp_path / "test.sqlite3"
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(sqlite_copy) as copy:
                connection.connection.backup(copy)
        env = {
            **os.environ, "DATABASE_URL": _database_url(sqlite_copy), "ERP_IMPORT_CHUNK_ROWS": str(CHUNK_ROWS),
            "DJANGO_SETTINGS_MODULE": "b2bshop.settings", "CELERY_BROKER_URL": "memory://localhost/",
        }
        process = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(path)], cwd=django_settings.BASE_DIR, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        sigkill_at(process, line_starts_with="chunk done: 40", timeout=30)

        if connection.vendor == "sqlite":
            with sqlite3.connect(sqlite_copy) as copy:
                copy.backup(connection.connection)  # the killed process's database is now the test's
        else:
            _wait_until_the_server_ended_the_dead_session()
        _after_the_kill_the_rerun_imports_everything_once(ImportRun.objects.get())


def _wait_until_the_server_ended_the_dead_session() -> None:
    """PostgreSQL notices the closed socket and rolls the transaction back; until then its lock is held."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with transaction.atomic():
            if ImportRun.objects.select_for_update(skip_locked=True).filter(status="running").exists():
                return
        time.sleep(0.1)
    raise AssertionError("the killed import's session is still open on the server")
