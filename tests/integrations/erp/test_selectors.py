from datetime import datetime, timedelta, timezone

import pytest

from integrations.erp.selectors import erp_import_freshness
from integrations.models import ImportRun

NOW = datetime(2025, 3, 12, 12, 0, tzinfo=timezone.utc)


def _run(entity, *, finished_at, status=ImportRun.Status.SUCCEEDED, dry_run=False):
    return ImportRun.objects.create(
        entity=entity, source=ImportRun.Source.FILE, status=status, dry_run=dry_run, finished_at=finished_at
    )


def _by_entity():
    return {freshness.entity: freshness for freshness in erp_import_freshness(now=NOW)}


@pytest.mark.django_db
class ErpImportFreshnessTests:
    def test_lists_every_entity_in_load_order(self):
        entities = [freshness.entity for freshness in erp_import_freshness(now=NOW)]
        assert entities == ["categories", "companies", "contacts", "products", "prices", "orders"]

    def test_never_imported_is_stale_without_a_time(self):
        companies = _by_entity()["companies"]
        assert companies.last_success_at is None
        assert companies.age is None
        assert companies.is_stale is True

    def test_a_recent_successful_import_is_fresh(self):
        _run("companies", finished_at=NOW - timedelta(hours=3))
        companies = _by_entity()["companies"]
        assert companies.last_success_at == NOW - timedelta(hours=3)
        assert companies.age == timedelta(hours=3)
        assert companies.is_stale is False

    def test_an_import_older_than_36_hours_is_stale(self):
        _run("products", finished_at=NOW - timedelta(hours=36, minutes=1))
        assert _by_entity()["products"].is_stale is True

    def test_an_import_exactly_36_hours_old_is_still_fresh(self):
        _run("products", finished_at=NOW - timedelta(hours=36))
        assert _by_entity()["products"].is_stale is False

    def test_the_latest_successful_import_counts(self):
        _run("orders", finished_at=NOW - timedelta(days=3))
        _run("orders", finished_at=NOW - timedelta(hours=1))
        _run("orders", finished_at=NOW - timedelta(days=2))
        assert _by_entity()["orders"].last_success_at == NOW - timedelta(hours=1)

    def test_an_import_with_row_errors_counts_as_successful(self):
        _run("contacts", finished_at=NOW - timedelta(hours=1), status=ImportRun.Status.PARTIAL)
        assert _by_entity()["contacts"].is_stale is False

    def test_failed_running_and_dry_runs_are_ignored(self):
        _run("prices", finished_at=NOW - timedelta(days=5))
        _run("prices", finished_at=NOW - timedelta(hours=1), status=ImportRun.Status.FAILED)
        _run("prices", finished_at=None, status=ImportRun.Status.RUNNING)
        _run("prices", finished_at=NOW - timedelta(hours=1), dry_run=True)
        prices = _by_entity()["prices"]
        assert prices.last_success_at == NOW - timedelta(days=5)
        assert prices.is_stale is True

    def test_a_failure_after_the_last_success_is_flagged(self):
        _run("prices", finished_at=NOW - timedelta(hours=5))
        _run("prices", finished_at=NOW - timedelta(hours=1), status=ImportRun.Status.FAILED)
        _run("orders", finished_at=NOW - timedelta(hours=1))
        _run("orders", finished_at=NOW - timedelta(hours=5), status=ImportRun.Status.FAILED)
        freshness = _by_entity()
        assert freshness["prices"].failed_since_success is True
        assert freshness["prices"].last_failure_at == NOW - timedelta(hours=1)
        assert freshness["orders"].failed_since_success is False

    def test_entities_do_not_mix(self):
        _run("categories", finished_at=NOW - timedelta(hours=1))
        freshness = _by_entity()
        assert freshness["categories"].is_stale is False
        assert freshness["companies"].last_success_at is None

    def test_is_one_query(self, django_assert_num_queries):
        for entity in ImportRun.Entity:
            _run(entity, finished_at=NOW - timedelta(hours=1))
            _run(entity, finished_at=NOW, status=ImportRun.Status.FAILED)
        with django_assert_num_queries(1):
            erp_import_freshness(now=NOW)
