"""Who follows what, how they want to hear about it, and the durable record of every delivery.

Topics are addressed by kind and id (`capability` 12, `request` 7, `tenant`): the core never imports the
features that own them, so there is no foreign key to a capability. A notification for a topic can only
reach subscribers of the same tenant (every row here is tenant-owned), so a stale or bogus topic id is inert.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.accounts.models import Team
from portal.notifications import crypto
from portal.tenancy.models import TenantOwnedModel


class TopicKind(models.TextChoices):
    CAPABILITY = "capability", "Capability"
    REQUEST = "request", "Feature request"
    TENANT = "tenant", "Whole tenant"


class Category(models.TextChoices):
    RELEASE = "release", "Release"
    STATUS = "status", "Status update"
    REQUEST = "request", "Feature request"
    SYSTEM = "system", "System"  # messages of Agora itself (e.g. "your webhook was disabled")
    SURVEY = "survey", "Survey"  # satisfaction survey invitations and reminders (insights plugin)


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"
    OFF = "off", "Off"


# What a team channel route can follow (no feature requests: those go to people, not channels).
ROUTE_TOPIC_CHOICES = [("capability", "Capability"), ("tenant", "Whole tenant")]


class UserChannel(models.TextChoices):
    EMAIL = "email", "Email"
    INBOX = "inbox", "In-app inbox"


class EndpointKind(models.TextChoices):
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams workflow"
    WEBHOOK = "webhook", "Generic webhook"


# The frequency a user gets when they never chose one.
DEFAULT_FREQUENCY = {UserChannel.EMAIL: Frequency.IMMEDIATE, UserChannel.INBOX: Frequency.IMMEDIATE}


class Subscription(TenantOwnedModel):
    """A user follows a topic. `active=False` is a mute: set by one-click unsubscribe, it also keeps the
    user out of notifications that would reach them another way (a tenant-wide follow, a request they voted
    on). For a capability or the tenant, `releases`/`status` choose what to hear about."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic_kind = models.CharField(max_length=16, choices=TopicKind.choices)
    topic_id = models.PositiveBigIntegerField(default=0, help_text="0 for the whole tenant.")
    topic_label = models.CharField(max_length=200, blank=True)
    releases = models.BooleanField(default=True)
    status = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["topic_kind", "topic_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "topic_kind", "topic_id"], name="uniq_subscription_topic"
            )
        ]
        indexes = [models.Index(fields=["tenant", "topic_kind", "topic_id"], name="subscription_topic_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.topic_kind}:{self.topic_id}"

    @property
    def label(self) -> str:
        if self.topic_kind == TopicKind.TENANT:
            return "Everything in this tenant"
        return self.topic_label or f"{self.get_topic_kind_display()} #{self.topic_id}"


class ChannelPreference(TenantOwnedModel):
    """How often a user wants notifications on one personal channel (email, inbox, plugin channels)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=32)
    frequency = models.CharField(max_length=16, choices=Frequency.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "channel"], name="uniq_channel_preference")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel}={self.frequency}"


class ChannelEndpoint(TenantOwnedModel):
    """A team's chat channel or webhook. The URL (a bearer credential) and the HMAC secret are encrypted
    at rest and never shown back: pages and the API show `url_hint` only."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="notification_endpoints")
    kind = models.CharField(max_length=16, choices=EndpointKind.choices)
    name = models.CharField(max_length=100)
    url_encrypted = models.TextField(editable=False)
    url_hint = models.CharField(max_length=80, editable=False)
    secret_encrypted = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "team", "name"], name="uniq_endpoint_team_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def url(self) -> str:
        return crypto.decrypt(self.url_encrypted)

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)

    def set_url(self, url: str) -> None:
        self.url_encrypted = crypto.encrypt(url)
        self.url_hint = hint_for(url)

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt(secret) if secret else ""


