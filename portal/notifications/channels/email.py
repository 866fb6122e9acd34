"""Email: one SMTP connection per batch, multipart text + HTML from templates, list headers.

Headers, and why:
- `Message-ID` derived from the delivery id: a resend after a crash carries the same id, so receiving
  systems can drop the duplicate.
- `List-Id` per topic (RFC 2919) and `List-Unsubscribe` with an HTTPS one-click URL plus a mailto
  (RFC 2369) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): mailbox providers show an
  unsubscribe button that POSTs to us without cookies.
- `Auto-Submitted: auto-generated` (RFC 3834): auto-responders must not answer.
"""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from portal.notifications import conf
from portal.notifications.tokens import make_token
from portal.tenancy.context import require_current_tenant
from portal.ui.markdown import render_markdown_email
from portal.ui.urls import tenant_reverse


def one_line(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]


def unsubscribe_headers(
    *, tenant_id: int, user_id: int, topic_kind: str, topic_id: int
) -> tuple[dict[str, str], str]:
    """The RFC 2369/8058 headers, and the one-click URL for the footer of the message."""
    token = make_token(tenant_id=tenant_id, user_id=user_id, topic_kind=topic_kind, topic_id=topic_id)
    url = conf.base_url() + reverse("notifications_unsubscribe", kwargs={"token": token})
    # Plus-addressed mailto (RFC 2369 alternative for clients without HTTP): short enough not to be folded.
    local, _, domain = (getattr(settings, "NOTIFY_UNSUBSCRIBE_MAILTO", "") or "unsubscribe@").partition("@")
    mailto = f"{local}+{token}@{domain or conf.mail_domain()}"
    headers = {
        "List-Unsubscribe": f"<{url}>, <mailto:{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return headers, url


def preferences_url(tenant) -> str:
    """The absolute link to the recipient's notification settings, for the footer of every email."""
    return conf.absolute(tenant_reverse("notifications:preferences", tenant_slug=tenant.slug))


def list_id(label: str, local: str) -> str:
    tenant = require_current_tenant()
    phrase = one_line(label, 80).replace('"', "'")
    return f'"{phrase}" <{local}.{tenant.slug}.{conf.mail_domain()}>'


def body_html(notification) -> str:
    """Rendered once per notification and batch, not once per recipient (Markdown + nh3 are not free)."""
    cached = getattr(notification, "_agora_body_html", None)
    if cached is None:
        cached = notification._agora_body_html = render_markdown_email(notification.body_markdown)
    return cached


def build_message(delivery) -> EmailMultiAlternatives:
    """The email for one immediate delivery (current tenant)."""
    tenant = require_current_tenant()
    notification = delivery.notification
    unsubscribe, unsubscribe_url = unsubscribe_headers(
        tenant_id=tenant.pk,
        user_id=delivery.recipient_id,
        topic_kind=notification.topic_kind,
        topic_id=notification.topic_id,
    )
    topic_label = notification.topic_label or (
        tenant.name
        if notification.topic_kind == "tenant"
        else f"{notification.topic_kind} {notification.topic_id}"
    )
    context = {
        "tenant": tenant,
        "notification": notification,
        "recipient": delivery.recipient,
        "url": conf.link(notification.url),
        "body_html": body_html(notification),
        "topic_label": topic_label,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url(tenant),
    }
    headers = {
        "Message-ID": f"<agora-delivery-{delivery.pk}@{conf.mail_domain()}>",
        "List-Id": list_id(
            f"{topic_label} ({tenant.name})", f"{notification.topic_kind}-{notification.topic_id}"
        ),
        "Auto-Submitted": "auto-generated",
        "X-Agora-Delivery": str(delivery.pk),
        **unsubscribe,
    }
    message = EmailMultiAlternatives(
        subject=one_line(f"[{tenant.name}] {notification.title}"),
        body=render_to_string("notifications/email/notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers=headers,
    )
    message.attach_alternative(
        render_to_string("notifications/email/notification.html", context), "text/html"
    )
    return message


def send_over_one_connection(items, outcome, build) -> None:
    """Send `(delivery_or_group, message_builder_arg)` pairs over one SMTP connection.

    Each delivery is marked sent right after the server accepted its message (not at the end of the
    batch), so a worker killed mid-batch leaves at most one message whose fate is unknown.
    """
    pending = list(items)
    try:
        connection = mail.mailers.default
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        for delivery in pending:
            outcome.retry(delivery, f"SMTP connection failed: {type(exc).__name__}: {exc}")
        return
    try:
        while pending:
            delivery = pending.pop(0)
            try:
                message = build(delivery)
            except ValueError as exc:  # an address Django refuses: permanent
                outcome.fail(delivery, f"invalid message: {exc}")
                continue
            try:
                connection.send_messages([message])
            except smtplib.SMTPRecipientsRefused as exc:
                outcome.fail(delivery, f"recipient refused: {exc.recipients}")
            except smtplib.SMTPResponseException as exc:
                if 500 <= exc.smtp_code < 600:
                    outcome.fail(delivery, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
                else:
                    outcome.retry(delivery, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
            except (OSError, smtplib.SMTPException) as exc:  # connection lost: retry this one and the rest
                for left in [delivery, *pending]:
                    outcome.retry(left, f"SMTP error: {type(exc).__name__}: {exc}")
                return
            else:
                outcome.sent(delivery)
    finally:
        with contextlib.suppress(Exception):
            connection.close()


class EmailChannel:
    key = "email"

    def send(self, deliveries, outcome) -> None:
        send_over_one_connection(deliveries, outcome, build_message)
