"""Storing a verified delivery in the inbox, exactly once, and handing it to the worker."""

import hashlib
import json
import logging
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.log_format import subject_fields
from common.storable import single_line, storable_text
from common.tasks_backend import enqueue_for_new_row, enqueue_logged, processes_inline
from rxscale.inbox.models import PENDING_STATUSES, WebhookDelivery
from rxscale.inbox.payload import delivery_event_type, parse_json_object
from rxscale.inbox.pdf_intake import body_read, pdf_intake_prepare
from rxscale.inbox.registry import claimed_subject, is_handled_event_type
from rxscale.inbox.signature import secret_fingerprint

logger = logging.getLogger(__name__)

_DROPPED_HEADERS = {"cookie", "authorization", "x-webhook-signature"}
_MAX_HEADER_VALUE = 512


@dataclass(frozen=True)
class ReceiveOutcome:
    delivery: WebhookDelivery
    duplicate: bool

    @property
    def http_status(self) -> int:
        return 400 if self.delivery.status == WebhookDelivery.Status.INVALID else 200

    def response_body(self) -> dict:
        body = {"id": self.delivery.pk, "status": self.delivery.status}
        if self.duplicate:
            body["duplicate"] = True
        if self.delivery.status == WebhookDelivery.Status.INVALID:
            body["error"] = self.delivery.error
        return body


def _storable_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        storable_text(name, 100): storable_text(value, _MAX_HEADER_VALUE)
        for name, value in headers.items()
        if name.lower() not in _DROPPED_HEADERS
    }


def delivery_receive(*, body: bytes, headers: dict[str, str], secret_index: int) -> ReceiveOutcome:
    """Store a verified delivery once and have it processed once it is committed.

    A byte-identical repeat returns the stored row (`duplicate=True`) and changes nothing.
    A body that is not a JSON object is stored as `invalid`; an event type we have no handler
    for as `ignored`. Never raises for bad input.

    The prescription PDF never enters the inbox (pdf_intake.py): a delivery to be processed
    has it put in storage by its sha256 first (its document row commits with the delivery
    row), any other has it dropped. Raises PdfStorageUnavailable when storage fails: then
    nothing is stored.
    """
    secret = settings.RXSCALE_WEBHOOK_SECRETS[secret_index]
    return _store(
        body,
        source=WebhookDelivery.Source.WEBHOOK,
        fields={
            "headers": _storable_headers(headers),
            "secret_index": secret_index,
            "secret_fingerprint": secret_fingerprint(secret),
        },
    )


def snapshot_receive(*, body: bytes) -> ReceiveOutcome:
    """Store a snapshot read from RxScale's API (an envelope built by rxscale/sync) as an
    inbox row with source `api`, through the same path as a webhook: same dedupe key (so an
    unchanged snapshot is a duplicate), same PDF handling (stored, never kept in the body).

    Not enqueued: the caller applies it at once (`delivery_process_now`). It is due only
    after `API_SNAPSHOT_GRACE`, so that a worker takes it over if the caller dies, but does
    not race the caller for it. Raises PdfStorageUnavailable when storage fails.
    """
    # Look first: a repeat then costs no PDF decoding or storage at all.
    original = WebhookDelivery.objects.filter(dedupe_key=hashlib.sha256(body).hexdigest()).first()
    if original is not None:
        return ReceiveOutcome(original, duplicate=True)
    return _store(
        body,
        source=WebhookDelivery.Source.API,
        fields={"headers": {}, "secret_index": None, "secret_fingerprint": ""},
        due_after=API_SNAPSHOT_GRACE,
    )


# How long the sync has to apply an API snapshot itself before workers may take it.
API_SNAPSHOT_GRACE = timedelta(minutes=2)


