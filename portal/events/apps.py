from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "portal.events"
    label = "events"
    verbose_name = "Domain events"
