"""Generate the deterministic synthetic shop (benchmarks, demos) and load it, or only write its files."""

import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from b2bshop.demo.dataset import SIZES, DatasetSpec, dataset_generate
from b2bshop.demo.loading import LoadResult, dataset_load, demo_seed
from b2bshop.demo.selectors import shop_data_counts


class Command(BaseCommand):
    help = (
        "Generate a deterministic synthetic shop: --size small|large, or --companies N --contacts M "
        "--order-lines L. Loads it through the ERP import; --out DIR only writes the files, --load DIR "
        "loads files written before."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), help="a standard size (see docs/demo-data.md)")
        parser.add_argument("--companies", type=int, help="number of companies (overrides --size)")
        parser.add_argument("--contacts", type=int, help="number of contacts (overrides --size)")
        parser.add_argument("--order-lines", type=int, help="number of order lines (overrides --size)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        files = parser.add_mutually_exclusive_group()
        files.add_argument("--out", type=Path, metavar="DIR", help="write the ERP and web files to DIR, load nothing")
        files.add_argument("--load", type=Path, metavar="DIR", help="load the files written earlier with --out")
        parser.add_argument(
            "--today", type=date.fromisoformat,
            help="the day the data ends (YYYY-MM-DD; default today): same seed and day, same files",
        )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        if options["load"]:
            result = dataset_load(directory=options["load"], progress=self.stdout.write)
            self._summary(started=started, load=result)
            return
        spec = _spec(options)
        today = options["today"] or timezone.localdate()
        if options["out"]:
            files = dataset_generate(
                spec=spec, out_dir=options["out"], today=today, time_zone=settings.SHOP_TIME_ZONE
            )
            self.stdout.write(f"Wrote the dataset to {files.directory} in {time.perf_counter() - started:.1f} s:")
            for name, value in files.stats.__dict__.items():
                self.stdout.write(f"  {name.replace('_', ' '):<26} {value:>12,}")
            return
        result = demo_seed(spec=spec, today=today, progress=self.stdout.write)
        self._summary(started=started, load=result.load)

    def _summary(self, *, started: float, load: LoadResult) -> None:
        self.stdout.write(self.style.SUCCESS(
            f"Loaded in {time.perf_counter() - started:.1f} s "
            f"({load.created:,} rows created, {load.updated:,} updated by the ERP import)."
        ))
        for name, value in shop_data_counts().as_rows():
            self.stdout.write(f"  {name:<26} {value:>12,}")


def _spec(options: dict) -> DatasetSpec:
    base = SIZES.get(options["size"] or "")
    values = {
        "companies": options["companies"] if options["companies"] is not None else base and base.companies,
        "contacts": options["contacts"] if options["contacts"] is not None else base and base.contacts,
        "order_lines": options["order_lines"] if options["order_lines"] is not None else base and base.order_lines,
    }
    missing = [name.replace("_", "-") for name, value in values.items() if value is None]
    if missing:
        raise CommandError(f"give --size small|large or --{', --'.join(missing)}")
    try:
        return DatasetSpec(seed=options["seed"], **values)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
