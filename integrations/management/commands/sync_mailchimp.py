"""Sync segments to Mailchimp tags now: `manage.py sync_mailchimp [--segment SLUG] [--dry-run] [--full]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from b2bshop.exceptions import ApplicationError
from integrations.mailchimp.consent import SkipReason
from integrations.mailchimp.exceptions import MailchimpError
from integrations.mailchimp.services import SyncProgress, SyncResult, mailchimp_sync
from segments.models import Segment


class Command(BaseCommand):
    help = (
        "Sync synced segments (or one) to their Mailchimp tags. --dry-run makes only GET calls and "
        "prints per tag what would change; --full compares with the tags' members in Mailchimp. "
        "An interrupted run of the same scope is resumed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--segment", metavar="SLUG", help="only this segment (default: every synced segment)")
        parser.add_argument("--dry-run", action="store_true", help="only GET calls; print what would change")
        parser.add_argument("--full", action="store_true", help="full reconcile against Mailchimp")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        segment_id = None
        if options["segment"]:
            segment = Segment.objects.filter(slug=options["segment"]).first()
            if segment is None:
                raise CommandError(f"There is no segment '{options['segment']}'.")
            segment_id = segment.pk
        bar = None if options["no_progress"] else tqdm(total=0, unit="chunk", desc="Mailchimp", file=self.stderr._out)

        def progress(event: SyncProgress) -> None:
            if bar is None:
                return
            bar.total = event.chunks_total
            bar.n = event.chunks_done
            bar.set_postfix_str(f"{event.tag} {event.phase}", refresh=False)
            bar.refresh()

        try:
            result = mailchimp_sync(
                segment_id=segment_id, dry_run=options["dry_run"], full=options["full"], on_progress=progress
            )
        except (ApplicationError, MailchimpError) as error:
            raise CommandError(error.message) from error
        finally:
            if bar is not None:
                bar.close()
        self._report(result, dry_run=options["dry_run"])

    def _report(self, result: SyncResult, *, dry_run: bool) -> None:
        labels = dict(SkipReason.choices)
        for tag in result.tags:
            skipped = (
                ", ".join(f"{labels.get(reason, reason)}: {count}" for reason, count in tag.skipped.items()) or "none"
            )
            if dry_run:
                rename = " (would be renamed)" if tag.renamed else ""
                self.stdout.write(
                    f"{tag.tag}{rename}: would add {tag.would_add}, would remove {tag.would_remove}, "
                    f"would upsert {tag.upserts}; skipped: {skipped}"
                )
            else:
                self.stdout.write(
                    f"{tag.tag} [{tag.state}]: planned add {tag.would_add}, remove {tag.would_remove}, "
                    f"upsert {tag.upserts}; skipped: {skipped}"
                )
        if not result.tags:
            self.stdout.write("No synced segments.")
        if not dry_run:
            self.stdout.write(
                f"Run {result.run_id} {result.status}: added {result.added}, removed {result.removed}, "
                f"upserted {result.upserted}, member errors {result.failed}."
            )
            if result.status == "interrupted":
                self.stdout.write(self.style.WARNING("Mailchimp was unavailable; run the command again to resume."))
