"""Release pages: changelogs (tenant and capability), release create/edit/schedule/publish.

Thin: forms parse, services write, selectors read. Everybody in the tenant reads published releases of the
capabilities they can see; maintainers of the owning team (and tenant admins) write. Every htmx action is
also a plain form post. Status pages live in `catalog.releases.status_views`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from catalog.models import Capability
from catalog.releases import selectors, services
from catalog.releases.forms import ChangelogFilterForm, ReleaseForm, ScheduleForm
from catalog.releases.models import Release, ReleaseKind, ReleaseState
from catalog.releases.services import TransitionError
from catalog.selectors import visible_capability
from portal.plugins.api import can_maintain, redirect_after_write, tenant_reverse

PAGE_SIZE = 25


def capability_or_404(request: HttpRequest, slug: str) -> Capability:
    capability = visible_capability(request.membership, slug=slug)
    if capability is None:
        raise Http404("No such capability.")
    return capability


# --- changelogs -------------------------------------------------------------------------------------------
def _changelog(request: HttpRequest, *, capability: Capability | None) -> HttpResponse:
    form = ChangelogFilterForm(request.GET)
    values = form.values()
    releases = selectors.changelog(request.membership, capability=capability, kinds=values["kind"])
    page = Paginator(releases, PAGE_SIZE).get_page(values["page"])
    if capability is None:
        url = tenant_reverse("catalog:releases:changelog")
        may_write = selectors.maintainable_capabilities(request.membership).exists()
    else:
        url = tenant_reverse("catalog:releases:capability_changelog", slug=capability.slug)
        may_write = can_maintain(request.membership, capability.owner_team_id)
    query = urlencode([("kind", k) for k in values["kind"]])
    context = {
        "capability": capability,
        "page": page,
        "releases": page.object_list,
        "unpublished": selectors.unpublished(request.membership, capability=capability) if may_write else [],
        "may_write": may_write,
        "kinds": ReleaseKind.choices,
        "chosen": values["kind"],
        "list_url": url,
        "query": query,
    }
    template = "catalog/releases/changelog.html"
    if request.htmx and request.htmx.target == "changelog-results":
        template += "#results"
    response = TemplateResponse(request, template, context)
    if request.htmx and not request.htmx.history_restore_request:
        # Overrides hx-push-url="true", which would push the form's empty fields too.
        pushed = urlencode(
            [("kind", k) for k in values["kind"]] + ([("page", page.number)] if page.number > 1 else [])
        )
        response["HX-Push-Url"] = f"{url}?{pushed}" if pushed else url
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
def changelog(request: HttpRequest) -> HttpResponse:
    return _changelog(request, capability=None)


@login_required
def capability_changelog(request: HttpRequest, slug: str) -> HttpResponse:
    return _changelog(request, capability=capability_or_404(request, slug))


# --- one release ------------------------------------------------------------------------------------------
def _release_or_404(request: HttpRequest, release_pk: int) -> Release:
    release = selectors.release_detail(request.membership, pk=release_pk)
    if release is None:
        raise Http404("No such release.")
    return release


def _require_maintainer(request: HttpRequest, capability: Capability) -> None:
    if not can_maintain(request.membership, capability.owner_team_id):
        raise PermissionDenied("Only maintainers of the owning team (or tenant admins) can do that.")


def _detail(request: HttpRequest, release: Release, *, status: int = 200, **extra: Any) -> HttpResponse:
    may_write = can_maintain(request.membership, release.capability.owner_team_id)
    context = {
        "release": release,
        "capability": release.capability,
        "may_write": may_write,
        "schedule_form": extra.pop("schedule_form", None) or ScheduleForm(),
        **extra,
    }
    return TemplateResponse(request, "catalog/releases/release_detail.html", context, status=status)


@login_required
def release_detail(request: HttpRequest, release_pk: int) -> HttpResponse:
    return _detail(request, _release_or_404(request, release_pk))


def _form_page(
    request: HttpRequest, form: ReleaseForm, release: Release | None, capability: Capability | None
) -> HttpResponse:
    template = "catalog/releases/release_form.html"
    if request.htmx:
        template += "#form"
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "release": release, "capability": capability}
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def release_create(request: HttpRequest) -> HttpResponse:
    capabilities = selectors.maintainable_capabilities(request.membership)
    if not capabilities.exists():
        raise PermissionDenied("Only maintainers of a team (or tenant admins) can write releases.")
    # From the query string: without NUL, which PostgreSQL refuses even in a lookup (a 500).
    chosen = capabilities.filter(slug=request.GET.get("capability", "").replace("\x00", "")).first()
    if request.method == "GET":
        initial = {"capability": chosen.slug} if chosen else {}
        return _form_page(request, ReleaseForm(capabilities=capabilities, initial=initial), None, chosen)
    form = ReleaseForm(request.POST, capabilities=capabilities)
    if form.is_valid() and _publish_choice_is_clear(form, request.POST.get("action")):
        publish = request.POST.get("action") == "publish"
        at = form.cleaned_data.get("publish_at")
        try:
            with transaction.atomic():  # "publish now" or "schedule" keeps nothing if that step fails
                release = services.release_create(**form.service_data(), user=request.user)
                if publish:
                    services.release_publish(release=release, user=request.user)
                elif at is not None:
                    services.release_schedule(release=release, at=at, user=request.user)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            if publish:
                messages.success(request, "Published: subscribers are being told.")
            elif at is not None:
                messages.success(request, _scheduled_message(release))
            else:
                messages.success(request, "Draft saved.")
            return redirect_after_write(
                request, tenant_reverse("catalog:releases:detail", release_pk=release.pk)
            )
    return _form_page(request, form, None, chosen)


def _publish_choice_is_clear(form: ReleaseForm, action: str | None) -> bool:
    """ "Publish now" with a publish time, or "Schedule" without one, is a form error (nothing is saved)."""
    at = form.cleaned_data.get("publish_at")
    if action == "publish" and at is not None:
        form.add_error(
            "publish_at", "Publish now, or at this time with Schedule: clear the time to publish now."
        )
    elif action == "schedule" and at is None:
        form.add_error("publish_at", "Choose when to publish it (UTC).")
    return not form.errors


def _scheduled_message(release: Release) -> str:
    return f"Scheduled: it will be published at {release.scheduled_for:%Y-%m-%d %H:%M} UTC."


def _apply_publish_at(release: Release, at: Any) -> str | None:
    """The edit form's "Publish at": a new time (re)schedules, an emptied one sends it back to draft."""
    current = release.scheduled_for.replace(second=0, microsecond=0) if release.scheduled_for else None
    if at is not None and at != current:  # the field shows minutes: an unchanged one keeps the exact time
        services.release_schedule(release=release, at=at)
        return _scheduled_message(release)
    if at is None and release.state == ReleaseState.SCHEDULED:
        services.release_unschedule(release=release)
        return "Saved, and back to draft: it will not be published until you publish or schedule it."
    return None