def hint_for(url: str) -> str:
    """`https://hooks.slack.com/…Xy9Q`: enough to recognise an endpoint, useless to post with."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    tail = url.rstrip("/")[-4:]
    return f"{parts.scheme}://{parts.hostname or ''}/…{tail}"[:80]


class ChannelRoute(TenantOwnedModel):
    """Send a capability's (or every) announcement to a team endpoint."""

    endpoint = models.ForeignKey(ChannelEndpoint, on_delete=models.CASCADE, related_name="routes")
    topic_kind = models.CharField(max_length=16, choices=ROUTE_TOPIC_CHOICES)
    topic_id = models.PositiveBigIntegerField(default=0)
    topic_label = models.CharField(max_length=200, blank=True)
    releases = models.BooleanField(default=True)
    status = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["topic_kind", "topic_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "topic_kind", "topic_id"], name="uniq_route_endpoint_topic"
            )
        ]
        indexes = [models.Index(fields=["tenant", "topic_kind", "topic_id"], name="route_topic_idx")]

    def __str__(self) -> str:
        return f"{self.topic_kind}:{self.topic_id} → {self.endpoint_id}"

    @property
    def label(self) -> str:
        if self.topic_kind == TopicKind.TENANT:
            return "Every capability"
        return self.topic_label or f"Capability #{self.topic_id}"


class Notification(TenantOwnedModel):
    """One thing worth telling people, published once per `key` (idempotent: a retried event handler
    publishing again creates nothing). `recipient_user_ids` is null for "the topic's subscribers"."""

    key = models.CharField(max_length=200)
    topic_kind = models.CharField(max_length=16, choices=TopicKind.choices)
    topic_id = models.PositiveBigIntegerField(default=0)
    topic_label = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=16, choices=Category.choices)
    title = models.CharField(max_length=300)
    body_markdown = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    recipient_user_ids = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    fanout_started_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    fanout_attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="uniq_notification_key")]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="notification_unfanned_idx",
                condition=Q(fanned_out_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Delivery(TenantOwnedModel):
    """One notification to one recipient (a user or a team endpoint) on one channel.

    Unique per (notification, recipient, channel), so fan-out can be repeated safely. A sender may send only
    after moving the row pending → sending with its own `claim_token` in one conditional UPDATE, and marks it
    sent only while the token is still its own: two workers can never both own a delivery. `attempts`
    counts claims, which bounds requeues after crashes as well as retries after errors.
    """

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=32)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    endpoint = models.ForeignKey(
        ChannelEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    address = models.CharField(max_length=254, blank=True, help_text="Email address at fan-out time.")
    digest = models.CharField(
        max_length=8, blank=True, choices=[("daily", "Daily"), ("weekly", "Weekly")], help_text="Empty: now."
    )
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "notification", "recipient", "channel"],
                condition=Q(recipient__isnull=False),
                name="uniq_delivery_user_channel",
            ),
            models.UniqueConstraint(
                fields=["tenant", "notification", "endpoint"],
                condition=Q(endpoint__isnull=False),
                name="uniq_delivery_endpoint",
            ),
        ]
        indexes = [
            models.Index(
                fields=["notification", "id"],
                name="delivery_unqueued_idx",
                condition=Q(enqueued_at__isnull=True),
            ),
            models.Index(fields=["state", "next_attempt_at"], name="delivery_state_due_idx"),
            models.Index(fields=["claimed_at"], name="delivery_sending_idx", condition=Q(state="sending")),
            models.Index(
                fields=["digest", "recipient"],
                name="delivery_digest_idx",
                condition=Q(state="pending") & ~Q(digest=""),
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.channel}, {self.state})"


class InboxItem(TenantOwnedModel):
    """A notification in a user's in-app inbox."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="inbox_items")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "notification"], name="uniq_inbox_item")
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="inbox_user_idx"),
            models.Index(fields=["user"], name="inbox_unread_idx", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"inbox {self.user_id}: {self.notification_id}"
