"""python manage.py outbox_flush: queue the tasks kept while the broker was unreachable."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from b2bshop.outbox.services import outbox_flush


class Command(BaseCommand):
    help = "Queue again the Celery tasks that could not be queued (broker down); run them eagerly in embedded mode."

    def handle(self, *args: Any, **options: Any) -> None:
        result = outbox_flush()
        self.stdout.write(f"{result.queued} queued, {result.failed} failed, {result.left} left in the outbox")
        if result.failed:
            raise CommandError("some tasks could not be queued; they stay in the outbox")
