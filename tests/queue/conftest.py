"""Durable mode: the request stores the row and wakes the workers; workers apply it."""

import pytest


@pytest.fixture
def durable(settings):
    settings.TASKS = {"default": {"BACKEND": "common.tasks_backend.WakeWorkersBackend"}}
    settings.WORK_QUEUE_RETRY_BASE_SECONDS = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
