"""Find plugin apps from entry points without importing them (safe to call from settings.py).

An entry point `name = "pkg.plugin:MyPlugin"` names the Django app `pkg`: the module holding the plugin class
must be `<app>.plugin`. A plugin whose app cannot be found fails start-up with a message naming it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

ENTRY_POINT_GROUP = "agora.plugins"


class PluginDiscoveryError(Exception):
    """Raised at start-up when an installed plugin is malformed; the message names the plugin."""


@dataclass(frozen=True)
class DiscoveredPlugin:
    name: str
    app: str
    entry_point: EntryPoint

    @property
    def distribution(self) -> str:
        dist = self.entry_point.dist
        return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


def discovered_plugins() -> list[DiscoveredPlugin]:
    """All `agora.plugins` entry points, sorted by name so start-up order is stable."""
    found: dict[str, DiscoveredPlugin] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        module = ep.module
        if not module.endswith(".plugin"):
            raise PluginDiscoveryError(
                f"Agora plugin {ep.name!r}: entry point {ep.value!r} must point into '<app>.plugin'."
            )
        app = module.removesuffix(".plugin")
        if ep.name in found and found[ep.name].app != app:
            raise PluginDiscoveryError(
                f"Agora plugin {ep.name!r} is declared twice ({found[ep.name].app} and {app})."
            )
        try:
            spec = importlib.util.find_spec(app)
        except (ImportError, ValueError) as exc:
            raise PluginDiscoveryError(
                f"Agora plugin {ep.name!r}: app {app!r} cannot be found: {exc}"
            ) from exc
        if spec is None:
            raise PluginDiscoveryError(f"Agora plugin {ep.name!r}: app package {app!r} is not importable.")
        found[ep.name] = DiscoveredPlugin(name=ep.name, app=app, entry_point=ep)
    return list(found.values())


def discover_plugin_apps(disabled: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The app of every discovered plugin, minus those whose entry-point name is in `disabled`."""
    known = discovered_plugins()
    unknown = set(disabled) - {plugin.name for plugin in known}
    if unknown:
        raise PluginDiscoveryError(
            f"AGORA_DISABLED_PLUGINS names no installed plugin: {', '.join(sorted(unknown))}."
        )
    return [plugin.app for plugin in known if plugin.name not in disabled]
