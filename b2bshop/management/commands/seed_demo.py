"""Fill the database with the demo flower and plant wholesaler; running it again changes nothing."""

import argparse
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandParser

from b2bshop.demo.dataset import DatasetSpec
from b2bshop.demo.loading import DemoLogin, demo_seed
from b2bshop.demo.offers import demo_offers_ensure
from b2bshop.demo.personalization import demo_personalization_ensure
from b2bshop.demo.segments import demo_mailchimp_sync, demo_segments_ensure
from b2bshop.demo.selectors import shop_data_counts
from segments.models import Segment

DEMO_SPEC = DatasetSpec(companies=150, contacts=450, order_lines=10_000, seed=42)


class Command(BaseCommand):
    help = (
        "Seed a believable flower and plant wholesaler (catalog, ~150 customers across Europe, two years "
        "of orders, open carts) through the ERP import, plus demo logins. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEMO_SPEC.seed, help="random seed (default 42)")
        # Smaller or larger demo shops (tests use a tiny one); not part of the documented interface.
        parser.add_argument("--companies", type=int, default=DEMO_SPEC.companies, help=argparse.SUPPRESS)
        parser.add_argument("--contacts", type=int, default=DEMO_SPEC.contacts, help=argparse.SUPPRESS)
        parser.add_argument("--order-lines", type=int, default=DEMO_SPEC.order_lines, help=argparse.SUPPRESS)
        parser.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, **options) -> None:
        spec = DatasetSpec(
            companies=options["companies"], contacts=options["contacts"], order_lines=options["order_lines"],
            seed=options["seed"],
        )
        started = time.perf_counter()
        progress = self.stdout.write if options["verbosity"] >= 1 else None
        result = demo_seed(spec=spec, today=options["today"], progress=progress)
        if progress:
            progress("creating the demo segments")
        created_segments = demo_segments_ensure(history_until=result.today, progress=progress)
        created_offers = demo_offers_ensure()
        created_personalization = demo_personalization_ensure()
        if progress:
            progress("syncing the campaign segments to Mailchimp")
        synced = demo_mailchimp_sync()
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready in {time.perf_counter() - started:.1f} s: the ERP import created "
            f"{result.load.created:,} and updated {result.load.updated:,} rows."
        ))
        for name, value in shop_data_counts().as_rows():
            self.stdout.write(f"  {name:<26} {value:>10,}")
        self.stdout.write(f"Segment offers: {created_offers} promotions, shipping and payment rules created.")
        self.stdout.write(f"Personalization: {created_personalization} banners, menu items and restrictions created.")
        self.stdout.write(f"Segments: {created_segments} created, {synced} synced to Mailchimp; members per segment:")
        for segment in Segment.objects.order_by("name"):
            self.stdout.write(f"  {segment.name:<44} {segment.member_count:>6,}")
        write_logins(self.stdout, result.load.logins)


def write_logins(stdout, logins: tuple[DemoLogin, ...]) -> None:
    stdout.write("Demo logins (email / password):")
    for login in logins:
        stdout.write(f"  {login.email:<36} {login.password:<18} {login.description}")
