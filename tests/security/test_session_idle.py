"""Sessions end after SESSION_IDLE_MINUTES without a request; every request renews them."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    response = client.post(
        "/login/", {"username": user.username, "password": f"pw-{user.username}"}
    )
    assert response.status_code == 302
    return client


def stored_session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_the_idle_time_is_the_session_lifetime(settings):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_each_request_pushes_the_expiry_forward(settings, pta):
    client = login(pta)
    session = stored_session(client)
    # As if the last request had been 20 minutes ago.
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() + timedelta(minutes=settings.SESSION_IDLE_MINUTES - 20)
    )

    assert client.get("/orders/").status_code == 200

    renewed = stored_session(client).expire_date - timezone.now()
    assert renewed > timedelta(minutes=settings.SESSION_IDLE_MINUTES - 1)


def test_an_idle_session_is_logged_out(pta):
    client = login(pta)
    Session.objects.filter(pk=stored_session(client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get("/orders/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
