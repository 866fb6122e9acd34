"""Responses shared by every plugin's pages (exported by `portal.plugins.api`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


def redirect_after_write(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful write that leaves the page: a 302 for a plain form post; for htmx a 204 with
    `HX-Redirect`, which htmx follows with a full page load (a 3xx would be followed by the browser's
    XMLHttpRequest and its target swapped into the form instead)."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)
