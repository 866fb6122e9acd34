"""The tenant-admin page: upload Backstage YAML, preview what would change (dry run), then import.

Works as plain form posts; with htmx only the result section is swapped. Refusals answer 422 (the request
is well-formed, its content is not importable): htmx swaps 422 like 400, and django-htmx's DEBUG helper,
which replaces the whole document on a 400 to show Django's error page, leaves 422 alone.

After a clean preview the page offers "Import now", which posts the same files back as hidden fields (the
server keeps no state between preview and import; everything is validated again, so a tampered re-post is
just another upload).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from catalog.backstage import parser
from catalog.backstage.api import MULTIPART_OVERHEAD
from catalog.backstage.exporter import export_catalog
from catalog.backstage.importer import import_uploads
from catalog.backstage.parser import MAX_UPLOAD_FILES, human_size
from portal.plugins.api import is_tenant_admin

# Hidden re-post fields count against DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default).
CONFIRM_LIMIT = 2 * 1024 * 1024
TEMPLATE = "catalog/backstage/import.html"


def _require_admin(request: HttpRequest) -> None:
    if not is_tenant_admin(request.membership):
        raise PermissionDenied("Only tenant admins can import or export the catalog.")


def _uploads(request: HttpRequest) -> list[tuple[str, bytes]] | str:
    """The uploaded files, or the files re-posted by "Import now"; an error message otherwise."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > parser.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
        return f"Uploads are limited to {human_size(parser.MAX_UPLOAD_BYTES)} in total; nothing was imported."
    files = request.FILES.getlist("files")
    if files:
        big = [f.name for f in files if (f.size or 0) > parser.MAX_FILE_BYTES]
        if big:
            return f"{big[0]} is larger than {human_size(parser.MAX_FILE_BYTES)}; nothing was imported."
        return [(f.name or "", f.read(parser.MAX_FILE_BYTES + 1)) for f in files]
    names, contents = request.POST.getlist("doc_name"), request.POST.getlist("doc_content")
    if names and len(names) == len(contents):
        return [(name, text.encode("utf-8")) for name, text in zip(names, contents, strict=True)]
    return "Choose one or more Backstage YAML files."


@login_required
@require_http_methods(["GET", "POST"])
def backstage_import(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    context: dict = {
        "report": None,
        "pending": [],
        "error": "",
        "limits": {
            "file": human_size(parser.MAX_FILE_BYTES),
            "total": human_size(parser.MAX_UPLOAD_BYTES),
            "files": MAX_UPLOAD_FILES,
        },
    }
    status = 200
    if request.method == "POST":
        uploads = _uploads(request)
        if isinstance(uploads, str):
            context["error"], status = uploads, 422
        else:
            dry_run = request.POST.get("dry_run") == "1"
            report = import_uploads(uploads, dry_run=dry_run)
            context["report"] = report
            status = 200 if report.ok else 422
            if report.ok and dry_run and sum(len(c) for _, c in uploads) <= CONFIRM_LIMIT:
                context["pending"] = [(name, raw.decode("utf-8-sig")) for name, raw in uploads]
    template = TEMPLATE + "#result" if request.htmx else TEMPLATE
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def backstage_export(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    response = HttpResponse(export_catalog(), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{request.tenant.slug}-catalog-info.yaml"'
    return response
