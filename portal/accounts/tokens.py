"""API token format, hashing and parsing (no database access here)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "agora"


@dataclass(frozen=True)
class ParsedToken:
    tenant_slug: str
    secret: str
    key_hash: str


def new_token_text(tenant_slug: str) -> tuple[str, str]:
    """Return (token, secret); the token is shown once and never stored."""
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}.{tenant_slug}.{secret}", secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_token(token: str) -> ParsedToken | None:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or len(parts[2]) < 20:
        return None
    return ParsedToken(tenant_slug=parts[1], secret=parts[2], key_hash=hash_token(token))
