"""python manage.py import_erp ENTITY FILE [--format csv|jsonl|json] [--dry-run] [--strict]"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from integrations.erp.exceptions import ErpImportFileError
from integrations.erp.importers import IMPORTERS
from integrations.erp.readers import FORMATS
from integrations.erp.services import erp_import_file
from integrations.models import ImportRun

SHOWN_ERRORS = 20


class _TqdmStream:
    """tqdm writes partial lines; Django's OutputWrapper would end each write with a newline."""

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="")

    def flush(self) -> None:
        self.out.flush()


class Command(BaseCommand):
    help = "Import an ERP file (CSV, JSON lines or a JSON array) for one entity."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("entity", choices=list(IMPORTERS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, dest="fmt", help="default: detected from the content")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--strict", action="store_true", help="any bad row: import nothing")

    def handle(
        self, *args: Any, entity: str, file: Path, fmt: str | None, dry_run: bool, strict: bool, **options: Any
    ) -> None:
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        with tqdm(total=_line_count(file), unit=" rows", file=_TqdmStream(self.stderr), mininterval=0.5) as bar:

            def progress(rows: int) -> None:
                bar.update(rows - bar.n)

            try:
                run = erp_import_file(
                    entity=entity, path=file, fmt=fmt, dry_run=dry_run, strict=strict, progress=progress
                )
            except ErpImportFileError as exc:
                raise CommandError(f"import {exc.import_run.pk} failed: {exc.message}; nothing was imported") from exc
        self._summary(run)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"import {run.pk} failed: {run.message}")

    def _summary(self, run: ImportRun) -> None:
        verb = "would be " if run.dry_run else ""
        self.stdout.write(
            f"import {run.pk} of {run.entity} ({run.source_name}): {run.get_status_display().lower()}"
            f"{' (dry run, nothing written)' if run.dry_run else ''}\n"
            f"{run.rows} rows: {run.created} {verb}created, {run.updated} {verb}updated, "
            f"{run.unchanged} unchanged, {run.failed} failed"
        )
        for error in run.errors[:SHOWN_ERRORS]:
            column = f", column {error['column']}" if error["column"] else ""
            self.stdout.write(f"line {error['line']}{column}: {error['message']} (value '{error['value']}')")
        hidden = run.failed - min(len(run.errors), SHOWN_ERRORS)
        if run.errors and hidden > 0:
            self.stdout.write(f"... and {hidden} more bad rows; see import run {run.pk} in the admin")


def _line_count(path: Path) -> int:
    """Lines in the file (a rough total for the progress bar)."""
    with open(path, "rb") as stream:
        return max(sum(block.count(b"\n") for block in iter(lambda: stream.read(1024 * 1024), b"")) - 1, 0)
