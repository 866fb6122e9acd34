"""The plugin core: discovery, hooks, version bounds, settings and clear start-up errors."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
from django.conf import settings
from django.test import override_settings

from portal.plugins import registry
from portal.plugins.base import AgoraPlugin
from portal.plugins.discovery import DiscoveredPlugin
from tests.plugins.site.agora_hello.plugin import HelloPlugin


def test_builtins_and_third_party_are_discovered_through_entry_points():
    assert {"catalog", "requests_app", "agora_hello"} <= set(registry.plugins())
    assert "agora_hello" in settings.INSTALLED_APPS
    assert "catalog" in settings.INSTALLED_APPS


def test_third_party_nav_item_and_panel_appear(world_a, login):
    from catalog import services
    from portal.tenancy.context import tenant_context

    with tenant_context(world_a.tenant):
        services.capability_create(name="Kafka Topics", owner_team=world_a.team, summary="Topics")
    client = login(world_a.member)
    home = client.get("/t/alpha/")
    assert home.status_code == 200
    assert 'href="/t/alpha/hello/"' in home.text
    page = client.get("/t/alpha/catalog/kafka-topics/")
    assert page.status_code == 200
    assert 'data-panel="hello"' in page.text
    assert "Hello from a third-party plugin: Kafka Topics" in page.text


def _fake(name: str, value: str) -> DiscoveredPlugin:
    ep = EntryPoint(name=name, value=value, group="agora.plugins")
    return DiscoveredPlugin(name=name, app=value.split(":")[0].removesuffix(".plugin"), entry_point=ep)


def test_plugin_that_fails_to_import_names_itself(monkeypatch):
    before = registry.plugins()
    monkeypatch.setattr(registry, "discovered_plugins", lambda: [_fake("broken", "no_such_module.plugin:X")])
    with pytest.raises(registry.PluginLoadError, match=r"plugin 'broken'.*failed to import"):
        registry.load_plugins()
    assert registry.plugins() is before  # never half-loaded: the previous registry stays


def test_plugin_outside_version_bounds_is_refused(monkeypatch):
    class TooNew(HelloPlugin):
        min_core_version = "99.0"

    monkeypatch.setattr("tests.core.test_plugins.TooNewPlugin", TooNew, raising=False)
    monkeypatch.setattr(
        registry, "discovered_plugins", lambda: [_fake("agora_hello", "tests.core.test_plugins:TooNewPlugin")]
    )
    with pytest.raises(registry.PluginLoadError, match=r"needs Agora >= 99\.0"):
        registry.load_plugins()


def test_not_a_plugin_class_is_refused(monkeypatch):
    monkeypatch.setattr(registry, "discovered_plugins", lambda: [_fake("agora_hello", "os.path:join")])
    with pytest.raises(registry.PluginLoadError, match="not an AgoraPlugin subclass"):
        registry.load_plugins()


def test_plugin_settings_defaults_unknown_and_required():
    plugin = HelloPlugin()
    assert registry._resolve_settings(plugin, "agora_hello") == {
        "greeting": "Hello from a third-party plugin"
    }
    with (
        override_settings(AGORA_PLUGINS_CONFIG={"agora_hello": {"greting": "typo"}}),
        pytest.raises(registry.PluginLoadError, match="unknown settings"),
    ):
        registry._resolve_settings(plugin, "agora_hello")

    from portal.plugins.base import SettingSpec

    class Needy(AgoraPlugin):
        name = "needy"
        settings_spec = {"url": SettingSpec(required=True)}

    with pytest.raises(registry.PluginLoadError, match="required setting 'url'"):
        registry._resolve_settings(Needy(), "needy")


def test_panel_permission_hides_panel(monkeypatch, rf):
    import portal.ui.panels as panels_module
    from portal.plugins.base import CapabilityPanel

    hidden = CapabilityPanel(
        key="secret", title="S", template="agora_hello/panel.html", permission=lambda request, cap: False
    )
    monkeypatch.setattr(panels_module, "capability_panels", lambda: [*registry.capability_panels(), hidden])
    rendered = panels_module.render_capability_panels(rf.get("/"), type("Cap", (), {"name": "X"})())
    keys = [p.key for p in rendered]
    assert "hello" in keys
    assert "secret" not in keys
