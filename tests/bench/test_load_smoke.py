"""Smoke run of bench/load.py: a few buyers on `small` data under gunicorn while the segment refresh and the
Mailchimp sync run (no time assertions).

The benchmark runs as its own process, as it does by hand, against a scratch database of
this test: on PostgreSQL a database named after the test database and the xdist worker,
created and dropped here; on SQLite a file in the test's temporary folder. `--prepare
small` migrates it and loads the `small` dataset first.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings as django_settings
from psycopg2 import sql

LOAD_BENCH = Path(__file__).resolve().parents[2] / "bench" / "load.py"
PAGE_TYPES = {
    "login_page", "login", "home", "category", "product", "search", "delivery_moment",
    "cart_add", "cart", "checkout_page", "checkout_place",
}


def _postgresql_admin(database: dict):
    connection = psycopg2.connect(
        dbname="postgres", host=database["HOST"] or None, port=database["PORT"] or None,
        user=database["USER"] or None, password=database["PASSWORD"] or None,
    )
    connection.autocommit = True
    return connection


@pytest.fixture
def scratch_database_url(tmp_path) -> Iterator[str]:
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        yield f"sqlite:///{tmp_path / 'load.sqlite3'}"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{database['NAME']}_load_{worker}"[:63]
    credentials = quote(database["USER"] or "") + (f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else "")
    address = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    admin = _postgresql_admin(database)
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield f"postgres://{credentials}@{address}/{name}"
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        admin.close()


class LoadBenchSmokeTests:
    def test_buyers_request_every_page_type_without_errors_while_the_refresh_and_the_sync_run(
        self, scratch_database_url, tmp_path
    ):
        completed = subprocess.run(
            [sys.executable, str(LOAD_BENCH), "--smoke", "--prepare", "small", "--results-dir", str(tmp_path)],
            check=False, cwd=LOAD_BENCH.parents[1], env={**os.environ, "DATABASE_URL": scratch_database_url},
            capture_output=True, text=True, timeout=300,
        )
        assert completed.returncode == 0, completed.stderr[-4000:]
        result = json.loads((tmp_path / "load_smoke.json").read_text())
        assert json.loads(completed.stdout) == result

        assert result["errors"] == 0, (result["error_messages"], result["background"], result["log_tails"])
        assert set(result["page_types_requested"]) == PAGE_TYPES
        assert result["total"]["requests"] == sum(page["requests"] for page in result["pages"].values())
        assert result["orders_placed"] >= 1 and result["users"] == result["setup"]["buyers"] == 3
        for job in ("refresh", "sync"):
            background = result["background"][job]
            assert background["runs"] >= 1 and background["failed"] == 0 and background["exit_status"] == 0
            assert background["window_share"] > 0  # it ran while the buyers did
        category = result["pages"]["category"]
        assert 0 < category["p50"] <= category["p95"] <= category["p99"] <= category["max"]
        assert result["dataset"]["contacts"] == 1000 and result["setup"]["segments"] == 20
        assert {"cpu", "after_logins", "targets", "database", "cpu_count"} <= set(result)
