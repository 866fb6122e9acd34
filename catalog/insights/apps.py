from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Adoption, satisfaction and delivery performance per capability: is a capability worth it?"""

    name = "catalog.insights"
    label = "insights"
    verbose_name = "Insights"