def _store(
    body: bytes, *, source: str, fields: dict, due_after: timedelta | None = None
) -> ReceiveOutcome:
    """The one intake path of webhooks and API snapshots; `due_after` None: enqueue now."""
    # Insert first, and let the unique key find repeats: one query for the common case.
    dedupe_key = hashlib.sha256(body).hexdigest()
    reading = body_read(body)
    payload, parse_error = reading.payload, reading.parse_error
    event_type = storable_text(delivery_event_type(payload), 100) if payload is not None else ""
    # Findable by its subject (admin search, the order's timeline) even if processing fails.
    subject_kind, subject_uid = claimed_subject(event_type, payload) if payload else ("", "")
    if parse_error:
        status = WebhookDelivery.Status.INVALID
    elif is_handled_event_type(event_type):
        status = WebhookDelivery.Status.RECEIVED
    else:
        status = WebhookDelivery.Status.IGNORED
    pending = status == WebhookDelivery.Status.RECEIVED

    # Only a delivery that will be processed needs its PDF; any other drops it unstored.
    pdf = pdf_intake_prepare(reading, keep=pending)
    stored_body = reading.stored_body(pdf.fields)
    now = timezone.now()
    try:
        with _insert_transaction(document=pdf.stored is not None):
            pdf.document_ensure()
            delivery = WebhookDelivery.objects.create(
                dedupe_key=dedupe_key,
                event_type=event_type,
                body=stored_body,
                body_redacted=stored_body is not body,
                document_sha256=pdf.sha256,
                source=source,
                status=status,
                next_attempt_at=(now + (due_after or timedelta())) if pending else None,
                error=parse_error,
                subject_kind=subject_kind,
                subject_uid=storable_text(subject_uid, 64),
                **fields,
            )
            if pending and due_after is None:
                enqueue_for_new_row(_processing_task(), delivery.pk)
    except IntegrityError:
        # A repeat (RxScale's retry), or a concurrent identical delivery won the insert.
        return _repeat_outcome(dedupe_key, rerun=due_after is None)
    # A delivery to be processed gets its INFO line from the worker that applies it; one that
    # never reaches a worker (ignored, invalid) has only this one.
    logger.log(
        logging.DEBUG if pending else logging.INFO,
        "%s delivery %s stored: %s (%s)",
        source,
        delivery.pk,
        single_line(event_type),
        status,
        extra={
            "delivery_id": delivery.pk,
            "event_type": event_type,
            **subject_fields(subject_kind, subject_uid),
        },
    )
    if pending and due_after is None and processes_inline():
        # Processed by now; tell the sender what happened.
        delivery.refresh_from_db(fields=["status", "error"])
    return ReceiveOutcome(delivery, duplicate=False)


def _insert_transaction(*, document: bool) -> AbstractContextManager:
    """The delivery's INSERT needs a transaction of its own only when it must commit together
    with its PDF's document row (and that row's lock against retention). Alone, in autocommit,
    it is atomic by itself: BEGIN and COMMIT would be two more round trips to the database.
    Inside a caller's transaction a savepoint keeps a repeat's IntegrityError from aborting it.
    """
    if document or transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return nullcontext()


def _processing_task():
    from rxscale.tasks import process_webhook_delivery

    return process_webhook_delivery


def _repeat_outcome(dedupe_key: str, *, rerun: bool = True) -> ReceiveOutcome:
    """A pending original is a row in the queue: workers claim it without help. Inline, with
    no worker running, RxScale's retry is what gives a waiting row its next attempt."""
    original = WebhookDelivery.objects.get(dedupe_key=dedupe_key)
    if rerun and original.status in PENDING_STATUSES and processes_inline():
        enqueue_logged(_processing_task(), original.pk)
        original.refresh_from_db(fields=["status", "error"])
    return ReceiveOutcome(original, duplicate=True)


def payload_for_display(delivery: WebhookDelivery) -> str:
    """The delivery's JSON, pretty-printed, with any PDF content redacted."""
    from rxscale.inbox.payload import redact_pdf_content

    payload, error = parse_json_object(bytes(delivery.body))
    if payload is None:
        return f"[{error}; {len(delivery.body)} bytes not shown]"
    return json.dumps(redact_pdf_content(payload), indent=2, ensure_ascii=False)
