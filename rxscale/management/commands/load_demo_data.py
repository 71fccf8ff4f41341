"""Demo data for `make run`: seed payloads delivered through the real intake, plus demo users.

Idempotent: the same payload bytes are duplicates the second time, users are updated in place.
Refuses to run unless DEBUG, since it creates users with printed passwords.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import PHARMACIST, PHARMACY_ADMIN, PHARMACY_STAFF
from rxscale.demo import demo_payloads
from rxscale.inbox.intake import delivery_receive
from rxscale.inbox.payload import encode_body
from rxscale.inbox.signature import matching_secret_index, sign

DEMO_USERS = [
    # Roles only: no staff or superuser flags (the Pharmacy admin role opens the admin site).
    ("pta", "demo-pta-pass", PHARMACY_STAFF),
    ("pharmacist", "demo-pharmacist-pass", PHARMACIST),
    ("pharmacyadmin", "demo-admin-pass", PHARMACY_ADMIN),
]


class Command(BaseCommand):
    help = "Load demo orders, SKUs and users (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for development only (set DEBUG=true).")
        if not settings.RXSCALE_WEBHOOK_SECRETS:
            raise CommandError("Set RXSCALE_WEBHOOK_SECRETS (make env writes a demo secret).")
        outcomes = [self._deliver(payload) for payload in demo_payloads()]
        new = sum(1 for outcome in outcomes if not outcome.duplicate)
        self.stdout.write(f"Demo deliveries: {len(outcomes)} sent, {new} new.")
        self._users()

    def _deliver(self, payload: dict):
        body = encode_body(payload)
        secrets = settings.RXSCALE_WEBHOOK_SECRETS
        index = matching_secret_index(body, sign(body, secrets[0]), secrets)
        return delivery_receive(
            body=body, headers={"X-Webhook-Event": payload["event_type"]}, secret_index=index
        )

    def _users(self):
        user_model = get_user_model()
        self.stdout.write("Demo users (DEBUG only; change or delete them before real use):")
        for username, password, role in DEMO_USERS:
            user, _ = user_model.objects.get_or_create(username=username)
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            self.stdout.write(f"  {role:15} {username} / {password}")
