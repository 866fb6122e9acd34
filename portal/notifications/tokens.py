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
from django.utils.http import base36_to_int, int_to_base36

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


def _mac(payload: str) -> str:
    return signing.Signer(salt=SALT, algorithm="sha256").signature(payload)[:MAC_LENGTH]


def make_token(*, tenant_id: int, user_id: int, topic_kind: str, topic_id: int) -> str:
    b36 = int_to_base36
    payload = f"{b36(tenant_id)}.{b36(user_id)}.{KIND_CODES[topic_kind]}{b36(topic_id)}"
    return f"{payload}.{_mac(payload)}"


def read_token(token: str) -> UnsubscribeTarget | None:
    try:
        payload, mac = token.rsplit(".", 1)
        if not constant_time_compare(mac, _mac(payload)):
            return None
        tenant, user, topic = payload.split(".")
        b36 = base36_to_int  # Django's: refuses more than 13 digits (past 64 bits)
        return UnsubscribeTarget(b36(tenant), b36(user), CODE_KINDS[topic[0]], b36(topic[1:]))
    except (ValueError, KeyError, IndexError):
        return None
