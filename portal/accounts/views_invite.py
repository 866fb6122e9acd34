"""Accepting an invitation: `/invite/<token>/`, outside /t/<tenant>/ because the invitee is no member yet.

The signed token names the tenant; the services check signature, age, nonce and single use. A logged-in
user accepts as themself if their email is the invited address. Someone without an account for that address
creates one here (username and password, Django's password validators; the email is the invited one). If an
account with the address exists, they log in first: the link proves access to a mailbox, never a password.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.accounts import services
from portal.accounts.forms import InvitationSignUpForm

User = get_user_model()
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        tenant, invitation = services.invitation_resolve(token)
    except services.InvitationInvalid as exc:
        return TemplateResponse(
            request, "accounts/invitation_accept.html", {"problem": str(exc)}, status=exc.status
        )
    user = request.user
    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    form = None
    context = {"tenant": tenant, "invitation": invitation, "has_account": has_account}
    if user.is_authenticated:
        if request.method == "POST":
            try:
                services.invitation_accept(token=token, user=user)
            except services.InvitationInvalid as exc:
                context["problem"] = str(exc)
                return TemplateResponse(
                    request, "accounts/invitation_accept.html", context, status=exc.status
                )
            return HttpResponseRedirect(reverse("tenant_home", kwargs={"tenant_slug": tenant.slug}))
        context["mismatch"] = (user.email or "").lower() != invitation.email.lower()
    elif has_account:
        context["login_url"] = f"{settings.LOGIN_URL}?{urlencode({'next': request.path})}"
    else:
        form = InvitationSignUpForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                new_user = services.invitation_accept_new_user(
                    token=token,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    first_name=form.cleaned_data.get("first_name", ""),
                )
            except services.InvitationInvalid as exc:
                context["problem"] = str(exc)
                return TemplateResponse(
                    request, "accounts/invitation_accept.html", context, status=exc.status
                )
            login(request, new_user, backend=MODEL_BACKEND)
            return HttpResponseRedirect(reverse("tenant_home", kwargs={"tenant_slug": tenant.slug}))
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "accounts/invitation_accept.html", context, status=status)
