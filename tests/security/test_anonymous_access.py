"""Every URL in the URLconf, tried anonymously with GET and POST, sends the visitor to a login
form or answers 401/403; only the login forms, the health check and the webhook (which checks
its own signature) answer otherwise. Static files are served by whitenoise, outside the
URLconf."""

from urllib.parse import urlsplit

import pytest

from tests.security.url_walk import all_urls

pytestmark = pytest.mark.django_db

# Open by design: the two login forms, the health check (issue 9; none yet), the webhook.
OPEN = {"/login/", "/admin/login/", "/healthz", "/webhooks/rxscale"}
LOGIN_PAGES = {"/login/", "/admin/login/"}
URLS = sorted(all_urls())


def test_the_walk_finds_every_part_of_the_site():
    paths = {url for url, _ in URLS}
    assert {"/orders/", "/orders/po-sample-1/prescription", "/inventory/export.csv"} <= paths
    assert {"/admin/auth/user/", "/rxscale/commands/1/retry", "/webhooks/rxscale"} <= paths
    assert len(paths) > 100


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("url", "name"), [u for u in URLS if u[0] not in OPEN])
def test_anonymous_visitors_get_nothing(client, url, name, method):
    response = getattr(client, method)(url)

    if response.status_code in (301, 302):
        target = urlsplit(response["Location"])
        assert target.path in LOGIN_PAGES, f"{url} ({name}) redirects to {target.path}"
        assert "next=" in target.query
    else:
        assert response.status_code in (401, 403), f"{url} ({name}): {response.status_code}"


def test_the_open_urls_are_what_they_claim(client):
    login = client.get("/login/")
    admin_login = client.get("/admin/login/")
    unsigned = client.post("/webhooks/rxscale", data=b"{}", content_type="application/json")

    assert login.status_code == admin_login.status_code == 200
    assert b'name="password"' in login.content and b'name="password"' in admin_login.content
    assert unsigned.status_code == 401
