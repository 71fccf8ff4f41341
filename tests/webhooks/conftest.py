"""Webhook-test settings on top of tests/conftest.py."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The role users are created with passwords; real PBKDF2 costs ~0.3 s per user and test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
