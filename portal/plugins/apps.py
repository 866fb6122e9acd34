from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "portal.plugins"
    label = "agora_plugins"
    verbose_name = "Agora plugins"

    def ready(self) -> None:
        from portal.plugins.registry import load_plugins

        load_plugins()
