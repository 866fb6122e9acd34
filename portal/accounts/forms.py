"""Forms of the accounts pages. They parse input only; the services validate the rules and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from portal.accounts.models import Team, TeamRole
from portal.tenancy.models import Role
from portal.ui.forms import ServiceErrorsMixin


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'CI pipeline'.")


class TeamCreateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=63, required=False, help_text="Used in links; leave empty to derive it from the name."
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)
    chat_channel = forms.CharField(max_length=200, required=False, help_text="e.g. #platform-kafka")


class TeamUpdateForm(ServiceErrorsMixin, forms.Form):
    """Rename a team. The slug stays: links and API clients that name it keep working."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)
    chat_channel = forms.CharField(max_length=200, required=False)


class MemberAddForm(ServiceErrorsMixin, forms.Form):
    """Add an existing account: `user` is a username or an email address."""

    user = forms.CharField(max_length=254, label="Username or email")

    def __init__(self, *args, roles, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"] = forms.ChoiceField(choices=roles)


class RoleForm(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args, roles, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"] = forms.ChoiceField(choices=roles)


TENANT_ROLES = Role.choices
TEAM_ROLES = TeamRole.choices


class InvitationForm(ServiceErrorsMixin, forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, label="Tenant role")
    team = forms.ModelChoiceField(
        queryset=Team.unscoped.none(), required=False, to_field_name="slug", help_text="Optional."
    )
    team_role = forms.ChoiceField(choices=[("", "—"), *TeamRole.choices], required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(archived_at__isnull=True).order_by("name")


class AuditFilterForm(forms.Form):
    action = forms.CharField(max_length=64, required=False)
    actor = forms.CharField(max_length=150, required=False)

    def clean(self):
        data = super().clean()
        for key in ("action", "actor"):
            if "\x00" in (data.get(key) or ""):
                self.add_error(key, "Must not contain NUL characters.")
        return data


class InvitationSignUpForm(UserCreationForm):
    """The account of an invitee without one: username and password (Django's validators); the email is
    the invited address, never typed in."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name")
