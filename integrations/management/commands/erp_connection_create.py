"""python manage.py erp_connection_create NAME: prints the new connection's API token once."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.erp.connections import erp_connection_create


class Command(BaseCommand):
    help = "Create an ERP connection and print its API token (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        try:
            connection, token = erp_connection_create(name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(f"ERP connection '{connection.name}' created. Its token (shown only now):")
        self.stdout.write(token)
