"""RxScale webhook signatures: lowercase hex HMAC-SHA256 of the raw body, per subscription."""

import hashlib
import hmac
from collections.abc import Sequence

_HEX_DIGEST_LENGTH = 64
_LOWER_HEX = frozenset("0123456789abcdef")


def secret_fingerprint(secret: str) -> str:
    """A short, non-reversible name for a secret, safe to store and show."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def matching_secret_index(body: bytes, signature: str, secrets: Sequence[str]) -> int | None:
    """Return the index of the secret that signed `body`, or None.

    RxScale documents lowercase hex only, so anything else (uppercase, a `sha256=` prefix,
    garbage) is refused before any HMAC is computed. Comparison is constant-time.
    """
    if len(signature) != _HEX_DIGEST_LENGTH or not set(signature) <= _LOWER_HEX:
        return None
    given = signature.encode("ascii")
    for index, secret in enumerate(secrets):
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode("ascii")
        if hmac.compare_digest(expected, given):
            return index
    return None


def sign(body: bytes, secret: str) -> str:
    """The signature RxScale would send for `body` (used by rxscale_send and the tests)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
