"""Staff stock adjustment and the low-stock threshold: HTTP forms, service rules, ledger."""

import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from inventory.models import PharmacySku, StockLedgerEntry
from inventory.services import (
    MAX_STOCK,
    StockAdjustmentConflict,
    pharmacy_sku_adjust_stock,
    pharmacy_sku_set_threshold,
)

pytestmark = pytest.mark.django_db

DETAIL = reverse("inventory:detail", args=["psku-a"])
ADJUST = reverse("inventory:adjust", args=["psku-a"])
THRESHOLD = reverse("inventory:threshold", args=["psku-a"])


@pytest.fixture
def sku_a(deliver, stock_event):
    deliver(stock_event(stock=45, reserved=7))
    return PharmacySku.objects.get(uid="psku-a")


def staff_entries():
    return list(
        StockLedgerEntry.objects.filter(cause=StockLedgerEntry.Cause.STAFF_ADJUSTMENT).order_by(
            "id"
        )
    )


# Adjustment over HTTP -----------------------------------------------------------------------


def test_admin_adjusts_stock_with_a_reason(
    client, pharmacy_admin, sku_a, django_capture_on_commit_callbacks
):
    client.force_login(pharmacy_admin)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            ADJUST, {"new_stock": "40", "reason": " Counted shelf ", "expected_stock": "45"}
        )

    assert response.status_code == 302
    assert response.url == DETAIL
    sku = PharmacySku.objects.get(uid="psku-a")
    assert (sku.stock, sku.available) == (40, 33)
    [entry] = staff_entries()
    assert entry.changes == {"stock": {"old": 45, "new": 40}}
    assert (entry.user, entry.reason, entry.delivery) == (pharmacy_admin, "Counted shelf", None)
    assert sku.stock_set_at == entry.effective_at
    assert callbacks == []  # an RxScale command would be written in the transaction, not after
    page = client.get(response.url).content.decode()
    assert "Stock set to 40" in page
    assert "RxScale is not told (local-only mode)." in page  # no API settings in tests


@pytest.mark.parametrize("role", ["pta", "pharmacist", "no_role_user"])
def test_only_admins_may_adjust(client, request, sku_a, role):
    client.force_login(request.getfixturevalue(role))

    response = client.post(ADJUST, {"new_stock": "1", "reason": "x", "expected_stock": "45"})

    assert response.status_code == 403
    assert PharmacySku.objects.get(uid="psku-a").stock == 45
    assert staff_entries() == []


def test_anonymous_adjustment_is_sent_to_login(client, sku_a):
    response = client.post(ADJUST, {"new_stock": "1", "reason": "x"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert PharmacySku.objects.get(uid="psku-a").stock == 45


def test_adjust_needs_post(client, pharmacy_admin, sku_a):
    client.force_login(pharmacy_admin)

    assert client.get(ADJUST).status_code == 405


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"new_stock": "40", "reason": ""}, "reason", "This field is required."),
        ({"new_stock": "40", "reason": "   "}, "reason", "This field is required."),
        ({"new_stock": "4.5", "reason": "r"}, "new_stock", "Enter a whole number."),
        ({"new_stock": "abc", "reason": "r"}, "new_stock", "Enter a whole number."),
        ({"new_stock": "", "reason": "r"}, "new_stock", "This field is required."),
        ({"new_stock": "-1", "reason": "r"}, "new_stock", "greater than or equal to 0"),
        ({"new_stock": "9" * 30, "reason": "r"}, "new_stock", "less than or equal to"),
        ({"new_stock": str(MAX_STOCK + 1), "reason": "r"}, "new_stock", "less than or equal"),
        ({"new_stock": "40", "reason": "x" * 501}, "reason", "at most 500 characters"),
        ({"new_stock": "45", "reason": "r"}, "new_stock", "The stock is already 45."),
    ],
)
def test_invalid_adjustments_are_refused_with_the_reason_shown(
    client, pharmacy_admin, sku_a, data, field, message
):
    client.force_login(pharmacy_admin)

    response = client.post(ADJUST, {**data, "expected_stock": "45"})

    assert response.status_code == 400
    errors = " ".join(response.context["adjust_form"].errors[field])
    assert message in errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert PharmacySku.objects.get(uid="psku-a").stock == 45
    assert staff_entries() == []


