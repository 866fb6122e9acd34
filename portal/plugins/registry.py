"""The plugin registry: loads every discovered plugin once, at start-up, all or nothing.

A plugin that cannot be imported, is not an `AgoraPlugin`, is outside its core-version bounds or has invalid
settings raises `PluginLoadError` naming it; the registry is only replaced once every plugin loaded, so the
process never runs with half the plugins.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from packaging.version import InvalidVersion, Version

import portal
from portal.plugins.base import (
    AgoraPlugin,
    ApiRoute,
    CapabilityPanel,
    HomePanel,
    NavItem,
    NotificationChannel,
)
from portal.plugins.discovery import DiscoveredPlugin, PluginDiscoveryError, discovered_plugins

logger = logging.getLogger(__name__)


class PluginLoadError(ImproperlyConfigured):
    """A plugin failed to load; start-up stops with this message."""


_plugins: dict[str, AgoraPlugin] | None = None


def _check_version_bounds(plugin: AgoraPlugin, name: str) -> None:
    core = Version(portal.__version__)
    try:
        low = Version(plugin.min_core_version) if plugin.min_core_version else None
        high = Version(plugin.max_core_version) if plugin.max_core_version else None
    except InvalidVersion as exc:
        raise PluginLoadError(f"Agora plugin {name!r}: invalid core version bound: {exc}") from exc
    if low is not None and core < low:
        raise PluginLoadError(f"Agora plugin {name!r} needs Agora >= {low}; this is {core}.")
    if high is not None and core > high:
        raise PluginLoadError(f"Agora plugin {name!r} supports Agora <= {high}; this is {core}.")


def _resolve_settings(plugin: AgoraPlugin, name: str) -> dict[str, Any]:
    given = dict(getattr(settings, "AGORA_PLUGINS_CONFIG", {}).get(name, {}))
    unknown = set(given) - set(plugin.settings_spec)
    if unknown:
        raise PluginLoadError(f"Agora plugin {name!r}: unknown settings {sorted(unknown)}.")
    resolved: dict[str, Any] = {}
    for key, spec in plugin.settings_spec.items():
        if key not in given and spec.required:
            raise PluginLoadError(f"Agora plugin {name!r}: required setting {key!r} is missing.")
        value = given.get(key, spec.default)
        if spec.validate is not None:
            try:
                spec.validate(value)
            except (ValueError, TypeError) as exc:
                raise PluginLoadError(f"Agora plugin {name!r}: setting {key!r} is invalid: {exc}") from exc
        resolved[key] = value
    return resolved


def _load_one(found: DiscoveredPlugin) -> AgoraPlugin:
    name = found.name
    try:
        cls = found.entry_point.load()
    except Exception as exc:  # any import-time failure of third-party code must name the plugin
        raise PluginLoadError(
            f"Agora plugin {name!r} ({found.distribution}) failed to import {found.entry_point.value!r}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, AgoraPlugin)):
        raise PluginLoadError(
            f"Agora plugin {name!r}: {found.entry_point.value!r} is not an AgoraPlugin subclass."
        )
    if cls.name != name:
        raise PluginLoadError(f"Agora plugin {name!r}: class declares name {cls.name!r}; they must match.")
    plugin = cls()
    _check_version_bounds(plugin, name)
    plugin.settings = _resolve_settings(plugin, name)
    return plugin


def load_plugins() -> dict[str, AgoraPlugin]:
    """Load all discovered plugins; replace the registry only if every one of them loaded."""
    global _plugins
    try:
        disabled = set(getattr(settings, "AGORA_DISABLED_PLUGINS", ()))
        found = [item for item in discovered_plugins() if item.name not in disabled]
    except PluginDiscoveryError as exc:
        raise PluginLoadError(str(exc)) from exc
    loaded: dict[str, AgoraPlugin] = {}
    for item in found:
        loaded[item.name] = _load_one(item)
    for name, plugin in loaded.items():
        try:
            plugin.ready()
        except Exception as exc:
            raise PluginLoadError(
                f"Agora plugin {name!r} failed in ready(): {type(exc).__name__}: {exc}"
            ) from exc
    _plugins = loaded
    logger.debug("Agora plugins loaded: %s", ", ".join(loaded) or "none")
    return loaded


def plugins() -> dict[str, AgoraPlugin]:
    if _plugins is None:
        raise PluginLoadError("The plugin registry is used before the 'portal.plugins' app is ready.")
    return _plugins


def iter_plugins() -> Iterator[AgoraPlugin]:
    yield from plugins().values()


def nav_items() -> list[NavItem]:
    return sorted((item for p in iter_plugins() for item in p.nav_items()), key=lambda i: (i.order, i.label))


def capability_panels() -> list[CapabilityPanel]:
    return sorted(
        (panel for p in iter_plugins() for panel in p.capability_panels()), key=lambda c: (c.order, c.key)
    )


def home_panels() -> list[HomePanel]:
    return sorted(
        (panel for p in iter_plugins() for panel in p.home_panels()), key=lambda h: (h.order, h.key)
    )


def api_routes() -> list[ApiRoute]:
    return [route for p in iter_plugins() for route in p.api_routes()]


def event_handlers() -> dict[str, list[Callable[..., None]]]:
    handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)
    for plugin in iter_plugins():
        for event_name, funcs in plugin.event_handlers().items():
            handlers[event_name].extend(funcs)
    return dict(handlers)


def notification_channels() -> dict[str, NotificationChannel]:
    return {c.key: c for p in iter_plugins() for c in p.notification_channels()}


def reference_errors(*, kind: str, keys: Sequence[Any], context: Mapping[str, Any]) -> dict[Any, str] | None:
    """What is wrong with references of `kind` (see `AgoraPlugin.reference_errors`): a message per key that
    does not resolve, or None when no installed plugin serves that kind (nothing to check against)."""
    answers = [p.reference_errors(kind=kind, keys=keys, context=context) for p in iter_plugins()]
    known = [answer for answer in answers if answer is not None]
    if not known:
        return None
    return {key: message for answer in known for key, message in answer.items()}


def team_archive_blockers(team: Any) -> list[str]:
    """Every plugin's reasons not to archive `team` yet (see `AgoraPlugin.team_archive_blockers`)."""
    return [message for p in iter_plugins() for message in p.team_archive_blockers(team)]
