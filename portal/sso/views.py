"""SSO pages: the tenant admin's configuration page, and the "work email" step of the login page.

Thin adapters over portal.sso.services; the services check admin rights and audit. Errors answer 400 with
the form and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts.views_admin import tenant_admin_required
from portal.sso import selectors, services
from portal.sso.forms import MappingForm, ProviderForm
from portal.sso.models import SsoGroupMapping, SsoIdentity, SsoProvider
from portal.ui.urls import tenant_reverse

IDENTITIES_SHOWN = 200


def _provider_initial(provider: SsoProvider | None) -> dict:
    if provider is None:
        return {"scopes": "openid profile email", "groups_claim": "groups", "local_passwords_allowed": True}
    return {
        "display_name": provider.display_name,
        "issuer_url": provider.issuer_url,
        "client_id": provider.client_id,
        "email_domains": ", ".join(provider.email_domains),
        "scopes": provider.scopes,
        "groups_claim": provider.groups_claim,
        "default_role": provider.default_role,
        "enabled": provider.enabled,
        "local_passwords_allowed": provider.local_passwords_allowed,
    }


def _page(request: HttpRequest, *, form=None, mapping_form=None, status: int = 200) -> HttpResponse:
    provider = SsoProvider.objects.filter(tenant=request.tenant).first()
    context = {
        "provider": provider,
        "form": form or ProviderForm(initial=_provider_initial(provider)),
        "mapping_form": mapping_form or MappingForm(),
        "mappings": SsoGroupMapping.objects.select_related("team").all(),
        "identities": SsoIdentity.objects.select_related("user")[:IDENTITIES_SHOWN],
        "redirect_uri": request.build_absolute_uri(
            reverse("openid_connect_callback", kwargs={"provider_id": request.tenant.slug})
        ),
    }
    return TemplateResponse(request, "sso/admin.html", context, status=status)


@tenant_admin_required
@require_http_methods(["GET", "POST"])
def sso_admin(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    form = ProviderForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.sso_provider_save(
                actor=request.membership,
                display_name=data["display_name"],
                issuer_url=data["issuer_url"],
                client_id=data["client_id"],
                client_secret=data["client_secret"] or None,
                email_domains=data["email_domains"],
                scopes=data["scopes"],
                groups_claim=data["groups_claim"],
                default_role=data["default_role"],
                enabled=data["enabled"],
                local_passwords_allowed=data["local_passwords_allowed"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return HttpResponseRedirect(tenant_reverse("admin_sso"))
    return _page(request, form=form, status=400)


@tenant_admin_required
@require_POST
def sso_mapping_add(request: HttpRequest) -> HttpResponse:
    form = MappingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.sso_mapping_add(
                actor=request.membership,
                idp_group=data["idp_group"],
                team=data["team"],
                team_role=data["team_role"],
                tenant_role=data["tenant_role"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            return HttpResponseRedirect(tenant_reverse("admin_sso"))
    return _page(request, mapping_form=form, status=400)


@tenant_admin_required
@require_POST
def sso_mapping_remove(request: HttpRequest, ssogroupmapping_pk: int) -> HttpResponse:
    mapping = get_object_or_404(SsoGroupMapping, pk=ssogroupmapping_pk)
    services.sso_mapping_remove(actor=request.membership, mapping=mapping)
    return HttpResponseRedirect(tenant_reverse("admin_sso"))


@require_http_methods(["GET", "POST"])
def sso_discover(request: HttpRequest) -> HttpResponse:
    """ "Work email" on the login page: the tenant whose provider handles that domain, as a login page with
    its "Continue with" button (starting the flow needs a POST with the CSRF token, so one more click)."""
    email = (request.POST.get("email") or request.GET.get("email") or "").strip()[:254]
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    tenant = selectors.tenant_for_email(email) if "@" in email else None
    query = {"email": email, **({"next": next_url} if next_url else {})}
    if tenant is None:
        query["sso"] = "none"
    else:
        query["tenant"] = tenant.slug
    return HttpResponseRedirect(f"{reverse('login')}?{urlencode(query)}")


def login_cancelled(request: HttpRequest) -> HttpResponse:
    """allauth sends a cancelled login here (its URL name `socialaccount_login_cancelled`)."""
    return TemplateResponse(request, "socialaccount/login_cancelled.html", {})


def allow_sso_form_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap the login view: when the page shows a tenant's "Continue with" button, its CSP `form-action`
    also names that tenant's issuer origin. The button POSTs to us and we answer a redirect to the IdP's
    authorization endpoint, and browsers apply `form-action` to the redirects a form submission follows.
    (Okta, Entra ID and Keycloak serve the authorization endpoint from the issuer's origin.)"""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        slug = (request.GET.get("tenant") or "").strip()[:63]
        found = selectors.enabled_provider(slug) if slug else None
        if found is not None:
            parts = urlsplit(found[1].issuer_url)
            policy = dict(settings.SECURE_CSP)
            policy["form-action"] = [
                *policy.get("form-action", [CSP.SELF]),
                f"{parts.scheme}://{parts.netloc}",
            ]
            response._csp_config = policy
        return response

    return wrapper
