"""The board (search, filters, sort, pages), the roadmap, and similar-request suggestions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from catalog.selectors import visible_capabilities
from portal.plugins.api import list_window, tenant_reverse
from requests_app import selectors
from requests_app.forms import DEFAULT_STATUS, BoardFilterForm
from requests_app.permissions import can_participate
from requests_app.views.common import query_param

PAGE_SIZE = 25
SIMILAR_MIN_LENGTH = 3


def _shown(values: dict) -> dict[str, str]:
    """The query string of the board's state without empty fields and defaults: what the pager links and
    the pushed history entry carry (`?q=dns&mine=1`, not `?q=dns&tag=&team=&sort=top...`)."""
    shown: dict[str, str] = {}
    for key in ("q", *BoardFilterForm.FILTER_KEYS, "sort"):
        value = values[key]
        if (key, value) in (("sort", "top"), ("status", DEFAULT_STATUS)):
            continue
        if value is True:
            value = "1"
        if value:
            shown[key] = str(value)
    return shown


@login_required
@require_safe
def request_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    form = BoardFilterForm(request.GET)
    values = form.values()
    filters = {key: values[key] for key in BoardFilterForm.FILTER_KEYS}
    requests = selectors.request_list(membership, q=values["q"], filters=filters, sort=values["sort"])
    # No total: counting every visible request per view costs as much as the board grows (40 ms at
    # 100,000); the pager shows Next while there is more.
    page = list_window(requests, values["page"], PAGE_SIZE)
    shown = _shown(values)
    list_url = tenant_reverse("requests_app:list")
    here_query = urlencode(shown | ({"page": page.number} if page.number > 1 else {}))
    here = f"{list_url}?{here_query}" if here_query else list_url
    context = {
        "form": form,
        "values": values,
        "page": page,
        "requests": page.object_list,
        "facets": selectors.facets(membership),
        "sorts": selectors.SORT_LABELS,
        "list_url": list_url,
        "query": urlencode(shown),
        "here": here,
        "filtered": any(values[k] for k in ("q", *BoardFilterForm.FILTER_KEYS) if k != "status")
        or values["status"] != DEFAULT_STATUS,
        "may_vote": can_participate(membership),
    }
    template = "requests_app/request_list.html"
    if request.htmx and request.htmx.target == "request-results":
        template += "#results"
    response = TemplateResponse(request, template, context)
    if request.htmx and not request.htmx.history_restore_request:
        # Overrides the form's hx-push-url="true", which would push every empty field.
        response["HX-Push-Url"] = here
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_safe
def roadmap(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    slug = query_param(request, "capability", 100)
    capability = (
        visible_capabilities(membership, include_archived=True).filter(slug=slug).first() if slug else None
    )
    plan = selectors.roadmap(membership, capability=capability)
    columns = [
        ("planned", "Planned", plan.planned),
        ("in_progress", "In progress", plan.in_progress),
        ("shipped", f"Shipped in the last {selectors.RECENTLY_SHIPPED_DAYS} days", plan.shipped),
    ]
    url = tenant_reverse("requests_app:roadmap")
    context = {
        "columns": columns,
        "capability": capability,
        "capabilities": selectors.capabilities_with_requests(membership),
        "here": f"{url}?{urlencode({'capability': capability.slug})}" if capability else url,
        "may_vote": can_participate(membership),
    }
    return TemplateResponse(request, "requests_app/roadmap.html", context)


@login_required
@require_safe
def similar(request: HttpRequest) -> HttpResponse:
    """Requests resembling the title being typed on the new-request form (an htmx fragment)."""
    title = query_param(request, "title", 300)
    found = []
    if len(title.strip()) >= SIMILAR_MIN_LENGTH:
        found = selectors.similar_requests(request.membership, title)
    return TemplateResponse(request, "requests_app/request_form.html#similar", {"similar": found})
