"""One command to a running demo: migrate, seed when empty, show the logins, run the server."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Company
from b2bshop.demo.loading import DEMO_LOGINS
from b2bshop.management.commands.seed_demo import write_logins


class Command(BaseCommand):
    help = "Migrate, seed the demo data when the database has no companies, and run the development server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port of the development server (default 8000)")
        parser.add_argument("--no-server", action="store_true", help="stop after migrating and seeding")

    def handle(self, *args, **options) -> None:
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        if Company.objects.exists():
            self.stdout.write("The database already has companies; not seeding (run seed_demo to refresh the demo).")
        else:
            call_command("seed_demo", verbosity=verbosity, stdout=self.stdout)
        url = f"http://127.0.0.1:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Shop: {url}   Admin: {url}admin/"))
        write_logins(self.stdout, DEMO_LOGINS)
        if not options["no_server"]:
            call_command("runserver", f"127.0.0.1:{options['port']}", use_reloader=False)
