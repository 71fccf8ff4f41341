"""Run the RxScale stand-in on loopback, for the demo and for trying the client by hand."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rxscale.demo import demo_payloads
from rxscale.standin import RxScaleStandin


class Command(BaseCommand):
    help = (
        "Serve a loopback stand-in for RxScale's External Pharmacy API (in-memory, seeded from "
        "the sample payloads) that sends signed webhooks back for every change."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument(
            "--webhook-url",
            default="http://127.0.0.1:8000/webhooks/rxscale",
            help="Where to send webhooks; empty sends none",
        )
        parser.add_argument(
            "--secret", help="Webhook signing secret (default: the first configured)"
        )
        parser.add_argument(
            "--api-key", help="The key the stand-in accepts (default: RXSCALE_API_KEY)"
        )
        parser.add_argument("--orders", type=int, default=3, help="Seeded sample orders")
        parser.add_argument(
            "--seed",
            choices=["samples", "demo"],
            default="samples",
            help="demo: hold the orders and SKUs that load_demo_data delivers (make run)",
        )

    def handle(self, *args, **options):
        api_key = options["api_key"] or settings.RXSCALE_API_KEY
        if not api_key:
            raise CommandError("No API key: pass --api-key or set RXSCALE_API_KEY.")
        secret = options["secret"] or next(iter(settings.RXSCALE_WEBHOOK_SECRETS), "")
        if options["webhook_url"] and not secret:
            raise CommandError("No secret: pass --secret or set RXSCALE_WEBHOOK_SECRETS.")
        standin = RxScaleStandin(
            api_key=api_key,
            prefix=settings.RXSCALE_API_PREFIX,
            webhook_url=options["webhook_url"],
            webhook_secret=secret,
            stock_field=settings.RXSCALE_API_SKU_STOCK_FIELD,
            external_id_field=settings.RXSCALE_API_SKU_EXTERNAL_ID_FIELD,
        )
        if options["seed"] == "demo":
            standin.seed_from_events(demo_payloads())
        else:
            standin.seed_from_samples(orders=options["orders"])
        webhooks_to = options["webhook_url"] or "nowhere"

        def announce(running: RxScaleStandin) -> None:
            self.stdout.write(
                f"RxScale stand-in on {running.base_url}{running.prefix}/ (webhooks to "
                f"{webhooks_to}). Point the app at it with RXSCALE_API_BASE_URL="
                f"{running.base_url}. Ctrl-C stops."
            )
            self.stdout.flush()

        try:
            standin.serve_forever(port=options["port"], on_ready=announce)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
