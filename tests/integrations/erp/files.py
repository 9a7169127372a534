"""Small ERP files for the tests, built in the test itself."""

from integrations.models import ImportRun


def csv_text(header: str, *rows: str, separator: str = ",") -> str:
    """A CSV file from a header line and data lines (`separator` replaces ',' in all of them)."""
    lines = [header, *rows]
    if separator != ",":
        lines = [line.replace(",", separator) for line in lines]
    return "\n".join(lines) + "\n"


def errors_of(run: ImportRun) -> list[tuple[int, str, str]]:
    """(line, column, message) of each reported row error."""
    return [(error["line"], error["column"], error["message"]) for error in run.errors]


def counts_of(run: ImportRun) -> dict[str, int]:
    return {
        "rows": run.rows,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "failed": run.failed,
    }
