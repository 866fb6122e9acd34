from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TenancyConfig(AppConfig):
    name = "portal.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from portal.tenancy.rls import sync_rls_after_migrate

        post_migrate.connect(sync_rls_after_migrate, dispatch_uid="agora-rls-sync")
