"""Forms for the SSO admin page and the password login that knows about SSO-only tenants."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from portal.accounts.models import Team, TeamRole
from portal.sso.selectors import passwords_allowed
from portal.tenancy.context import user_context
from portal.tenancy.models import Membership, Role
from portal.ui.forms import ServiceErrorsMixin

SSO_ONLY = "Your organisation logs in with single sign-on: use its “Continue with …” button."


class SsoAwareAuthenticationForm(AuthenticationForm):
    """Django's login form (django-axes still throttles it) that refuses a correct password of someone whose
    every tenant turned local passwords off; superusers are exempt (break-glass)."""

    error_messages = {**AuthenticationForm.error_messages, "sso_required": SSO_ONLY}

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.is_superuser:
            return
        with user_context(user.pk):
            tenants = [m.tenant for m in Membership.unscoped.filter(user=user).select_related("tenant")]
        if tenants and not any(passwords_allowed(t) for t in tenants):
            raise ValidationError(self.error_messages["sso_required"], code="sso_required")


class ProviderForm(ServiceErrorsMixin, forms.Form):
    display_name = forms.CharField(max_length=100, help_text='Shown on the login page as "Continue with …".')
    issuer_url = forms.CharField(
        max_length=500, label="Issuer URL", help_text="e.g. https://acme.okta.com/oauth2/default"
    )
    client_id = forms.CharField(max_length=255, label="Client ID")
    client_secret = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted and never shown; leave empty to keep the current one.",
    )
    email_domains = forms.CharField(
        max_length=2000, required=False, help_text="Comma-separated, e.g. acme.com"
    )
    scopes = forms.CharField(max_length=500, initial="openid profile email")
    groups_claim = forms.CharField(max_length=100, required=False, initial="groups", label="Groups claim")
    default_role = forms.ChoiceField(
        choices=[(Role.MEMBER, "Member"), (Role.VIEWER, "Viewer")], label="Default tenant role"
    )
    enabled = forms.BooleanField(required=False, label="Single sign-on enabled")
    local_passwords_allowed = forms.BooleanField(required=False, label="Local passwords allowed")


class MappingForm(ServiceErrorsMixin, forms.Form):
    idp_group = forms.CharField(max_length=255, label="IdP group")
    team = forms.ModelChoiceField(queryset=Team.unscoped.none(), required=False, empty_label="(no team)")
    team_role = forms.ChoiceField(choices=[("", "—"), *TeamRole.choices], required=False)
    tenant_role = forms.ChoiceField(
        choices=[("", "—"), *Role.choices], required=False, label="or tenant role"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(archived_at__isnull=True)
