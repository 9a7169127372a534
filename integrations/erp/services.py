"""Writes of the ERP integration: the import (files and API bodies alike), connection use."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from integrations.erp.exceptions import ErpFileError, ErpImportFileError, ErpUnknownEntityError
from integrations.erp.importers import IMPORTERS
from integrations.erp.importers.base import ChunkResult
from integrations.erp.readers import table_open
from integrations.erp.report import ErrorLog, ImportCounts, printable
from integrations.erp.signals import erp_import_finished
from integrations.models import ErpConnection, ImportRun

_UNEXPECTED_ERROR = "the import stopped on an unexpected error; nothing was imported"
_INTERRUPTED = (
    "interrupted: the process running this import stopped before it finished (killed or crashed); "
    "nothing of it was imported"
)
# last_used_at is refreshed at most this often, not on every request.
_TOUCH_INTERVAL = timedelta(minutes=1)


class _StrictRollback(Exception):
    """Leaves the import's transaction so that nothing of a strict import with bad rows stays."""


@dataclass
class _Outcome:
    counts: ImportCounts
    log: ErrorLog


def erp_import(
    *,
    entity: str,
    stream: BinaryIO,
    source: str,
    source_name: str = "",
    fmt: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    connection: ErpConnection | None = None,
    triggered_by: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportRun:
    """Import one ERP file (CSV, JSON lines or a JSON array; `fmt=None` sniffs it).

    Always records an ImportRun. Row errors are reported on the run; good rows are
    applied unless `strict`. A file-level problem (empty, unreadable, missing or
    unknown columns) fails the run with nothing written and raises
    ErpImportFileError carrying the run. `progress` gets the number of rows read so far.
    """
    importer_class = IMPORTERS.get(entity)
    if importer_class is None:
        raise ErpUnknownEntityError(f"unknown entity '{entity}'; use one of {', '.join(IMPORTERS)}")
    import_runs_interrupted_mark()
    run = ImportRun.objects.create(
        entity=entity,
        source=source,
        source_name=source_name[:255],
        dry_run=dry_run,
        strict=strict,
        connection=connection,
        triggered_by=triggered_by,
    )
    try:
        outcome = _rows_import(
            run=run, entity=entity, stream=stream, fmt=fmt, dry_run=dry_run, strict=strict, progress=progress
        )
    except ErpFileError as exc:
        _import_run_finish(run=run, status=ImportRun.Status.FAILED, message=exc.message)
        raise ErpImportFileError(exc.message, import_run=run) from exc
    except Exception:
        _import_run_finish(run=run, status=ImportRun.Status.FAILED, message=_UNEXPECTED_ERROR)
        raise
    status, message = _import_status(counts=outcome.counts, strict=strict)
    if status == ImportRun.Status.FAILED and strict:
        outcome.counts.created = outcome.counts.updated = outcome.counts.unchanged = 0
    _import_run_finish(run=run, status=status, message=message, outcome=outcome)
    if not dry_run and status in (ImportRun.Status.SUCCEEDED, ImportRun.Status.PARTIAL):
        transaction.on_commit(partial(erp_import_finished.send, sender=ImportRun, import_run=run))
    return run


def erp_import_file(*, entity: str, path: str | Path, **kwargs: Any) -> ImportRun:
    """`erp_import` of a file on disk; the run's source name is the file name."""
    kwargs.setdefault("source", ImportRun.Source.FILE)
    kwargs.setdefault("source_name", Path(path).name)
    with open(path, "rb") as stream:
        return erp_import(entity=entity, stream=stream, **kwargs)


def import_runs_interrupted_mark() -> int:
    """Mark runs left `running` by a process that died (killed worker, crash) as failed; returns how many.

    A live import holds a row lock on its own run for as long as its transaction is open
    (`_rows_import`), so the runs that can be locked here have no process any more; the
    rows they were writing were rolled back with their transaction. SQLite has no row
    locks: there every running run is marked, and a live one sets its real status when it
    finishes.
    """
    with transaction.atomic():
        orphaned = list(
            ImportRun.objects.select_for_update(skip_locked=True)
            .filter(status=ImportRun.Status.RUNNING)
            .values_list("pk", flat=True)
        )
        if not orphaned:
            return 0
        return ImportRun.objects.filter(pk__in=orphaned, status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.FAILED, message=_INTERRUPTED, finished_at=timezone.now()
        )


def _rows_import(
    *,
    run: ImportRun,
    entity: str,
    stream: BinaryIO,
    fmt: str | None,
    dry_run: bool,
    strict: bool,
    progress: Callable[[int], None] | None,
) -> _Outcome:
    """Read, check and apply the file in chunks inside one transaction."""
    outcome = _Outcome(counts=ImportCounts(), log=ErrorLog(limit=settings.ERP_IMPORT_MAX_REPORTED_ERRORS))
    importer_class = IMPORTERS[entity]
    try:
        with transaction.atomic():
            # Held until the import's transaction ends: tells a later import this run is still alive.
            list(ImportRun.objects.select_for_update().filter(pk=run.pk).values_list("pk"))
            table = table_open(stream=stream, fmt=fmt, chunk_rows=settings.ERP_IMPORT_CHUNK_ROWS)
            if table.columns:
                importer_class.schema.header_check(table.columns)
            importer = importer_class(columns=table.columns, decimal_comma=table.decimal_comma, write=not dry_run)
            try:
                for chunk in table.chunks:
                    _outcome_add(outcome=outcome, result=importer.feed(chunk))
                    if strict and outcome.counts.failed:
                        importer.write = False  # everything is rolled back; only check the rest
                    if progress is not None:
                        progress(outcome.counts.rows)
                _outcome_add(outcome=outcome, result=importer.finish())
            finally:
                importer.close()
            if strict and outcome.counts.failed:
                raise _StrictRollback
    except _StrictRollback:
        pass
    return outcome


def _outcome_add(*, outcome: _Outcome, result: ChunkResult) -> None:
    outcome.counts.add(result.counts)
    outcome.log.extend(result.errors)


def _import_status(*, counts: ImportCounts, strict: bool) -> tuple[str, str]:
    if counts.failed and strict:
        return ImportRun.Status.FAILED, (
            f"{counts.failed} of {counts.rows} rows have errors; with strict, nothing was imported"
        )
    if counts.failed and counts.failed == counts.rows:
        return ImportRun.Status.FAILED, "no row could be imported; see the errors"
    if counts.failed:
        return ImportRun.Status.PARTIAL, f"{counts.failed} of {counts.rows} rows have errors and were not imported"
    return ImportRun.Status.SUCCEEDED, ""


def _import_run_finish(*, run: ImportRun, status: str, message: str, outcome: _Outcome | None = None) -> None:
    run.status = status
    run.message = printable(message)
    run.finished_at = timezone.now()
    if outcome is not None:
        counts = outcome.counts
        run.rows, run.created, run.updated = counts.rows, counts.created, counts.updated
        run.unchanged, run.failed = counts.unchanged, counts.failed
        run.errors = outcome.log.as_json()
        run.errors_truncated = outcome.log.truncated
    run.save()


def erp_connection_touch(*, connection: ErpConnection) -> None:
    """Record that the connection was used (at most once per minute)."""
    now = timezone.now()
    if connection.last_used_at is None or now - connection.last_used_at > _TOUCH_INTERVAL:
        ErpConnection.objects.filter(pk=connection.pk).update(last_used_at=now)
        connection.last_used_at = now
