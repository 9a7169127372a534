"""The background work of bench/load.py: a full segment refresh, or a Mailchimp sync, in a process of its own.

    python bench/load_background.py refresh --start-file PATH [--stop-file PATH] [--once]
    python bench/load_background.py sync --start-file PATH [--stop-file PATH] [--once]

Sets Django up and prints {"ready": true}; waits for the start file (JSON: `start_at`,
`until`, epoch seconds) and for `start_at`; runs the job, then again and again until
`until` has passed or the stop file exists (`--once`: once). Works on the configured
database; the sync talks to the stand-in at MAILCHIMP_STANDIN_URL. Prints one JSON line
per run (what it did and how long it took); a run that raises ends the process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import django_setup


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("job", choices=["refresh", "sync"])
    parser.add_argument("--start-file", type=Path, required=True,
                        help="wait for this file: JSON with start_at and until (epoch seconds)")
    parser.add_argument("--stop-file", type=Path, help="start no further run once this file exists (the load has ended)")
    parser.add_argument("--once", action="store_true", help="run the job only once")
    return parser.parse_args(argv)


def refresh_once() -> dict[str, Any]:
    from segments.services import segments_refresh_all

    results = segments_refresh_all()
    return {
        "segments": len(results),
        "joined": sum(result.joined for result in results),
        "left": sum(result.left for result in results),
    }


def sync_once() -> dict[str, Any]:
    from integrations.mailchimp.services import mailchimp_sync

    result = mailchimp_sync()
    return {
        "status": result.status, "added": result.added, "removed": result.removed,
        "upserted": result.upserted, "failed": result.failed,
    }


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    django_setup()
    job = {"refresh": refresh_once, "sync": sync_once}[arguments.job]
    print(json.dumps({"ready": True}), flush=True)
    while not arguments.start_file.exists():
        time.sleep(0.1)
    timing = json.loads(arguments.start_file.read_text())
    time.sleep(max(0.0, timing["start_at"] - time.time()))
    while True:
        started = time.time()
        outcome = job()  # an exception ends the process with its traceback: bench/load.py counts it as an error
        finished = time.time()
        print(json.dumps({"job": arguments.job, "started": started, "seconds": round(finished - started, 3), **outcome}),
              flush=True)
        if arguments.once or finished >= timing["until"] or (arguments.stop_file and arguments.stop_file.exists()):
            return 0

if __name__ == "__main__":
    sys.exit(main())
