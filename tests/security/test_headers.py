"""Security headers over HTTP: CSP everywhere, frames denied but for the prescription PDF, and
with the production defaults (read from a production start) HTTPS redirect, HSTS and secure
cookies."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("url", ["/orders/", "/inventory/", "/orders/audit/", "/admin/"])
def test_staff_pages_send_a_csp_without_inline_script_or_foreign_origin(logged_in, url):
    response = logged_in.get(url)

    assert response.status_code == 200
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    for values in csp.values():
        assert "'unsafe-inline'" not in values
        assert "'unsafe-eval'" not in values
        assert not [v for v in values if v.startswith(("http:", "https:")) or "." in v]


@pytest.mark.parametrize("url", ["/orders/", "/orders/po-sec-1/", "/inventory/", "/admin/"])
def test_pages_may_not_be_framed(logged_in, order_with_pdf, url):
    response = logged_in.get(url)

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert csp_directives(response)["frame-ancestors"] == ["'none'"]


def test_the_login_page_may_not_be_framed(client):
    response = client.get("/login/")

    assert response["X-Frame-Options"] == "DENY"
    assert csp_directives(response)["frame-ancestors"] == ["'none'"]


def test_the_order_page_frames_its_prescription_from_our_origin_only(logged_in, order_with_pdf):
    page = logged_in.get(f"/orders/{order_with_pdf.uid}/")
    pdf = logged_in.get(f"/orders/{order_with_pdf.uid}/prescription")

    assert f'src="/orders/{order_with_pdf.uid}/prescription"'.encode() in page.content
    assert csp_directives(page)["frame-src"] == ["'self'"]
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    assert csp_directives(pdf)["frame-ancestors"] == ["'self'"]


def test_templates_carry_no_inline_script_or_style(logged_in, order_with_pdf):
    for url in ("/orders/", f"/orders/{order_with_pdf.uid}/", "/inventory/", "/orders/audit/"):
        html = logged_in.get(url).content.decode()
        assert "<script>" not in html
        assert " style=" not in html
        assert "<style" not in html
        assert " onclick=" not in html and " onsubmit=" not in html


@pytest.fixture
def production(settings, production_defaults):
    """This process's settings set to what a production start has by default."""
    for name, value in production_defaults.items():
        if name != "DEBUG":
            setattr(settings, name, value)
    return settings


def test_plain_http_is_redirected_to_https(production):
    response = Client().get("/login/")  # a new client: its middleware reads these settings

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/login/"


def test_https_answers_carry_hsts(production):
    response = Client().get("/login/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_cookies_are_secure_and_http_only(production, pta):
    client = Client()

    form = client.get("/login/", secure=True)
    login = client.post(
        "/login/", {"username": "pta", "password": "pw-pta"}, secure=True, follow=False
    )

    assert form.cookies["csrftoken"]["secure"]
    assert login.status_code == 302
    session = login.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
