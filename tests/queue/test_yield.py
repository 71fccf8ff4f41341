"""Workers give way to a burst of intake, but never leave a row waiting beyond the limit."""

import pytest
from django.test import Client

from rxscale.inbox.selectors import intake_is_busy
from tests.conftest import post_signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def burst(durable, payload):
    """Six stock deliveries stored at once (durable mode: nothing applied yet)."""

    def _burst():
        web = Client()
        for n in range(6):
            body = payload("pharmacy_sku_stock_updated", uid=f"psku-burst-{n}")
            assert post_signed(web, body).status_code == 200

    return _burst


def test_a_worker_gives_way_while_a_burst_arrives(burst, settings):
    settings.WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND = 5
    settings.WORK_QUEUE_YIELD_MAX_SECONDS = 60
    assert not intake_is_busy()  # nothing arriving
    burst()
    assert intake_is_busy()


def test_no_row_waits_beyond_the_limit(burst, settings):
    settings.WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND = 5
    settings.WORK_QUEUE_YIELD_MAX_SECONDS = 0  # every due row has waited long enough
    burst()
    assert not intake_is_busy()


def test_off_when_the_workers_have_cores_of_their_own(burst, settings):
    settings.WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND = 0
    burst()
    assert not intake_is_busy()


def test_a_slow_trickle_is_not_a_burst(burst, settings):
    settings.WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND = 50
    burst()
    assert not intake_is_busy()
