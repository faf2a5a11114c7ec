from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "aftercart.notifications"
    label = "notifications"
    verbose_name = "Customer notifications"

    def ready(self) -> None:
        # Imported for its @register: the start-up check of per-store channel settings.
        from aftercart.notifications import checks  # noqa: F401
