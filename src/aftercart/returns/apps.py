from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "aftercart.returns"
    label = "returns"
    verbose_name = "Returns and exchanges"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from aftercart.kernel.presenter import register_subject_steps
        from aftercart.orders import planner
        from aftercart.returns import checks, receivers, selectors  # noqa: F401  (checks: its @register)
        from aftercart.stores.models import Store

        # connect_tracking() ignores an owner already registered (tests call ready() again).
        planner.connect_tracking(receivers.RETURN_PARCELS)
        # The ops console (a lower layer) shows each return's next step without importing us.
        register_subject_steps("returns", selectors.return_steps_for_order)
        pre_delete.connect(receivers.forget_store_photos, sender=Store, dispatch_uid="returns.store_photos")
