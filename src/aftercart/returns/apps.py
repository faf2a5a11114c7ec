from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "aftercart.returns"
    label = "returns"
    verbose_name = "Returns and exchanges"

    def ready(self) -> None:
        from aftercart.orders import planner
        from aftercart.returns import checks, receivers  # noqa: F401  (checks: its @register)

        # connect_tracking() ignores an owner already registered (tests call ready() again).
        planner.connect_tracking(receivers.RETURN_PARCELS)
