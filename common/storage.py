"""What can go wrong with file storage, whichever backend `STORAGES["default"]` names.

The filesystem raises OSError; django-storages' S3 backend raises botocore's errors (a refused
request, an endpoint that does not answer), which are not OSErrors. Code that must tell a
storage failure from a bug (intake's 503, the work queue's retry, retention) catches these.
"""

import os
from dataclasses import dataclass

from django.core.files.storage import Storage, storages

STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError,)
try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - boto3 is a locked dependency
    pass
else:
    STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


def is_missing_file(exc: BaseException) -> bool:
    """The file is not there (as opposed to storage being unreachable)."""
    if isinstance(exc, FileNotFoundError):
        return True
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404
    return False


@dataclass(frozen=True)
class StorageHealth:
    ok: bool
    backend: str
    error: str = ""


def storage_health(storage: Storage | None = None) -> StorageHealth:
    """Whether storage can take a prescription now, without writing anything.

    S3: the bucket answers a HEAD with our credentials (a missing bucket or a refused key
    fails). Filesystem: the root is a writable directory, and so is `prescriptions/` if it
    exists. One request or a few stats: cheap enough for a load balancer's health probe.
    """
    storage = storage or storages["default"]
    backend = f"{type(storage).__module__}.{type(storage).__name__}"
    try:
        if hasattr(storage, "bucket_name"):
            storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        elif hasattr(storage, "location"):
            root = str(storage.location)
            _writable_directory(root, required=True)
            _writable_directory(os.path.join(root, "prescriptions"), required=False)
        else:
            storage.exists("prescriptions/.health")
    except STORAGE_ERRORS as exc:
        return StorageHealth(False, backend, f"{type(exc).__name__}: {exc}"[:300])
    return StorageHealth(True, backend)


def _writable_directory(path: str, *, required: bool) -> None:
    if not os.path.lexists(path):
        if required:
            # FileSystemStorage creates its root on the first save: the nearest existing
            # folder above it must be writable.
            parent = os.path.dirname(path.rstrip(os.sep)) or "."
            while not os.path.lexists(parent) and parent != os.path.dirname(parent):
                parent = os.path.dirname(parent)
            if not os.access(parent, os.W_OK):
                raise PermissionError(f"cannot create {path}")
        return
    if not os.path.isdir(path):
        raise NotADirectoryError(f"{path} is not a directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(f"{path} is not writable")
