"""Run the local Mailchimp stand-in as a server: `manage.py mailchimp_standin [--port 8765]`.

Point the shop at it with MAILCHIMP_STANDIN_URL=http://127.0.0.1:<port>/3.0 (and no
MAILCHIMP_API_KEY) so several processes share one audience. Fault injection and state:
POST /_standin/faults, GET /_standin/state, POST /_standin/reset.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from integrations.mailchimp.standin import MailchimpStandin


class Command(BaseCommand):
    help = "Serve the local Mailchimp stand-in (the endpoints the sync uses, with fault injection)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every call")

    def handle(self, *args: Any, **options: Any) -> None:
        standin = MailchimpStandin(host=options["host"], port=options["port"], latency=options["latency"])
        self.stdout.write(f"Mailchimp stand-in at {standin.url}  (MAILCHIMP_STANDIN_URL={standin.url})")
        self.stdout.flush()
        try:
            standin.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            standin.stop()
