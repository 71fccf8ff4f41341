"""Login limits (django-axes) through the real login forms: after 10 failures for a username or
an address every attempt is refused for the cooling-off period, the right password too, and
each failure and lockout is in the audit trail."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client

from pharmacy_orders.models import AuditEntry
from pharmacy_orders.services.audit import AuditAction

pytestmark = pytest.mark.django_db

LIMIT = 10


def attempt(username: str, password: str, *, address: str = "203.0.113.7", url: str = "/login/"):
    return Client().post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(response) -> bool:
    return response.status_code == 302 and "/login/" not in response["Location"]


def test_the_limit_is_ten_failures(settings):
    assert settings.AXES_FAILURE_LIMIT == LIMIT


def test_ten_failures_for_a_username_lock_it_even_with_the_right_password(pta):
    # From ten different addresses: the username alone is counted.
    for n in range(LIMIT):
        response = attempt("pta", f"wrong-{n}", address=f"198.51.100.{n + 1}")
        assert response.status_code == (200 if n < LIMIT - 1 else 429)

    refused = attempt("pta", "pw-pta", address="192.0.2.200")

    assert refused.status_code == 429
    assert b"Too many login attempts" in refused.content
    assert "sessionid" not in refused.cookies


def test_ten_failures_from_an_address_lock_it_for_every_username(pta, pharmacist):
    for n in range(LIMIT):
        attempt(f"guess-{n}", "wrong", address="203.0.113.9")

    from_there = attempt("pta", "pw-pta", address="203.0.113.9")
    from_elsewhere = attempt("pharmacist", "pw-pharmacist", address="203.0.113.10")

    assert from_there.status_code == 429
    assert logged_in(from_elsewhere)


def test_nine_failures_do_not_lock(pta):
    for n in range(LIMIT - 1):
        attempt("pta", f"wrong-{n}")

    assert logged_in(attempt("pta", "pw-pta"))


def test_the_lock_ends_after_the_cooling_off_period(settings, pta):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    for n in range(LIMIT):
        attempt("pta", f"wrong-{n}")
    assert attempt("pta", "pw-pta").status_code == 429

    time.sleep(2.5)

    assert logged_in(attempt("pta", "pw-pta"))


def test_the_admin_login_form_is_limited_too(pharmacy_admin):
    for n in range(LIMIT):
        attempt("pharmacyadmin", f"wrong-{n}", url="/admin/login/")

    refused = attempt("pharmacyadmin", "pw-pharmacyadmin", url="/admin/login/")

    assert refused.status_code == 429


def test_failures_and_lockouts_go_to_the_audit_trail_without_the_password(pta):
    for n in range(LIMIT):
        attempt("pta", f"Secret-Guess-{n}", address="203.0.113.50")
    attempt("pta", "pw-pta", address="203.0.113.50")  # refused while locked

    failed = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("id")
    locked = AuditEntry.objects.filter(action=AuditAction.LOGIN_LOCKED_OUT)
    assert failed.count() == LIMIT + 1
    assert locked.count() >= 1
    assert failed.first().details == {
        "username": "pta",
        "address": "203.0.113.50",
        "locked_out": False,
    }
    assert failed.last().details["locked_out"] is True
    assert locked.first().details == {"username": "pta", "address": "203.0.113.50"}
    trail = json.dumps([e.details for e in AuditEntry.objects.all()])
    assert "Secret-Guess" not in trail
    assert "pw-pta" not in trail


def test_the_audit_trail_page_lists_failed_logins(pta, pharmacy_admin):
    attempt("pta", "wrong")
    client = Client()
    client.force_login(pharmacy_admin)

    page = client.get("/orders/audit/", {"action": AuditAction.LOGIN_FAILED})

    assert page.status_code == 200
    assert AuditAction.LOGIN_FAILED in page.content.decode()


def test_behind_a_proxy_the_forwarded_client_address_is_counted(settings, pta):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"

    for n in range(LIMIT):
        Client().post(
            "/login/",
            {"username": f"guess-{n}", "password": "x"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.77",
        )
    other_client = Client().post(
        "/login/",
        {"username": "pta", "password": "pw-pta"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.78",
    )

    assert logged_in(other_client)
    entry = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).first()
    assert entry.details["address"] == "203.0.113.77"


def test_a_pharmacy_admin_lifts_a_lock_in_the_admin(pta, pharmacy_admin):
    from axes.models import AccessAttempt

    for n in range(LIMIT):
        attempt("pta", f"wrong-{n}", address="203.0.113.60")
    assert attempt("pta", "pw-pta", address="203.0.113.60").status_code == 429
    admin = Client()
    admin.force_login(pharmacy_admin)

    listing = admin.get("/admin/axes/accessattempt/")
    lock = AccessAttempt.objects.get(username="pta")
    deleted = admin.post(f"/admin/axes/accessattempt/{lock.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200 and b"203.0.113.60" in listing.content
    assert deleted.status_code == 302
    assert logged_in(attempt("pta", "pw-pta", address="203.0.113.60"))
