"""Agora core: settings, tenancy, accounts and teams, plugin registry, domain events, UI shell.

The core knows no feature: an import-linter contract keeps it from importing any feature app.
"""

from portal.celery import app as celery_app

__version__ = "0.1.0"
__all__ = ["__version__", "celery_app"]
