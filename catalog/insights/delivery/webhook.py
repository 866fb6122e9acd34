"""The public ingest endpoint: `POST /pub/insights/ingest/<tenant_slug>/<key>/`.

CI/CD systems cannot log in, so this lives outside `/t/<tenant>/` (the plugin's `public_urlpatterns`) and
is `csrf_exempt`; what authenticates a delivery is its HMAC-SHA256 signature under the source's secret.
The slug lets the view enter the tenant first, so even the lookup of the source by its key runs under
row-level security: a key of tenant A under tenant B's slug finds nothing (404), and a delivery of A's
source can only ever write into A.

Checks, in order, each answered with a clear JSON error and nothing stored:
404 unknown tenant, key or disabled source; 413 body over the cap (checked before reading it all);
401 missing or wrong signature (`X-Hub-Signature-256` for GitHub, `X-Agora-Signature-256` for generic
events, both `sha256=<hex of HMAC-SHA256(secret, raw body)>`, compared in constant time);
400 missing GitHub headers, bad JSON, or an event that does not validate.
Answers: 200 stored, 200 duplicate (a redelivery: nothing new stored), 202 ignored (an event Agora does
not read), 200 for GitHub's `ping`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from catalog.insights.delivery import generic, github, recording
from catalog.insights.delivery.facts import PayloadError, Reading
from catalog.insights.models import IngestSource, IngestSourceKind
from portal.plugins.api import Tenant, decrypt_secret, tenant_context

MAX_BODY_BYTES = {IngestSourceKind.GENERIC: 1024 * 1024, IngestSourceKind.GITHUB: 5 * 1024 * 1024}
SIGNATURE_HEADER = {
    IngestSourceKind.GENERIC: "X-Agora-Signature-256",
    IngestSourceKind.GITHUB: "X-Hub-Signature-256",
}


def _error(status: int, error: str, detail: Any = None) -> JsonResponse:
    body: dict[str, Any] = {"error": error}
    if detail is not None:
        body["detail"] = detail
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'HMAC-SHA256 realm="agora-ingest"'
    return response


def signature(secret: str, body: bytes) -> str:
    """The header value a sender must send: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` (announced or actual, read at most limit+1)."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def _json(request: HttpRequest, body: bytes) -> Any:
    """The JSON document of the body (GitHub may also send it form-encoded as `payload=`)."""
    if request.content_type == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("utf-8"), max_num_fields=10).get("payload") or []
        if len(values) != 1:
            raise ValueError("a form-encoded delivery needs exactly one `payload` field")
        text = values[0]
    else:
        text = body.decode("utf-8")
    return json.loads(text)


@csrf_exempt
@never_cache
@require_POST
def ingest(request: HttpRequest, tenant: str, key: str) -> JsonResponse:
    """`tenant` is the tenant's slug (not `tenant_slug`: the tenancy middleware consumes that kwarg)."""
    found = Tenant.objects.filter(slug=tenant).first()
    if found is None or len(key) > 40:
        return _error(404, "No such ingest source.")
    with tenant_context(found):
        source = IngestSource.objects.filter(key=key, enabled=True).first()
        if source is None:
            return _error(404, "No such ingest source.")
        return _handle(request, source)


def _handle(request: HttpRequest, source: IngestSource) -> JsonResponse:
    limit = MAX_BODY_BYTES[source.kind]
    body = _read_body(request, limit)
    if body is None:
        return _error(413, f"The body is larger than {limit // 1024} KiB.")
    header = SIGNATURE_HEADER[source.kind]
    given = request.headers.get(header, "")
    if not given:
        return _error(401, f"Missing signature: send {header}: sha256=<hex HMAC-SHA256 of the body>.")
    try:
        secret = decrypt_secret(source.secret_encrypted)
    except RuntimeError:
        return _error(503, "This source's secret cannot be decrypted (keys changed); rotate the secret.")
    if not hmac.compare_digest(given.strip().encode(), signature(secret, body).encode()):
        return _error(401, f"{header} does not match the body signed with this source's secret.")
    if b"\\u0000" in body.lower() or b"%5cu0000" in body.lower():  # PostgreSQL cannot store NUL in text
        return _error(400, "The body contains a NUL character (\\u0000), which cannot be stored.")
    try:
        payload = _json(request, body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return _error(400, "The body is not valid JSON.", str(exc)[:200])
    if source.kind == IngestSourceKind.GITHUB:
        return _github(request, source, payload)
    return _generic(source, payload)


def _github(request: HttpRequest, source: IngestSource, payload: Any) -> JsonResponse:
    event = request.headers.get("X-GitHub-Event", "").strip()
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()
    if not event or not delivery_id or len(delivery_id) > 100 or len(event) > 40:
        return _error(400, "X-GitHub-Event and X-GitHub-Delivery (at most 100 characters) are required.")
    try:
        reading = github.read(event, payload)
    except PayloadError as exc:
        return _error(400, f"Not a valid {event} payload.", str(exc))
    if reading.ping:
        return JsonResponse({"status": "pong"})
    return _store(source, delivery_id, event, reading)


def _generic(source: IngestSource, payload: Any) -> JsonResponse:
    try:
        parsed = generic.parse(payload)
    except ValidationError as exc:
        return _error(400, "Not a valid delivery event.", exc.detail)
    return _store(source, parsed.id, parsed.type, Reading(facts=[parsed.fact]))


def _store(source: IngestSource, delivery_id: str, event: str, reading: Reading) -> JsonResponse:
    if reading.ignored:
        return JsonResponse({"status": "ignored", "detail": reading.ignored}, status=202)
    result = recording.delivery_record(
        source=source,
        delivery_id=delivery_id,
        event_type=event,
        facts=reading.facts,
        repository=reading.repository,
        topics=reading.topics,
    )
    if result.duplicate:
        return JsonResponse({"status": "duplicate", "detail": "This delivery was received before."})
    return JsonResponse({"status": "stored", "rows": result.stored})
