"""The `AgoraPlugin` base class and the small value types its hooks return.

Hooks are methods returning plain data, so a plugin is easy to read and to test; every hook has a harmless
default so a plugin overrides only what it offers (Wagtail-style hooks, NetBox-style version bounds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.urls import URLPattern, URLResolver


@dataclass(frozen=True)
class NavItem:
    """An entry in the main navigation. `url_name` is reversed inside the current tenant."""

    label: str
    url_name: str
    order: int = 100
    icon: str = ""
    permission: Callable[[HttpRequest], bool] | None = None


@dataclass(frozen=True)
class CapabilityPanel:
    """A block on a capability page. `template` renders with `capability`, `request` and `get_context()`."""

    key: str
    title: str
    template: str
    order: int = 100
    permission: Callable[[HttpRequest, Any], bool] | None = None
    get_context: Callable[[HttpRequest, Any], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class HomePanel:
    """A block on the tenant home page. `template` renders with `request`, `panel` and `get_context(request)`.

    `column` is "main" (what is new, what needs me) or "side" (shortcuts, short lists). A panel whose
    context says `{"hidden": True}` is left out (e.g. nothing to show and nothing to offer)."""

    key: str
    title: str
    template: str
    order: int = 100
    column: str = "main"
    permission: Callable[[HttpRequest], bool] | None = None
    get_context: Callable[[HttpRequest], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class ApiRoute:
    """A DRF viewset mounted on the shared `/api/v1/` router."""

    prefix: str
    viewset: type
    basename: str


@dataclass(frozen=True)
class NotificationChannel:
    """A delivery channel (email, Slack, ...). `send` takes a Delivery and raises on failure."""

    key: str
    label: str
    send: Callable[..., None]


@dataclass(frozen=True)
class SettingSpec:
    default: Any = None
    required: bool = False
    validate: Callable[[Any], None] | None = None
    help: str = ""


class AgoraPlugin:
    """Base class for every Agora plugin, built-in or third-party.

    Subclasses live in `<app>/plugin.py` and are announced through the `agora.plugins` entry-point group.
    """

    name: ClassVar[str] = ""
    verbose_name: ClassVar[str] = ""
    version: ClassVar[str] = "0.0.0"
    min_core_version: ClassVar[str | None] = None
    max_core_version: ClassVar[str | None] = None
    # Mount point of `urlpatterns()` under `/t/<tenant>/`; empty means the plugin has no pages.
    url_prefix: ClassVar[str] = ""
    settings_spec: ClassVar[Mapping[str, SettingSpec]] = {}

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}

    def nav_items(self) -> Sequence[NavItem]:
        return ()

    def capability_panels(self) -> Sequence[CapabilityPanel]:
        return ()

    def home_panels(self) -> Sequence[HomePanel]:
        return ()

    def urlpatterns(self) -> Sequence[URLPattern | URLResolver]:
        return ()

    def public_urlpatterns(self) -> Sequence[URLPattern | URLResolver]:
        """Cookie-less pages mounted at `/pub/<url_prefix>/` (e.g. Atom feeds behind a private token): no
        tenant is in scope there, so each view checks its own credential and enters the tenant it names."""
        return ()

    def api_routes(self) -> Sequence[ApiRoute]:
        return ()

    def event_handlers(self) -> Mapping[str, Sequence[Callable[..., None]]]:
        return {}

    def notification_channels(self) -> Sequence[NotificationChannel]:
        return ()

    def reference_errors(
        self, *, kind: str, keys: Sequence[Any], context: Mapping[str, Any]
    ) -> Mapping[Any, str] | None:
        """Check references another plugin is about to store to this plugin's objects, e.g. the catalog's
        "ships requests #4, #99" (kind "request", keys [4, 99], context {"capability_id": 7}). Return None
        when `kind` is not this plugin's; otherwise a message per key that does not resolve (empty: all
        fine). Called in the current tenant, inside the caller's transaction."""
        return None

    def team_archive_blockers(self, team: Any) -> Sequence[str]:
        """Why `team` cannot be archived yet, as messages for the admin (e.g. "owns 2 active capabilities:
        transfer them first"); empty when this plugin has nothing against it. Called inside the archiving
        transaction, in the team's tenant: the core cannot know what features let a team own."""
        return ()

    def demo_data(self, *, tenant: Any, teams: Mapping[str, Any], users: Mapping[str, Any]) -> None:
        """Add this plugin's demo rows to `tenant` (called by `manage.py seed_demo` in its tenant context)."""

    def ready(self) -> None:
        """Called once after the registry accepted the plugin (settings validated)."""


@dataclass
class LoadedPlugins:
    plugins: dict[str, AgoraPlugin] = field(default_factory=dict)
