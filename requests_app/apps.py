from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    label = "requests_app"
    verbose_name = "Feature requests"
