"""Pages: notification preferences, follow toggles, the inbox and its bell. Thin over services/selectors.

Every htmx action is also a plain form post: without `HX-Request` the view redirects (303) back.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal.notifications import selectors, services
from portal.notifications.follow import follow_context
from portal.notifications.models import Category, Subscription, TopicKind
from portal.notifications.services.subscriptions import allowed_frequencies, personal_channels
from portal.notifications.topics import InvalidTopic, UnknownTopic
from portal.ui.urls import tenant_reverse

TEMPLATE = "notifications/preferences.html"
INBOX_PAGE = 25


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = fallback
    return HttpResponseRedirect(target, status=303)


def _flag(request: HttpRequest, name: str) -> bool:
    return request.POST.get(name) in {"on", "1", "true"}


def _preferences_context(request: HttpRequest, errors: list[str] | None = None):
    user_id = request.user.pk
    subscriptions = list(selectors.subscriptions_of(user_id))
    tenant_sub = next((s for s in subscriptions if s.topic_kind == TopicKind.TENANT), None)
    channels = [
        {**pref, "options": allowed_frequencies(pref["channel"])}
        for pref in selectors.preferences_of(user_id, personal_channels())
    ]
    return {
        "channels": channels,
        "tenant_subscription": tenant_sub,
        "subscriptions": [s for s in subscriptions if s.topic_kind != TopicKind.TENANT],
        "errors": errors or [],
    }


@login_required
@vary_on_headers("HX-Request")
def preferences(request: HttpRequest) -> HttpResponse:
    """GET shows channels, the tenant-wide follow and every followed topic; POST saves the channel form."""
    errors: list[str] = []
    if request.method == "POST":
        for key, _label in personal_channels():
            value = request.POST.get(f"freq_{key}")
            if value is None:
                continue
            try:
                services.preference_set(user=request.user, channel=key, frequency=value)
            except ValueError as exc:
                errors.append(str(exc))
        if "tenant_form" in request.POST:
            releases, status = _flag(request, "tenant_releases"), _flag(request, "tenant_status")
            if releases or status:
                services.subscription_follow(
                    user=request.user,
                    topic_kind=TopicKind.TENANT,
                    topic_id=None,
                    releases=releases,
                    status=status,
                )
            else:
                services.subscription_unfollow(user=request.user, topic_kind=TopicKind.TENANT, topic_id=None)
        if not errors:
            if request.htmx:
                response = TemplateResponse(request, f"{TEMPLATE}#channels", _preferences_context(request))
                response["HX-Trigger"] = "preferences-saved"
                return response
            messages.success(request, "Notification preferences saved.")
            return HttpResponseRedirect(tenant_reverse("notifications:preferences"), status=303)
    context = _preferences_context(request, errors=errors)
    template = f"{TEMPLATE}#channels" if request.htmx and request.method == "POST" else TEMPLATE
    return TemplateResponse(request, template, context, status=400 if errors else 200)


@login_required
@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    """Follow or unfollow the topic named in the form; htmx gets the new button back."""
    kind, raw_id = request.POST.get("topic_kind", ""), request.POST.get("topic_id")
    try:
        if request.POST.get("action") == "unfollow":
            services.subscription_unfollow(user=request.user, topic_kind=kind, topic_id=raw_id)
        else:
            services.subscription_follow(
                user=request.user,
                topic_kind=kind,
                topic_id=raw_id,
                topic_label=request.POST.get("topic_label", "")[:200],
            )
    except UnknownTopic as exc:  # missing, another tenant's or hidden: the same answer for all three
        return HttpResponse(str(exc), status=404, content_type="text/plain")
    except InvalidTopic as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    if request.htmx:
        context = follow_context(request, kind, raw_id, request.POST.get("topic_label", "")[:200])
        return TemplateResponse(request, "notifications/follow_button.html#button", context)
    return _back(request, tenant_reverse("notifications:preferences"))


@login_required
@require_POST
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change what a followed topic sends (releases/status) or unfollow it."""
    subscription = get_object_or_404(Subscription, pk=pk, user=request.user)
    if request.POST.get("action") == "delete":
        services.subscription_delete(subscription=subscription)
        if request.htmx:
            return HttpResponse("")
        messages.info(request, f"You no longer follow {subscription.label}.")
        return HttpResponseRedirect(tenant_reverse("notifications:preferences"), status=303)
    status = 200
    try:
        services.subscription_update(
            subscription=subscription, releases=_flag(request, "releases"), status=_flag(request, "status")
        )
    except InvalidTopic as exc:
        subscription.refresh_from_db()
        messages.error(request, str(exc))
        status = 400
    if request.htmx:
        return TemplateResponse(request, f"{TEMPLATE}#subscription", {"s": subscription}, status=status)
    return HttpResponseRedirect(tenant_reverse("notifications:preferences"), status=303)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox in pages of INBOX_PAGE, filtered by unread and by kind; an unknown kind answers 400."""
    unread_only = request.GET.get("unread") == "1"
    kind = request.GET.get("kind", "")
    if kind and kind not in Category.values:
        return HttpResponse(
            f"Unknown kind {kind[:40]!r}; choose one of: {', '.join(Category.values)}.",
            status=400,
            content_type="text/plain",
        )
    items = selectors.inbox_of(request.user.pk, unread_only=unread_only, category=kind)
    page = Paginator(items, INBOX_PAGE).get_page(request.GET.get("page") or 1)
    query = {k: v for k, v in (("unread", "1" if unread_only else ""), ("kind", kind)) if v}
    context = {
        "items": page.object_list,
        "page": page,
        "unread_only": unread_only,
        "kind": kind,
        "kinds": Category.choices,
        "query": urlencode(query),
        "unread": selectors.unread_count(request.user.pk),
    }
    return TemplateResponse(request, "notifications/inbox.html", context)


@login_required
@require_POST
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    item = services.inbox_mark_read(user=request.user, item_id=pk)
    if item is None:
        raise Http404("No such inbox item.")
    if request.htmx:
        response = TemplateResponse(request, "notifications/inbox.html#item", {"item": item})
        response["HX-Trigger"] = "inbox-changed"
        return response
    return _back(request, tenant_reverse("notifications:inbox"))


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    services.inbox_mark_all_read(user=request.user)
    return _back(request, tenant_reverse("notifications:inbox"))


@login_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    """The unread count for the header (htmx loads it on page load and on `inbox-changed`)."""
    response = TemplateResponse(
        request, "notifications/bell.html#count", {"unread": selectors.unread_count(request.user.pk)}
    )
    response["Cache-Control"] = "private, no-store"
    return response
