"""Delivery pages: ingest sources (tenant admins) and repository -> team mappings (admins, team maintainers).

Thin: forms parse, services write, selectors read. A source's secret is shown once, on the answer to the
creation or rotation POST itself (never stored in clear, never in a redirect or the session); that answer
is `no-store` so no cache or back button keeps it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from catalog.insights.delivery import backstage, selectors, services
from catalog.insights.delivery.forms import (
    BackstageUploadForm,
    RepoMappingForm,
    SourceCreateForm,
    SourceEditForm,
)
from catalog.insights.models import IngestSource, RepoMapping
from portal.plugins.api import can_write, is_tenant_admin, redirect_after_write, tenant_reverse


def _require_admin(request: HttpRequest) -> None:
    if not is_tenant_admin(request.membership):
        raise PermissionDenied("Only tenant admins manage ingest sources.")


def _source_or_404(pk: int) -> IngestSource:
    source = selectors.source(pk)
    if source is None:
        raise Http404("No such source.")
    return source


def _secret_page(response: TemplateResponse) -> TemplateResponse:
    add_never_cache_headers(response)
    response["Cache-Control"] += ", no-store"
    return response


# --- sources ------------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def source_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = SourceCreateForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.source_create(**form.cleaned_data, user=request.user)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, "Source created. Copy the secret now: it will not be shown again.")
            form = SourceCreateForm()
    context = {
        "form": form,
        "sources": selectors.sources(),
        "issued": issued,
        "issued_url": selectors.ingest_url(request, issued.source) if issued else "",
    }
    status = 400 if request.method == "POST" and form.errors else 200
    response = TemplateResponse(request, "insights/delivery/sources.html", context, status=status)
    return _secret_page(response) if issued else response


def _detail(
    request: HttpRequest, source: IngestSource, *, status: int = 200, **extra: Any
) -> TemplateResponse:
    form = extra.pop("form", None) or SourceEditForm(
        initial={
            "name": source.name,
            "production_environments": source.production_environments,
            "enabled": source.enabled,
        }
    )
    context = {"source": source, "form": form, "ingest_url": selectors.ingest_url(request, source), **extra}
    return TemplateResponse(request, "insights/delivery/source_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def source_detail(request: HttpRequest, ingest_source_pk: int) -> HttpResponse:
    _require_admin(request)
    source = _source_or_404(ingest_source_pk)
    if request.method == "GET":
        return _detail(request, source)
    form = SourceEditForm(request.POST)
    if form.is_valid():
        try:
            services.source_update(source=source, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, "Saved.")
            return redirect_after_write(
                request, tenant_reverse("insights:delivery-source", ingest_source_pk=source.pk)
            )
    return _detail(request, _source_or_404(ingest_source_pk), status=400, form=form)


@login_required
@require_POST
def source_rotate(request: HttpRequest, ingest_source_pk: int) -> HttpResponse:
    _require_admin(request)
    issued = services.source_rotate_secret(source=_source_or_404(ingest_source_pk))
    messages.success(request, "New secret: copy it now. The old one stopped working.")
    return _secret_page(_detail(request, issued.source, secret=issued.secret))


# --- repository mappings --------------------------------------------------------------------------------
def _mappings_page(
    request: HttpRequest, *, status: int = 200, form: RepoMappingForm | None = None, **extra: Any
) -> HttpResponse:
    membership = request.membership
    teams = selectors.mappable_teams(membership)
    allowed = selectors.allowed_team_ids(membership)
    may_write = can_write(membership) and (allowed is None or bool(allowed))
    mappings = list(selectors.repo_mappings())
    context = {
        "mappings": mappings,
        "removable": {m.pk for m in mappings if allowed is None or m.team_id in allowed}
        if may_write
        else set(),
        "may_write": may_write,
        "form": form or RepoMappingForm(teams=teams),
        "upload_form": extra.pop("upload_form", None) or BackstageUploadForm(),
        **extra,
    }
    template = "insights/delivery/repositories.html"
    if request.htmx and request.htmx.target == "repo-mappings":
        template += "#mappings"
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _require_mapper(request: HttpRequest) -> None:
    allowed = selectors.allowed_team_ids(request.membership)
    if not can_write(request.membership) or (allowed is not None and not allowed):
        raise PermissionDenied("Only tenant admins and team maintainers map repositories.")


@login_required
@require_http_methods(["GET", "POST"])
def repository_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _mappings_page(request)
    _require_mapper(request)
    form = RepoMappingForm(request.POST, teams=selectors.mappable_teams(request.membership))
    if form.is_valid():
        try:
            mapping = services.repo_mapping_add(**form.cleaned_data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, f"{mapping.repository} now counts for {mapping.team.name}.")
            return redirect_after_write(request, tenant_reverse("insights:delivery-repositories"))
    return _mappings_page(request, status=400, form=form)


@login_required
@require_POST
def repository_delete(request: HttpRequest, repo_mapping_pk: int) -> HttpResponse:
    _require_mapper(request)
    mapping = RepoMapping.objects.select_related("team").filter(pk=repo_mapping_pk).first()
    if mapping is None:
        raise Http404("No such mapping.")
    allowed = selectors.allowed_team_ids(request.membership)
    if allowed is not None and mapping.team_id not in allowed:
        raise PermissionDenied("Only maintainers of that team (or tenant admins) remove its mappings.")
    services.repo_mapping_remove(mapping=mapping)
    messages.success(request, f"Removed the mapping of {mapping.repository}.")
    return redirect_after_write(request, tenant_reverse("insights:delivery-repositories"))


@login_required
@require_POST
def repository_import(request: HttpRequest) -> HttpResponse:
    _require_mapper(request)
    upload_form = BackstageUploadForm(request.POST, request.FILES)
    if not upload_form.is_valid():
        return _mappings_page(request, status=400, upload_form=upload_form)
    upload = upload_form.cleaned_data["catalog_info"]
    report = backstage.repo_mappings_from_backstage(
        files=[(upload.name, upload.read())], membership=request.membership
    )
    if report.errors:
        return _mappings_page(request, status=400, report=report)
    messages.success(request, f"Imported {len(report.created)} mappings, skipped {len(report.skipped)}.")
    return _mappings_page(request, report=report)
