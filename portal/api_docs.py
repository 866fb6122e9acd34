"""Swagger UI and Redoc under the site's Content Security Policy (scripts: 'self' + nonce; styles: 'self').

drf-spectacular's stock pages start the viewers with an inline `<script>` and style the page with an inline
`<style>`; Redoc's also loads Google Fonts. The CSP blocks all three: Swagger UI stayed blank and Redoc
failed. Here both pages are our own templates (templates/api_docs/) with no inline code and no outside
resources: Swagger UI's start-up script is a separate same-origin request (drf-spectacular's split view),
Redoc's is a static file reading its settings from data attributes. The bundles come from the sidecar.

Redoc (styled-components) must add `<style>` elements at run time; it gives each the page's nonce (its
`nonce` option), so its page alone also allows styles carrying that nonce. No user content is on that page.
"""

from __future__ import annotations

from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


class SwaggerDocsView(SpectacularSwaggerSplitView):
    """`/api/docs/`: the page, and its start-up script at `/api/docs/?script` (JavaScript, same origin)."""

    template_name = "api_docs/swagger_ui.html"


def _redoc_policy() -> dict:
    from django.conf import settings

    policy = {key: list(value) for key, value in settings.SECURE_CSP.items()}
    policy["style-src"] = [*policy.get("style-src", [CSP.SELF]), CSP.NONCE]
    # Redoc runs its search index in a Web Worker made from a blob: URL.
    policy["worker-src"] = [CSP.SELF, "blob:"]
    return policy


@method_decorator(csp_override(_redoc_policy()), name="dispatch")
class RedocDocsView(SpectacularRedocView):
    """`/api/redoc/`: started by static/agora/redoc-init.js."""

    template_name = "api_docs/redoc.html"