def test_adjustment_on_stale_figures_is_refused_and_the_clerk_is_told(
    client, pharmacy_admin, sku_a, deliver, stock_event
):
    client.force_login(pharmacy_admin)
    client.get(DETAIL)  # the clerk sees 45
    deliver(stock_event(updated_at=int(time.time()) - 1, stock=38, reserved=7))

    response = client.post(ADJUST, {"new_stock": "40", "reason": "Count", "expected_stock": "45"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "The stock changed to 38 while you were editing" in html
    assert 'name="expected_stock" value="38"' in html
    assert PharmacySku.objects.get(uid="psku-a").stock == 38
    assert staff_entries() == []


def test_stock_may_be_set_to_zero_and_available_goes_negative(client, pharmacy_admin, sku_a):
    client.force_login(pharmacy_admin)

    client.post(ADJUST, {"new_stock": "0", "reason": "Recall", "expected_stock": "45"})

    sku = PharmacySku.objects.get(uid="psku-a")
    assert (sku.stock, sku.reserved_amount, sku.available) == (0, 7, -7)


# Adjustment service -------------------------------------------------------------------------


def test_service_refuses_users_without_the_permission(sku_a, pta):
    with pytest.raises(PermissionDenied):
        pharmacy_sku_adjust_stock(pharmacy_sku=sku_a, new_stock=1, reason="r", user=pta)


@pytest.mark.parametrize("bad", [-1, MAX_STOCK + 1, 1.5, "3", True, None])
def test_service_validates_the_stock(sku_a, pharmacy_admin, bad):
    with pytest.raises(ValidationError):
        pharmacy_sku_adjust_stock(
            pharmacy_sku=sku_a, new_stock=bad, reason="r", user=pharmacy_admin
        )


def test_service_conflict_carries_the_current_stock(sku_a, pharmacy_admin):
    with pytest.raises(StockAdjustmentConflict) as conflict:
        pharmacy_sku_adjust_stock(
            pharmacy_sku=sku_a, new_stock=1, reason="r", user=pharmacy_admin, expected_stock=44
        )

    assert conflict.value.current_stock == 45


def test_adjustment_older_than_the_stock_figure_is_recorded_not_applied(
    sku_a, pharmacy_admin, deliver, stock_event, django_capture_on_commit_callbacks
):
    # An RxScale snapshot dated in the future (clock skew) holds the stock figure.
    deliver(stock_event(updated_at=int(time.time()) + 3600, stock=12, reserved=7))

    with django_capture_on_commit_callbacks() as callbacks:
        outcome = pharmacy_sku_adjust_stock(
            pharmacy_sku=sku_a, new_stock=40, reason="Count", user=pharmacy_admin
        )

    assert outcome.applied is False
    assert PharmacySku.objects.get(uid="psku-a").stock == 12
    [entry] = staff_entries()
    assert entry.changes == {}
    assert entry.superseded["stock"]["value"] == 40
    assert callbacks == []  # nothing to push


# Threshold ----------------------------------------------------------------------------------


def test_admin_sets_and_resets_the_threshold(client, pharmacy_admin, sku_a):
    client.force_login(pharmacy_admin)

    response = client.post(THRESHOLD, {"low_stock_threshold": "40"})

    assert response.status_code == 302
    assert PharmacySku.objects.get(uid="psku-a").low_stock_threshold == 40
    # available 38 <= 40: now low stock.
    assert "psku-a" in client.get(reverse("inventory:list"), {"status": "low"}).content.decode()

    client.post(THRESHOLD, {"low_stock_threshold": ""})

    assert PharmacySku.objects.get(uid="psku-a").low_stock_threshold is None
    changes = [
        e.changes["low_stock_threshold"]
        for e in StockLedgerEntry.objects.filter(cause="threshold_change").order_by("id")
    ]
    assert changes == [{"old": None, "new": 40}, {"old": 40, "new": None}]


def test_setting_the_same_threshold_again_writes_nothing(sku_a, pharmacy_admin):
    pharmacy_sku_set_threshold(pharmacy_sku=sku_a, threshold=3, user=pharmacy_admin)
    pharmacy_sku_set_threshold(pharmacy_sku=sku_a, threshold=3, user=pharmacy_admin)

    assert StockLedgerEntry.objects.filter(cause="threshold_change").count() == 1


@pytest.mark.parametrize("role", ["pta", "pharmacist", "no_role_user"])
def test_only_admins_may_set_the_threshold(client, request, sku_a, role):
    client.force_login(request.getfixturevalue(role))

    assert client.post(THRESHOLD, {"low_stock_threshold": "9"}).status_code == 403
    assert PharmacySku.objects.get(uid="psku-a").low_stock_threshold is None


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "10000001"])
def test_invalid_thresholds_are_refused(client, pharmacy_admin, sku_a, value):
    client.force_login(pharmacy_admin)

    response = client.post(THRESHOLD, {"low_stock_threshold": value})

    assert response.status_code == 400
    assert response.context["threshold_form"].errors["low_stock_threshold"]
    assert PharmacySku.objects.get(uid="psku-a").low_stock_threshold is None


def test_default_threshold_comes_from_settings(client, pta, sku_a, settings):
    settings.LOW_STOCK_THRESHOLD_DEFAULT = 38
    client.force_login(pta)

    response = client.get(DETAIL)

    assert response.context["pharmacy_sku"].effective_threshold == 38
    assert "global default" in response.content.decode()
