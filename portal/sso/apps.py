from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "portal.sso"
    label = "sso"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        from portal.sso import signals  # noqa: F401  (records how a session logged in)
