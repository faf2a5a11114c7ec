from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting pieces: system checks, the console commands that span apps."""

    name = "aftercart.core"
    label = "aftercart_core"

    def ready(self) -> None:
        from aftercart.core import checks  # noqa: F401  (registers the system checks)
