"""What every benchmark shares: Django set-up, the machine and database it ran on, its JSON output."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "bench" / "results"


def django_setup(*, queue_tasks: bool = False) -> None:
    """Set up Django from the repository; `queue_tasks` keeps enqueued work out of the timed code."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b2bshop.settings")
        if queue_tasks:
            os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
        django.setup()


def database_info() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {"vendor": connection.vendor, "version": str(version)}


def machine_info() -> dict[str, Any]:
    return {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024, 1)


def results_write(*, name: str, result: dict[str, Any], results_dir: Path = RESULTS_DIR) -> None:
    """Print the result as JSON and keep it in bench/results/<name>.json (git-ignored)."""
    text = json.dumps(result, indent=2, default=str)
    print(text)
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"{name}.json").write_text(text + "\n")
