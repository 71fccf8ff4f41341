"""/inventory/ and its CSV export through HTTP: permissions, filters, sorting, pages, queries."""

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import PharmacySku
from tests.inventory.conftest import T0

BERLIN = ZoneInfo("Europe/Berlin")

pytestmark = pytest.mark.django_db

LIST = reverse("inventory:list")
EXPORT = reverse("inventory:export")


@pytest.fixture
def stocked(deliver, stock_event, order_event):
    """ok: plenty; low: at the default threshold; zero: no stock; over: oversold;
    drift: RxScale reserves 3, our open orders hold 1 (reconciliation mismatch)."""
    deliver(stock_event("ok", stock=100, reserved=0, product="Ibuprofen", name="Ibu 400mg"))
    deliver(stock_event("low", stock=7, reserved=2, product="Amoxicillin", external_id="AMX-9"))
    deliver(stock_event("zero", stock=0, reserved=0, product="Salbutamol"))
    deliver(stock_event("over", stock=2, reserved=6, product="Cetirizin"))
    deliver(stock_event("drift", stock=50, reserved=3, product="Pantoprazol"))
    deliver(order_event("po-over", [("over", 6)]))
    deliver(order_event("po-drift", [("drift", 1)]))
    deliver(order_event("po-low", [("low", 2)]))


def uids_in(response) -> list[str]:
    return re.findall(r'href="/inventory/(psku-[\w-]+)/"', response.content.decode())


# Permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST, EXPORT])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url", [LIST, EXPORT])
def test_user_without_a_role_is_refused(client, no_role_user, url):
    client.force_login(no_role_user)

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["pta", "pharmacist", "pharmacy_admin"])
def test_every_role_sees_the_list_and_exports(client, request, role, stocked):
    client.force_login(request.getfixturevalue(role))

    assert client.get(LIST).status_code == 200
    assert client.get(EXPORT).status_code == 200


def test_post_to_the_list_is_not_allowed(client, pta):
    client.force_login(pta)

    assert client.post(LIST).status_code == 405


# Content ----------------------------------------------------------------------------------


def test_rows_show_every_column(client, pta, stocked):
    client.force_login(pta)

    html = client.get(LIST, {"q": "AMX-9"}).content.decode()

    for text in ["Amoxicillin", "Medication low 100mg", "ml", "AMX-9", "€12.99"]:
        assert text in html
    assert '<td class="num inv-available">5</td>' in html  # available = 7 - 2
    assert '<span class="badge badge-warn">Low</span>' in html
    # Updated time, readable, in Europe/Berlin.
    updated = PharmacySku.objects.get(uid="psku-low").updated_at.astimezone(BERLIN)
    assert (
        f'<time datetime="{updated.isoformat()}">'
        f'{updated:%d.%m.%Y} <span class="inv-nowrap">{updated:%H:%M}</span></time>'
    ) in html


def test_negative_available_is_shown_as_is_with_a_danger_badge(client, pta, stocked):
    client.force_login(pta)

    html = client.get(LIST, {"status": "oversold"}).content.decode()

    assert '<td class="num inv-available">-4</td>' in html
    assert '<span class="badge badge-danger">Oversold</span>' in html


def test_script_in_product_names_is_escaped(client, pta, deliver, stock_event):
    deliver(stock_event("xss", product="<script>alert(1)</script>", name="<b>bold</b>"))
    client.force_login(pta)

    html = client.get(LIST).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


# Filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("", {"psku-ok", "psku-low", "psku-zero", "psku-over", "psku-drift"}),
        ("oversold", {"psku-over"}),
        ("out", {"psku-zero", "psku-over"}),
        ("low", {"psku-low", "psku-zero", "psku-over"}),
        ("mismatch", {"psku-drift"}),
    ],
)
def test_status_filters(client, pta, stocked, status, expected):
    client.force_login(pta)

    assert set(uids_in(client.get(LIST, {"status": status}))) == expected


def test_filter_counts_are_shown(client, pta, stocked):
    client.force_login(pta)

    response = client.get(LIST)

    tabs = {tab["value"]: tab["count"] for tab in response.context["status_tabs"]}
    assert tabs == {"": 5, "oversold": 1, "out": 2, "low": 3, "mismatch": 1}


def test_low_stock_uses_the_sku_threshold_else_the_default(client, pta, stocked, settings):
    PharmacySku.objects.filter(uid="psku-ok").update(low_stock_threshold=100)
    settings.LOW_STOCK_THRESHOLD_DEFAULT = 0
    client.force_login(pta)

    assert set(uids_in(client.get(LIST, {"status": "low"}))) == {
        "psku-ok",
        "psku-zero",
        "psku-over",
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("AMX", ["psku-low"]),  # external id
        ("ibupro", ["psku-ok"]),  # product name, any case
        ("Medication drift", ["psku-drift"]),  # SKU name
        ("PZN", []),
    ],
)
def test_search(client, pta, stocked, q, expected):
    client.force_login(pta)

    assert uids_in(client.get(LIST, {"q": q})) == expected


