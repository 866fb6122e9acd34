"""Daily and weekly digests: a user's accumulated email deliveries of one frequency, sent as one message.

Deliveries whose recipient chose a digest are created by fan-out like any other (so they are durable and
unique) but never queued; the beat job queues one `send_digest` task per user, which claims them with the
same pending → sending protocol, sends one email and marks them all sent. A failed send leaves them
pending for the next run (bounded by the attempt count like every delivery).
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from portal.notifications import conf
from portal.notifications.channels.email import list_id, one_line, preferences_url, unsubscribe_headers
from portal.notifications.engine.delivery import PENDING, Outcome, claim
from portal.notifications.models import Delivery, UserChannel
from portal.tenancy.context import require_current_tenant, tenant_context
from portal.tenancy.models import Tenant
from portal.ui.markdown import render_markdown_email


def queue_digests(frequency: str) -> int:
    from portal.notifications.tasks import send_digest

    queued = 0
    for tenant in Tenant.objects.all().iterator():
        with tenant_context(tenant):
            users = (
                Delivery.objects.filter(state=PENDING, digest=frequency, channel=UserChannel.EMAIL)
                .values_list("recipient_id", flat=True)
                .distinct()
            )
            for user_id in list(users):
                send_digest.delay(tenant_id=tenant.pk, user_id=user_id, frequency=frequency)
                queued += 1
    return queued


def build_digest(deliveries: list[Delivery], frequency: str) -> EmailMultiAlternatives:
    tenant = require_current_tenant()
    first = deliveries[0]
    headers, unsubscribe_url = unsubscribe_headers(
        tenant_id=tenant.pk, user_id=first.recipient_id, topic_kind="email", topic_id=0
    )
    items = [
        {
            "notification": d.notification,
            "url": conf.link(d.notification.url),
            "body_html": render_markdown_email(d.notification.body_markdown),
        }
        for d in deliveries
    ]
    context = {
        "tenant": tenant,
        "recipient": first.recipient,
        "frequency": frequency,
        "items": items,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url(tenant),
    }
    ids = [d.pk for d in deliveries]
    message = EmailMultiAlternatives(
        subject=one_line(
            f"[{tenant.name}] Your {frequency} digest: {len(items)} update{'s' if len(items) != 1 else ''}"
        ),
        body=render_to_string("notifications/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[first.address],
        headers={
            "Message-ID": f"<agora-digest-{min(ids)}-{max(ids)}-{len(ids)}@{conf.mail_domain()}>",
            "List-Id": list_id(f"{tenant.name} {frequency} digest", f"digest-{frequency}"),
            "Auto-Submitted": "auto-generated",
            **headers,
        },
    )
    message.attach_alternative(render_to_string("notifications/email/digest.html", context), "text/html")
    return message


def send_user_digest(*, user_id: int, frequency: str) -> int:
    ids = list(
        Delivery.objects.filter(
            state=PENDING, digest=frequency, channel=UserChannel.EMAIL, recipient_id=user_id
        ).values_list("pk", flat=True)[:200]
    )
    if not ids:
        return 0
    token, deliveries = claim(ids)
    if not deliveries:
        return 0
    outcome = Outcome(token)
    try:
        with mail.mailers.default as connection:
            connection.send_messages([build_digest(deliveries, frequency)])
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        for delivery in deliveries:
            outcome.retry(delivery, f"digest not sent: {type(exc).__name__}: {exc}")
        outcome.retries.clear()  # digests wait for the next run, never for the immediate queue
        return 0
    return outcome.sent_many(deliveries)
