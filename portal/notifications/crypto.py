"""Encryption at rest for chat webhook URLs and webhook signing secrets.

A Slack or Teams webhook URL is a bearer credential: whoever has it can post into the channel. They are
stored with Fernet (AES-128-CBC + HMAC-SHA256) so a database dump or backup does not leak them. Keys come
from `AGORA_ENCRYPTION_KEYS` (comma-separated Fernet keys, newest first: MultiFernet decrypts with any and
encrypts with the first, which makes rotation a re-save); without it a key is derived from SECRET_KEY with
HKDF, so a deployment is safe by default and rotating SECRET_KEY needs the old key listed here.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class DecryptionError(RuntimeError):
    """Stored ciphertext no longer matches any configured key (keys rotated without the old one)."""


def _derived_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"agora.notifications.secrets")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


@cache
def _fernet(keys: tuple[str, ...], secret: str) -> MultiFernet:
    material = [k.encode() for k in keys] or [_derived_key(secret)]
    return MultiFernet([Fernet(k) for k in material])


def _current() -> MultiFernet:
    keys = tuple(k for k in getattr(settings, "AGORA_ENCRYPTION_KEYS", ()) if k)
    return _fernet(keys, settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from exc
