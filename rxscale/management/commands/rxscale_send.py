"""Build a realistic RxScale payload, sign it and POST it, as RxScale would."""

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rxscale.inbox.payload import encode_body
from rxscale.inbox.samples import LEVELS, build_payload, sample_pdf
from rxscale.inbox.signature import sign


class Command(BaseCommand):
    help = (
        "Send a signed sample webhook. EVENT is an event type such as pharmacy_order_created, "
        "pharmacy_order_updated, pharmacy_sku_stock_updated, patient_doctor_meeting_updated "
        "or prescription.doctor_changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("event")
        parser.add_argument("--url", default="http://127.0.0.1:8000/webhooks/rxscale")
        parser.add_argument("--secret", help="Signing secret (default: the first configured)")
        parser.add_argument("--level", choices=LEVELS, default="pharmacy")
        parser.add_argument("--uid", help="Order, pharmacy SKU, meeting or prescription uid")
        parser.add_argument("--status", help="Order status, e.g. 'waiting for pharmacy'")
        parser.add_argument("--updated-at", type=int, help="Unix time of the snapshot")
        parser.add_argument("--stock", type=int)
        parser.add_argument("--reserved", type=int, dest="reserved_amount")
        parser.add_argument("--pdf-size", type=int, default=0, help="Prescription PDF bytes")
        parser.add_argument("--dry-run", action="store_true", help="Print, do not send")

    def handle(self, *args, **options):
        try:
            payload = build_payload(
                options["event"],
                level=options["level"],
                uid=options["uid"],
                status=options["status"],
                updated_at=options["updated_at"],
                stock=options["stock"],
                reserved_amount=options["reserved_amount"],
                pdf=sample_pdf(options["pdf_size"]),
            )
        except KeyError as exc:
            raise CommandError(exc.args[0]) from exc
        secret = options["secret"] or next(iter(settings.RXSCALE_WEBHOOK_SECRETS), None)
        if not secret:
            raise CommandError("No secret: pass --secret or set RXSCALE_WEBHOOK_SECRETS.")
        body = encode_body(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Event": payload.get("event_type", options["event"]),
            "X-Webhook-Signature": sign(body, secret),
        }
        if options["dry_run"]:
            self.stdout.write(json.dumps(headers, indent=2))
            self.stdout.write(body.decode())
            return
        if not options["url"].startswith(("http://", "https://")):
            raise CommandError("--url must be an http(s) URL.")
        request = urllib.request.Request(options["url"], data=body, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, answer = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read().decode()
        except urllib.error.URLError as exc:
            raise CommandError(f"Could not reach {options['url']}: {exc.reason}") from exc
        self.stdout.write(f"{status} {answer}")
        if status >= 300:
            raise CommandError(f"RxScale would retry: the endpoint answered {status}.")