@login_required
@require_http_methods(["GET", "POST"])
def release_edit(request: HttpRequest, release_pk: int) -> HttpResponse:
    release = _release_or_404(request, release_pk)
    _require_maintainer(request, release.capability)
    capabilities = selectors.maintainable_capabilities(request.membership, keep=release.capability_id)
    if request.method == "GET":
        form = ReleaseForm(
            capabilities=capabilities, release=release, initial=ReleaseForm.initial_for(release)
        )
        return _form_page(request, form, release, release.capability)
    form = ReleaseForm(request.POST, capabilities=capabilities, release=release)
    if form.is_valid():
        try:
            with transaction.atomic():  # a refused publish time keeps the other changes unsaved too
                services.release_update(release=release, **form.service_data())
                scheduled = None
                if "publish_at" in form.fields:  # not once published
                    scheduled = _apply_publish_at(release, form.cleaned_data.get("publish_at"))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except TransitionError as exc:
            form.add_error(None, str(exc))
            return _form_page(request, form, release, release.capability)
        else:
            messages.success(request, scheduled or "Saved.")
            return redirect_after_write(
                request, tenant_reverse("catalog:releases:detail", release_pk=release.pk)
            )
    return _form_page(request, form, release, release.capability)


def _transition(request: HttpRequest, release_pk: int, action) -> HttpResponse:
    """Run a state change; a conflict (already published...) answers 409 with the page and the reason."""
    release = _release_or_404(request, release_pk)
    _require_maintainer(request, release.capability)
    try:
        message = action(release)
    except TransitionError as exc:
        return _detail(request, release, status=409, error=str(exc))
    messages.success(request, message)
    return redirect_after_write(request, tenant_reverse("catalog:releases:detail", release_pk=release.pk))


@login_required
@require_POST
def release_publish(request: HttpRequest, release_pk: int) -> HttpResponse:
    def publish(release: Release) -> str:
        services.release_publish(release=release, user=request.user)
        return "Published: subscribers are being told."

    return _transition(request, release_pk, publish)


@login_required
@require_POST
def release_schedule(request: HttpRequest, release_pk: int) -> HttpResponse:
    release = _release_or_404(request, release_pk)
    _require_maintainer(request, release.capability)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.release_schedule(
                release=release, at=form.cleaned_data["scheduled_for"], user=request.user
            )
        except ValidationError as exc:
            form.add_error("scheduled_for", exc.message_dict.get("scheduled_for", exc.messages))
        except TransitionError as exc:
            return _detail(request, release, status=409, error=str(exc))
        else:
            messages.success(request, _scheduled_message(release))
            return redirect_after_write(
                request, tenant_reverse("catalog:releases:detail", release_pk=release.pk)
            )
    return _detail(request, release, status=400, schedule_form=form)


@login_required
@require_POST
def release_unschedule(request: HttpRequest, release_pk: int) -> HttpResponse:
    def unschedule(release: Release) -> str:
        services.release_unschedule(release=release)
        return "Back to draft: it will not be published until you publish or schedule it again."

    return _transition(request, release_pk, unschedule)


@login_required
@require_POST
def release_delete(request: HttpRequest, release_pk: int) -> HttpResponse:
    release = _release_or_404(request, release_pk)
    _require_maintainer(request, release.capability)
    try:
        services.release_delete(release=release)
    except TransitionError as exc:
        return _detail(request, release, status=409, error=str(exc))
    messages.success(request, f"Deleted the draft {release.version}.")
    return redirect_after_write(
        request, tenant_reverse("catalog:releases:capability_changelog", slug=release.capability.slug)
    )
