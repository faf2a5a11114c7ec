from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "aftercart.returns"
    label = "returns"
    verbose_name = "Returns and exchanges"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from aftercart.returns import checks, receivers  # noqa: F401  (checks: its @register)
        from aftercart.stores.models import Store

        pre_delete.connect(receivers.forget_store_photos, sender=Store, dispatch_uid="returns.store_photos")