def test_search_by_pzn(client, pta, stocked):
    from tests.inventory.conftest import pzn_for

    client.force_login(pta)

    assert uids_in(client.get(LIST, {"q": pzn_for("zero")})) == ["psku-zero"]


def test_search_and_status_combine_and_counts_follow_the_search(client, pta, stocked):
    client.force_login(pta)

    response = client.get(LIST, {"q": "Salbutamol", "status": "out"})

    assert uids_in(response) == ["psku-zero"]
    tabs = {tab["value"]: tab["count"] for tab in response.context["status_tabs"]}
    assert tabs == {"": 1, "oversold": 0, "out": 1, "low": 1, "mismatch": 0}


# Sorting and pages ------------------------------------------------------------------------


def test_default_sort_is_available_ascending(client, pta, stocked):
    client.force_login(pta)

    assert uids_in(client.get(LIST)) == [
        "psku-over",
        "psku-zero",
        "psku-low",
        "psku-drift",
        "psku-ok",
    ]


def test_sort_by_available_descending(client, pta, stocked):
    client.force_login(pta)

    response = client.get(LIST, {"sort": "-available"})

    assert uids_in(response)[0] == "psku-ok"
    assert 'aria-sort="descending"' in response.content.decode()


@pytest.mark.parametrize("sort", ["product", "-price", "pzn", "-updated", "-difference", "stock"])
def test_other_sorts_list_every_row(client, pta, stocked, sort):
    client.force_login(pta)

    assert len(uids_in(client.get(LIST, {"sort": sort}))) == 5


def test_unknown_sort_and_page_size_fall_back_to_defaults(client, pta, stocked):
    client.force_login(pta)

    response = client.get(LIST, {"sort": "password", "per_page": "100000", "page": "x"})

    assert response.status_code == 200
    assert response.context["values"]["sort"] == "available"
    assert response.context["page"].paginator.per_page == 50


def test_pages_do_not_overlap(client, pta, deliver, stock_event):
    for index in range(30):
        deliver(stock_event(f"s{index:02d}", stock=10, updated_at=T0 + index))
    client.force_login(pta)

    first = uids_in(client.get(LIST, {"per_page": 25}))
    second = uids_in(client.get(LIST, {"per_page": 25, "page": 2}))

    assert len(first) == 25
    assert len(second) == 5
    assert not set(first) & set(second)


def _queries_for_page(client, per_page: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"per_page": per_page})
    assert len(response.context["page"].object_list) == per_page
    return len(queries)


def test_query_count_does_not_grow_with_the_page_size(
    client, pta, deliver, stock_event, order_event
):
    for index in range(100):
        deliver(stock_event(f"s{index:03d}", stock=index, reserved=index % 3))
    deliver(order_event("po-1", [("s001", 1), ("s002", 2)]))
    client.force_login(pta)
    client.get(LIST)  # warm the session and permission caches alike for both runs

    assert _queries_for_page(client, 25) == _queries_for_page(client, 100)


# CSV export -------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


def test_export_has_the_figures_of_every_filtered_row(client, pta, stocked):
    client.force_login(pta)

    response = client.get(EXPORT, {"status": "out", "sort": "-available"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [row["uid"] for row in rows] == ["psku-zero", "psku-over"]
    over = rows[1]
    assert over["stock"] == "2"
    assert over["reserved"] == "6"
    assert over["available"] == "-4"
    assert over["open_order_amount"] == "6"
    assert over["reserved_difference"] == "0"
    assert over["oversold"] == "yes"
    assert over["price_eur"] == "12.99"
    assert over["product"] == "Cetirizin"


def test_export_ignores_pagination_and_matches_the_search(client, pta, stocked):
    client.force_login(pta)

    rows = read_csv(client.get(EXPORT, {"q": "AMX", "page": 3, "per_page": 25}))

    assert [row["uid"] for row in rows] == ["psku-low"]


def test_export_neutralises_spreadsheet_formulas(client, pta, deliver, stock_event):
    deliver(stock_event("f", product='=HYPERLINK("http://x")', stock=1, reserved=3))
    client.force_login(pta)

    [row] = read_csv(client.get(EXPORT))

    assert row["product"] == '\'=HYPERLINK("http://x")'
    assert row["available"] == "-2"  # numbers stay numbers
