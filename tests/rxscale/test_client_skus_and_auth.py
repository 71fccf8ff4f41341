"""SKUs, keys and local-only mode, through the real client and the real stand-in."""

import httpx
import pytest

from rxscale.client import api_configured
from rxscale.errors import RxScaleAuthError, RxScaleBadRequest
from rxscale.standin import RxScaleStandin
from tests.rxscale.conftest import API_KEY, make_client

SKU = "psku-456"


def test_the_sku_list_is_paged_in_the_api_shape(client):
    page = client.list_skus(limit=10)

    assert (page.total_items, page.total_pages) == (1, 1)
    sku = page.items[0]
    assert sku["uid"] == SKU and sku["pharmacy"] == "ph-xyz" and sku["sku"]["pzn"]
    assert [s["uid"] for s in client.iter_skus()] == [SKU]


def test_stock_and_external_id_updates_reach_rxscale(standin, client):
    client.update_sku_stock(SKU, 7)
    client.update_sku_external_id(SKU, "PMS-0042")

    assert standin.store.sku(SKU)["stock"] == 7
    assert standin.store.sku(SKU)["external_id"] == "PMS-0042"


def test_a_wrong_guess_of_the_stock_field_is_a_bad_request(standin):
    # The body of …/stock is undocumented: the field name is a setting to confirm.
    standin.stock_field = "quantity"
    with make_client(standin) as client, pytest.raises(RxScaleBadRequest) as caught:
        client.update_sku_stock(SKU, 7)
    assert caught.value.code == "invalid_stock"


def test_a_wrong_key_is_an_auth_error_with_rxscales_code(standin):
    with (
        make_client(standin, api_key="not-the-key") as client,
        pytest.raises(RxScaleAuthError) as caught,
    ):
        client.list_orders()

    assert (caught.value.status_code, caught.value.code) == (401, "invalid_api_key")
    assert caught.value.description == "API key not found or inactive"


def test_a_missing_key_is_refused(standin):
    answer = httpx.get(f"{standin.base_url}{standin.prefix}/pharmacy_orders/")

    assert answer.status_code == 401
    assert answer.json()["code"] == "api_key_missing"


def test_a_group_wide_key_sends_the_pharmacy_uid():
    with RxScaleStandin(api_key=API_KEY, require_pharmacy_uid=True) as standin:
        standin.seed_from_samples(orders=1)
        with make_client(standin, pharmacy_uid="ph-xyz") as client:
            assert client.get_order("po-standin-1")["uid"] == "po-standin-1"
            client.update_sku_stock(SKU, 3)
        with make_client(standin) as client, pytest.raises(RxScaleBadRequest):
            client.list_orders()


def test_local_only_mode_without_base_url_or_key(settings):
    settings.RXSCALE_API_BASE_URL, settings.RXSCALE_API_KEY = "", ""
    assert not api_configured()
    settings.RXSCALE_API_BASE_URL = "https://api.rxscale.com"
    assert not api_configured()
    settings.RXSCALE_API_KEY = "key"
    assert api_configured()
