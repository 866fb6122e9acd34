"""Opaque signed unsubscribe tokens (RFC 8058 one-click links carry no cookie, so the token is the auth).

The token names a tenant, a user and a topic, signed with SECRET_KEY (django.core.signing's HMAC under its
own salt). It does not expire (mail clients may offer the one-click action long after delivery) and only
ever allows muting that topic.

It is deliberately short (~30 characters): `List-Unsubscribe` URLs cannot be folded, and Python's email
package RFC 2047-encodes any header word longer than a line, which would break the link for every mail
client. So the ids are base36 and the signature is truncated to 96 bits (an online guess is hopeless).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.utils.crypto import constant_time_compare

SALT = "agora.notifications.unsubscribe"
MAC_LENGTH = 16  # base64url characters = 96 bits
KIND_CODES = {"capability": "c", "request": "r", "tenant": "t", "email": "e"}
CODE_KINDS = {code: kind for kind, code in KIND_CODES.items()}


@dataclass(frozen=True)
class UnsubscribeTarget:
    tenant_id: int
    user_id: int
    topic_kind: str
    topic_id: int


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _mac(payload: str) -> str:
    return signing.Signer(salt=SALT, algorithm="sha256").signature(payload)[:MAC_LENGTH]


def make_token(*, tenant_id: int, user_id: int, topic_kind: str, topic_id: int) -> str:
    payload = f"{_b36(tenant_id)}.{_b36(user_id)}.{KIND_CODES[topic_kind]}{_b36(topic_id)}"
    return f"{payload}.{_mac(payload)}"


def read_token(token: str) -> UnsubscribeTarget | None:
    try:
        payload, mac = token.rsplit(".", 1)
        if not constant_time_compare(mac, _mac(payload)):
            return None
        tenant, user, topic = payload.split(".")
        return UnsubscribeTarget(int(tenant, 36), int(user, 36), CODE_KINDS[topic[0]], int(topic[1:], 36))
    except (ValueError, KeyError, IndexError):
        return None
