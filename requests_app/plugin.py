"""Registers the feature-request board through the public plugin hooks.

The board itself (issue: feature-request board) adds its pages, API routes and capability panel here.
"""

from __future__ import annotations

from portal.plugins.api import AgoraPlugin


class RequestsPlugin(AgoraPlugin):
    name = "requests_app"
    verbose_name = "Feature requests"
    version = "0.1.0"
    min_core_version = "0.1.0"
    url_prefix = "requests"
