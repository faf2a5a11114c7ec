from django.apps import AppConfig


class CommandsConfig(AppConfig):
    """Holds the ``aftercart_*`` management commands (``aftercart <name>``): no models."""

    name = "aftercart.commands"
    label = "aftercart_commands"
    verbose_name = "Commands"
