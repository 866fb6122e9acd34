"""Declares one nav item, one page and one capability panel, importing only portal.plugins.api."""

from django.urls import path

from portal.plugins.api import AgoraPlugin, CapabilityPanel, NavItem, SettingSpec


class HelloPlugin(AgoraPlugin):
    name = "agora_hello"
    verbose_name = "Hello"
    version = "0.1.0"
    min_core_version = "0.1.0"
    max_core_version = "1.99"
    url_prefix = "hello"
    settings_spec = {"greeting": SettingSpec(default="Hello from a third-party plugin")}

    def nav_items(self):
        return [NavItem(label="Hello", url_name="agora_hello:index", order=900)]

    def urlpatterns(self):
        from agora_hello.views import hello

        return [path("", hello, name="index")]

    def capability_panels(self):
        return [
            CapabilityPanel(
                key="hello",
                title="Hello panel",
                template="agora_hello/panel.html",
                order=999,
                get_context=lambda request, capability: {"greeting": self.settings["greeting"]},
            )
        ]
