from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "aftercart.notifications"
    label = "notifications"
    verbose_name = "Customer notifications"

    def ready(self) -> None:
        from aftercart.notifications import receivers
        from aftercart.orders import planner

        # connect() ignores a receiver already registered, so a second ready() (tests) is harmless.
        planner.connect(receivers.plan_notifications)
