"""What the inbox keeps of a PDF, and that reprocessing is on the audit trail."""

import base64

import pytest
from django.core.management import CommandError, call_command

from pharmacy_orders.models import AuditEntry, PharmacyOrder
from rxscale.inbox.samples import sample_pdf
from rxscale.models import WebhookDelivery


def test_an_ignored_delivery_does_not_keep_pdf_content(deliver, payload):
    unknown = payload("pharmacy_order_created")
    unknown["event_type"] = "pharmacy_order_archived"
    content = unknown["data"]["prescription_file"]["content_base64"]
    assert base64.b64decode(content) == sample_pdf()

    response = deliver(unknown)

    delivery = WebhookDelivery.objects.get()
    assert response.status_code == 200
    assert delivery.status == WebhookDelivery.Status.IGNORED
    assert content.encode() not in bytes(delivery.body)
    assert delivery.body_redacted


def test_reprocessing_from_the_command_line_is_audited(deliver, payload):
    deliver(payload("pharmacy_order_created"))
    delivery = WebhookDelivery.objects.get()

    call_command("reprocess_webhooks", str(delivery.pk), verbosity=0)

    entry = AuditEntry.objects.get(action="webhook_reprocess")
    assert entry.order_uid == PharmacyOrder.objects.get().uid
    assert entry.details == {"delivery": delivery.pk, "status": "processed", "via": "manage.py"}
    assert entry.user is None


def test_an_impossible_delivery_id_is_a_usage_error(db):
    with pytest.raises(CommandError):
        call_command("reprocess_webhooks", "99999999999999999999999", verbosity=0)
