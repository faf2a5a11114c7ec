from django.apps import AppConfig


class WiringConfig(AppConfig):
    """Installed last: every app it wires is loaded when :meth:`ready` runs."""

    name = "aftercart.wiring"
    label = "wiring"
    verbose_name = "Wiring"

    def ready(self) -> None:
        from aftercart.wiring.handlers import wire

        wire()
